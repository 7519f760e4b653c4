package account_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
)

func TestValidatePassword(t *testing.T) {
	cases := []struct {
		name    string
		pw      string
		email   string
		wantErr string // fragment of the field message, "" when accepted
	}{
		{"empty", "", "a@example.org", "at least 12"},
		{"11 characters", "zq8#mv2!kx9", "a@example.org", "at least 12"},
		{"12 characters", "zq8#mv2!kx9w", "a@example.org", ""},
		{"12 multi-byte runes", "ÄÖÜäöüßéèêëï", "a@example.org", ""},
		{"11 multi-byte runes (more than 12 bytes)", "ÄÖÜäöüßéèêë", "a@example.org", "at least 12"},
		{"128 characters", strings.Repeat("tigerlily ", 12) + "pine-con", "a@example.org", ""},
		{"129 characters", strings.Repeat("tigerlily ", 12) + "pine-cone", "a@example.org", "at most 128"},
		{"very long", strings.Repeat("x7", 500), "a@example.org", "at most 128"},
		{"common: password1234!", "Password1234!", "a@example.org", "too common"},
		{"common: padded with digits and symbols", "!!1234letmein5678", "a@example.org", "too common"},
		{"common: upper case", "SUNSHINESUNSHINE", "a@example.org", "too common"},
		{"common: repeated word", "passwordpassword", "a@example.org", "too common"},
		{"common: repeated word three times", "monkeymonkeymonkey", "a@example.org", "too common"},
		{"digit run", "123456789012", "a@example.org", "too common"},
		{"descending digit run", "987654321098", "a@example.org", "too common"},
		{"keyboard run", "qwertyuiopas", "a@example.org", "too common"},
		{"alphabet run", "abcdefghijklm", "a@example.org", "too common"},
		{"one character repeated", "aaaaaaaaaaaaaaa", "a@example.org", "too common"},
		{"short unit repeated", "abcabcabcabc", "a@example.org", "too common"},
		{"multi-byte character repeated", "éééééééééééé", "a@example.org", "too common"},
		{"passphrase", "correct horse battery staple", "a@example.org", ""},
		{"passphrase with a common word inside", "purple monkey dishwasher", "a@example.org", ""},
		{"contains email local part", "jane.doe-rules-2024", "jane.doe@example.org", "email address"},
		{"contains email local part, other case", "MyNameIsJANE.DOE!", "Jane.Doe@Example.org", "email address"},
		{"short local part is not checked", "bob likes long walks", "bob@example.org", ""},
		{"domain is not the local part", "example.org rocks 42", "jane.doe@example.org", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := account.ValidatePassword(tc.pw, tc.email)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("refused %q: %v", tc.pw, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted %q", tc.pw)
			}
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid {
				t.Fatalf("want an Invalid apperr, got %#v", err)
			}
			if msg := e.Fields["password"]; !strings.Contains(msg, tc.wantErr) {
				t.Fatalf("password field message %q does not contain %q", msg, tc.wantErr)
			}
		})
	}
}

func TestIsCommonPassword(t *testing.T) {
	cases := map[string]bool{
		"password":                     true,
		"PASSWORD":                     true,
		"Password1234!":                true,
		"2024dragon!!":                 true,
		"trustno1":                     true,
		"qwertyuiopasdf":               true,
		"0123456789":                   true,
		"correct horse battery staple": false,
		"zq8#mv2!kx9w":                 false,
		"dragonfly migration":          false,
	}
	for pw, want := range cases {
		if got := account.IsCommonPassword(pw); got != want {
			t.Errorf("IsCommonPassword(%q) = %v, want %v", pw, got, want)
		}
	}
}

func TestHashAndCheckPassword(t *testing.T) {
	h, err := account.HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q is not argon2id PHC", h)
	}
	h2, _ := account.HashPassword("correct horse battery staple")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		pw, hash string
		want     bool
	}{
		{"correct horse battery staple", h, true},
		{"correct horse battery staple", h2, true},
		{"Correct horse battery staple", h, false},
		{"", h, false},
		{"correct horse battery staple", "not-a-hash", false},
		{"correct horse battery staple", "", false},
	} {
		if got := account.CheckPassword(tc.pw, tc.hash); got != tc.want {
			t.Errorf("CheckPassword(%q, %.20q) = %v, want %v", tc.pw, tc.hash, got, tc.want)
		}
	}
}

func TestSecretsAndHashes(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		s := account.NewSecret()
		if len(s) != 43 || strings.ContainsAny(s, "+/=") {
			t.Fatalf("secret %q is not 32 bytes of URL-safe base64", s)
		}
		if seen[s] {
			t.Fatal("NewSecret repeated itself")
		}
		seen[s] = true
	}
	if h := account.HashSecret("abc"); h != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashSecret(abc) = %s, want SHA-256 hex", h)
	}
	// Short secrets are hashed from a stack copy, long ones as they are: the same function either way.
	for _, n := range []int{0, 43, 64, 65, 1000} {
		s := strings.Repeat("k", n)
		sum := sha256.Sum256([]byte(s))
		if h := account.HashSecret(s); h != hex.EncodeToString(sum[:]) {
			t.Errorf("HashSecret of %d bytes = %s, want %x", n, h, sum)
		}
	}
	// It runs on every signed-in request: one allocation, the result.
	tok := account.NewSecret()
	if n := testing.AllocsPerRun(100, func() { _ = account.HashSecret(tok) }); n > 1 {
		t.Errorf("HashSecret allocates %.0f times, want 1", n)
	}
}
