package httpx

import (
	"net/url"
	"path"
	"strings"
	"unicode"
)

// Attachment is a Content-Disposition value that downloads a file under name (RFC 6266): a plain
// ASCII filename for old clients (non-ASCII letters, quotes, backslashes, separators and control
// characters replaced by "_") and filename* with the UTF-8 name percent-encoded (RFC 5987), which
// browsers prefer. A name that sanitises to nothing, or to only dots, falls back to fallback.
func Attachment(name, fallback string) string {
	name = sanitiseFilename(name)
	if name == "" {
		name = fallback
	}
	ascii := strings.Map(func(r rune) rune {
		if r > 0x7e || r < 0x20 || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	enc := strings.ReplaceAll(url.PathEscape(name), "+", "%2B")
	// PathEscape leaves a few characters that attr-char (RFC 5987) does not allow.
	for _, r := range []string{"'", "(", ")", "*", ",", ";", "=", "@", ":", "/", "[", "]"} {
		enc = strings.ReplaceAll(enc, r, "%"+strings.ToUpper(hexByte(r[0])))
	}
	return `attachment; filename="` + ascii + `"; filename*=UTF-8''` + enc
}

func hexByte(b byte) string {
	const h = "0123456789abcdef"
	return string([]byte{h[b>>4], h[b&15]})
}

// sanitiseFilename keeps the last path element, without control or format characters, quotes or
// backslashes, trimmed of spaces and leading dots, at most 150 runes.
func sanitiseFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if r := []rune(name); len(r) > 150 {
		name = string(r[len(r)-150:])
	}
	if strings.Trim(name, ". ") == "" {
		return ""
	}
	return name
}
