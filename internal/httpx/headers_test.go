package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
)

// Security headers reach every response, once each, and no-store replaces a page's own caching header.
func TestSecurityAndNoStoreHeaders(t *testing.T) {
	for _, kv := range append(append([][2][]byte{}, securityHeaders...), noStoreHeaders...) {
		if k := string(kv[0]); k != http.CanonicalHeaderKey(k) {
			t.Errorf("header %q is not in canonical form (%q): SetCanonical would not replace it", k, http.CanonicalHeaderKey(k))
		}
	}
	f := fiber.New()
	f.Use(SecurityHeaders)
	f.Use(func(c *fiber.Ctx) error { c.Locals(LocalSession, &account.Session{}); return c.Next() }) // signed in
	f.Use(NoStore)
	f.Get("/", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderCacheControl, "public, max-age=60")
		c.Set("X-Frame-Options", "SAMEORIGIN")
		return c.SendString("ok")
	})
	resp, err := f.Test(httptest.NewRequest("GET", "/", nil))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "SAMEORIGIN",
		"Cache-Control": "no-store", "Pragma": "no-cache",
	} {
		if got := resp.Header.Values(k); len(got) != 1 || got[0] != want {
			t.Errorf("%s = %q, want exactly %q", k, got, want)
		}
	}
	if resp.Header.Get("Content-Security-Policy") == "" {
		t.Error("no Content-Security-Policy")
	}
}
