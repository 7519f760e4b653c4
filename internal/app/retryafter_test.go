package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestEvery429CarriesRetryAfter drives each limiter past its limit, through the page and the API, and
// expects 429 with a Retry-After of a positive number of seconds (#12.10).
func TestEvery429CarriesRetryAfter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d, func(c *config.Config) {
			c.LoginMaxPerAccount, c.LoginMaxPerIP, c.VerifyPerMinute = 2, 1000, 2
			c.RegisterPerHour, c.ResetPerHour = 2, 2
		})
		cand := env.User(account.RoleCandidate, "")
		trainer := env.User(account.RoleTrainer, env.Vendor("rho").ID) // two-factor sign-in enabled
		page := func(path string, form url.Values) func() *http.Request {
			return func() *http.Request {
				token, cookies := env.CSRF("/login")
				form.Set("_csrf", token)
				req := apptest.Request("POST", path, form.Encode())
				for _, c := range cookies {
					req.AddCookie(c)
				}
				return req
			}
		}
		api := func(path string, body any) func() *http.Request {
			return func() *http.Request { return apptest.Request("POST", path, body) }
		}
		mfa := func() *http.Request {
			// A session held at the two-factor stage, and a wrong code.
			secret := env.Session(trainer, account.KindWeb)
			if _, err := env.App.DB.NewUpdate().Model((*account.Session)(nil)).Set("stage = ?", account.StageMFA).
				Where("id = ?", account.HashSecret(secret)).Exec(t.Context()); err != nil {
				t.Fatal(err)
			}
			c := &http.Cookie{Name: "pa_session", Value: secret}
			token, _ := env.CSRF("/login/mfa", c)
			req := apptest.Request("POST", "/login/mfa", url.Values{"_csrf": {token}, "code": {"000000"}}.Encode())
			req.AddCookie(c)
			return req
		}
		newcomer := func(i int) string { return "newcomer" + strconv.Itoa(i) + "@example.org" }
		n := 0
		limiters := []struct {
			name string
			req  func() *http.Request
		}{
			{"sign-in page", page("/login", url.Values{"email": {cand.Email}, "password": {"wrong password here"}})},
			{"sign-in API", api("/api/v1/auth/token", map[string]string{"email": cand.Email, "password": "wrong password here"})},
			{"two-factor code", mfa},
			{"certificate look-up page", page("/verify", url.Values{"number": {"PA-0000"}, "last_name": {"Nobody"}})},
			{"certificate look-up API", api("/api/v1/verify", map[string]string{"number": "PA-0000", "last_name": "Nobody"})},
			{"registration page", func() *http.Request {
				n++
				return page("/register", url.Values{"email": {newcomer(n)}, "name": {"New Comer"}, "password": {"plum orchard at dusk"}})()
			}},
			{"registration API", func() *http.Request {
				n++
				return api("/api/v1/auth/register", map[string]string{"email": newcomer(n), "name": "New Comer", "password": "plum orchard at dusk"})()
			}},
			{"password reset page", page("/password/forgot", url.Values{"email": {cand.Email}})},
			{"password reset API", api("/api/v1/auth/password/forgot", map[string]string{"email": cand.Email})},
		}
		for _, l := range limiters {
			t.Run(l.name, func(t *testing.T) {
				for i := range 12 {
					resp := env.Do(l.req())
					apptest.Body(resp)
					if resp.StatusCode >= 500 {
						t.Fatalf("request %d: status %d", i+1, resp.StatusCode)
					}
					if resp.StatusCode != http.StatusTooManyRequests {
						continue
					}
					if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s <= 0 {
						t.Fatalf("429 with Retry-After %q", resp.Header.Get("Retry-After"))
					}
					return
				}
				t.Fatal("never limited")
			})
		}
	})
}
