package app_test

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// lookup sends one public certificate look-up with the given X-Forwarded-For header.
func lookup(env *apptest.Env, xff string) int {
	req := apptest.Request("GET", "/api/v1/verify/NOSUCHCODE", nil)
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp := env.Do(req)
	apptest.Body(resp)
	return resp.StatusCode
}

// TestSpoofedForwardedForDoesNotEvadeLimits rotates the left-most X-Forwarded-For entry, which the
// client controls: the per-address limit must still count the address the load balancer saw.
func TestSpoofedForwardedForDoesNotEvadeLimits(t *testing.T) {
	// app.Test's requests come from 0.0.0.0, which plays the load balancer here.
	env := apptest.New(t, dbtest.SQLite, func(c *config.Config) {
		c.VerifyPerMinute = 3
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}
	})
	for i := range 3 {
		if code := lookup(env, fmt.Sprintf("198.18.0.%d, 203.0.113.5", i)); code != 404 {
			t.Fatalf("look-up %d: status %d", i+1, code)
		}
	}
	if code := lookup(env, "198.18.0.99, 203.0.113.5"); code != 429 {
		t.Fatalf("fourth look-up from 203.0.113.5 with a fresh spoofed entry: status %d, want 429", code)
	}
	if code := lookup(env, "203.0.113.6"); code != 404 {
		t.Fatalf("another client behind the load balancer: status %d, want 404", code)
	}
	// The audit log and the limiter see the same address.
	var n int
	if err := env.App.DB.NewRaw(`SELECT COUNT(*) FROM rate_limits WHERE key = 'verify:203.0.113.5'`).Scan(context.Background(), &n); err != nil || n != 1 {
		t.Fatalf("rate-limit rows for 203.0.113.5: %d (%v)", n, err)
	}

	// Without trusted proxies the header is ignored altogether.
	direct := apptest.New(t, dbtest.SQLite, func(c *config.Config) { c.VerifyPerMinute = 3 })
	for i := range 3 {
		lookup(direct, fmt.Sprintf("198.18.1.%d", i))
	}
	if code := lookup(direct, "198.18.1.200"); code != 429 {
		t.Fatalf("direct client rotating X-Forwarded-For: status %d, want 429", code)
	}
}
