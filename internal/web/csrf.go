package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/cache"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// CSRF protection is a signed double-submit token (OWASP's "signed double-submit cookie"): the form
// token is an HMAC, under the server secret, of the session id (signed in) or of a random pre-session
// cookie (signed out). It needs no server-side state, so it holds across app instances that share the
// secret, and it changes when the session id changes at sign-in.

const anonCookie = "pa_anon"

func (h *Handlers) csrfToken(c *fiber.Ctx) string {
	kind, v := h.csrfBinding(c)
	if kind != "s:" {
		return h.sign("csrf|", kind, v)
	}
	// A session's token is a function of its id and the secret alone, so a copy can never be stale:
	// it is kept (bounded, for a while) rather than computed for every page.
	h.csrfOnce.Do(func() { h.csrfTokens = cache.New[string](nil, 10*time.Minute, 100_000) })
	if t, ok := h.csrfTokens.Get(v); ok {
		return t
	}
	gen := h.csrfTokens.Gen()
	t := h.sign("csrf|", kind, v)
	h.csrfTokens.Put(v, t, gen)
	return t
}

// localTokenLoaded is true while the request's token is the one LoadSession resolved, whose hash is
// then the session's id: every page's CSRF token needs it, and need not hash the token again.
// setSession and clearSession make it false.
const localTokenLoaded = "pa.token_loaded"

// csrfBinding is what a token is bound to: the session ("s:" and the token's hash), or the anonymous
// cookie ("a:" and its value; the cookie is created if missing).
func (h *Handlers) csrfBinding(c *fiber.Ctx) (kind, value string) {
	if tok, _ := c.Locals(httpx.LocalToken).(string); tok != "" {
		if loaded, _ := c.Locals(localTokenLoaded).(bool); loaded {
			if s := httpx.Session(c); s != nil {
				return "s:", s.ID
			}
		}
		return "s:", account.HashSecret(tok)
	}
	v := c.Cookies(anonCookie)
	if len(v) < 20 {
		v = account.NewSecret()
		c.Cookie(&fiber.Cookie{Name: anonCookie, Value: v, Path: "/", HTTPOnly: true, Secure: h.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode})
		c.Request().Header.SetCookie(anonCookie, v)
	}
	return "a:", v
}

// signer is a pooled HMAC-SHA256 keyed with Secret, with room for its input and output: every page
// signs its CSRF token, and this way a signature costs one allocation, the result.
type signer struct {
	mac hash.Hash
	in  []byte
	sum [sha256.Size]byte
}

// sign returns the URL-safe base64 HMAC of the concatenated parts.
func (h *Handlers) sign(parts ...string) string {
	s, _ := h.macs.Get().(*signer)
	if s == nil {
		s = &signer{mac: hmac.New(sha256.New, h.Secret)}
	}
	s.in = s.in[:0]
	for _, p := range parts {
		s.in = append(s.in, p...)
	}
	s.mac.Reset()
	s.mac.Write(s.in)
	var out [43]byte // base64.RawURLEncoding.EncodedLen(sha256.Size)
	base64.RawURLEncoding.Encode(out[:], s.mac.Sum(s.sum[:0]))
	if cap(s.in) <= 1024 {
		h.macs.Put(s)
	}
	return string(out[:])
}

// ErrCSRF is the answer to a form post without a valid token.
var ErrCSRF = apperr.New(apperr.Forbidden, "csrf_failed",
	"This form has expired or did not come from PeerAcademy. Go back, reload the page and try again.")

// checkCSRF guards every unsafe method on the HTML side.
func (h *Handlers) checkCSRF(c *fiber.Ctx) error {
	if httpx.IsAPI(c) {
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
