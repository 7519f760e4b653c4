// Package csvsafe keeps free text in CSV exports from being run as a spreadsheet formula.
package csvsafe

import "strings"

// Cell prefixes text that a spreadsheet would read as a formula (or as the start of one: =, +, -,
// @, a tab or a carriage return) with an apostrophe, which spreadsheets show as plain text.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// BOM is the UTF-8 byte-order mark. CSV downloads start with it so that a spreadsheet opened by a
// double-click (Excel in particular) reads the file as UTF-8 and shows "Zoë Nuñez" as written.
const BOM = "\uFEFF"
