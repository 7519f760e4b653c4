package certificate

import (
	"crypto/rand"
	"crypto/subtle"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// FoldName folds a name for comparison: accents removed (ë -> e, ñ -> n, ø -> o, ß -> ss), lower
// case, and only letters and digits kept, so "Nuñez-O’Brien", "NUNEZ OBRIEN" and "nunez-o'brien"
// fold alike.
func FoldName(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // combining marks: the accents NFKD split off
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if f, ok := specialFolds[unicode.ToLower(r)]; ok {
				b.WriteString(f)
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
		}
	}
	return b.String()
}

// specialFolds are letters NFKD does not decompose.
var specialFolds = map[rune]string{'ø': "o", 'ł': "l", 'đ': "d", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ı': "i"}

// nameParts splits a name into words on spaces and hyphens.
func nameParts(name string) []string {
	return strings.FieldsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == '-' || r == '‐' || r == '–' })
}

// LastNameNorm is the folded last word of a name (what certificates store for look-up).
func LastNameNorm(name string) string {
	p := nameParts(name)
	if len(p) == 0 {
		return ""
	}
	return FoldName(p[len(p)-1])
}

// lastNameMatches reports whether given is a last name of holder: it folds equal to a trailing run
// of the holder's name parts ("O'Brien", "Nuñez-O'Brien" and "Zoë Nuñez-O'Brien" all match
// "Zoë Nuñez-O'Brien"; "Zoë" does not, unless it is the only word).
func lastNameMatches(holder, given string) bool {
	g := FoldName(given)
	if g == "" {
		return false
	}
	parts := nameParts(holder)
	match := 0
	suffix := ""
	for i := len(parts) - 1; i >= 0; i-- {
		suffix = FoldName(parts[i]) + suffix
		match |= subtle.ConstantTimeCompare([]byte(suffix), []byte(g))
	}
	return match == 1
}

// verifyCodeAlphabet is RFC 4648 base32, lower case.
const verifyCodeAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// VerifyCodeLength is the length of a verify code: 20 base32 characters, 100 random bits.
const VerifyCodeLength = 20

// newVerifyCode returns a random verify code.
func newVerifyCode() string {
	b := make([]byte, VerifyCodeLength)
	_, _ = rand.Read(b) // never fails (crypto/rand panics instead)
	for i := range b {
		b[i] = verifyCodeAlphabet[b[i]&31] // 256 is a multiple of 32: uniform
	}
	return string(b)
}

// validVerifyCode reports whether s could be a verify code.
func validVerifyCode(s string) bool {
	if len(s) != VerifyCodeLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(verifyCodeAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}
