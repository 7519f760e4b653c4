package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// CSRF protection is a signed double-submit token (OWASP's "signed double-submit cookie"): the form
// token is an HMAC, under the server secret, of the session id (signed in) or of a random pre-session
// cookie (signed out). It needs no server-side state, so it holds across app instances that share the
// secret, and it changes when the session id changes at sign-in.

const anonCookie = "pa_anon"

func (h *Handlers) csrfToken(c *fiber.Ctx) string {
	return h.sign("csrf|" + h.csrfBinding(c))
}

// csrfBinding is what a token is bound to: the session, or the anonymous cookie (created if missing).
func (h *Handlers) csrfBinding(c *fiber.Ctx) string {
	if tok, _ := c.Locals(httpx.LocalToken).(string); tok != "" {
		return "s:" + account.HashSecret(tok)
	}
	v := c.Cookies(anonCookie)
	if len(v) < 20 {
		v = account.NewSecret()
		c.Cookie(&fiber.Cookie{Name: anonCookie, Value: v, Path: "/", HTTPOnly: true, Secure: h.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode})
		c.Request().Header.SetCookie(anonCookie, v)
	}
	return "a:" + v
}

func (h *Handlers) sign(s string) string {
	m, _ := h.macs.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, h.Secret)
	}
	m.Reset()
	m.Write([]byte(s))
	var sum [sha256.Size]byte
	out := base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0]))
	h.macs.Put(m) // pooled: every page signs its CSRF token
	return out
}

// ErrCSRF is the answer to a form post without a valid token.
var ErrCSRF = apperr.New(apperr.Forbidden, "csrf_failed",
	"This form has expired or did not come from PeerAcademy. Go back, reload the page and try again.")

// checkCSRF guards every unsafe method on the HTML side.
func (h *Handlers) checkCSRF(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), "/api/") {
		return c.Next() // the API authenticates with bearer tokens, never cookies
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	sent := c.FormValue("_csrf")
	if sent == "" {
		sent = c.Get("X-CSRF-Token")
	}
	want := h.csrfToken(c)
	if sent == "" || !hmac.Equal([]byte(sent), []byte(want)) {
		return ErrCSRF
	}
	return c.Next()
}
