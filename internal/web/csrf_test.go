package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// The CSRF token is the HMAC of the session token's hash, however it is reached: through the session
// LoadSession resolved (its id is that hash), after sign-in replaced the token, from the cache.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	h := &Handlers{Secret: []byte("0123456789abcdef0123456789abcdef")}
	want := func(tok string) string {
		m := hmac.New(sha256.New, h.Secret)
		m.Write([]byte("csrf|s:" + account.HashSecret(tok)))
		return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
	}
	old, fresh := account.NewSecret(), account.NewSecret()
	var got []string
	f := fiber.New()
	f.Get("/", func(c *fiber.Ctx) error {
		c.Locals(httpx.LocalSession, &account.Session{ID: account.HashSecret(old)})
		c.Locals(httpx.LocalToken, old)
		c.Locals(localTokenLoaded, true)
		got = append(got, h.csrfToken(c), h.csrfToken(c)) // computed, then cached
		h.setSession(c, fresh)                            // sign-in: a new token, the old session still in Locals
		got = append(got, h.csrfToken(c), h.csrfToken(c))
		return nil
	})
	if _, err := f.Test(httptest.NewRequest("GET", "/", nil)); err != nil {
		t.Fatal(err)
	}
	for i, w := range []string{want(old), want(old), want(fresh), want(fresh)} {
		if got[i] != w {
			t.Errorf("token %d = %s, want %s", i, got[i], w)
		}
	}
	if got[0] == got[2] {
		t.Error("the token did not change with the session")
	}
	// Signing costs one allocation, the result.
	if n := testing.AllocsPerRun(100, func() { _ = h.sign("csrf|", "s:", "abc") }); n > 1 {
		t.Errorf("sign allocates %.0f times, want 1", n)
	}
}
