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
