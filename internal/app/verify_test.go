package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

func TestVerificationIsRateLimitedAndNotIndexed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d, func(c *config.Config) { c.VerifyPerMinute = 3 })
		for i := 1; i <= 3; i++ {
			resp := env.Do(apptest.Request("GET", "/verify/abcdefghijklmnopqrst", nil))
			if resp.StatusCode != 404 {
				t.Fatalf("look-up %d: %d", i, resp.StatusCode)
			}
		}
		resp := env.Do(apptest.Request("GET", "/api/v1/verify/abcdefghijklmnopqrst", nil))
		if resp.StatusCode != 429 {
			t.Fatalf("fourth look-up in a minute: %d, want 429", resp.StatusCode)
		}
		// The form: unknown number and wrong name read the same; the page is noindex. env2 holds one
		// real certificate, so the wrong-name look-up takes the "found, name differs" path.
		env2 := apptest.New(t, d)
		vendor, holder := env2.Vendor("lookup"), env2.User(account.RoleCandidate, "")
		now := database.Now()
		real := &certificate.Certificate{ID: "c-lookup", Number: "PA-CPS-LOOKUP-2026-000001", VerifyCode: "abcdefghjkmnpqrstuvw", CandidateID: holder.ID,
			VendorID: vendor.ID, HolderName: "Zoë Nuñez-O'Brien", Credential: certificate.CredentialName, IssuedAt: now, ValidFrom: now,
			ExpiresAt: now.AddDate(2, 0, 0), Status: certificate.StatusActive, CERule: ce.Annual18.ID, CreatedAt: now}
		if _, err := env2.App.DB.NewInsert().Model(real).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		token, cookies := env2.CSRF("/verify")
		post := func(number, last string) string {
			req := apptest.Request("POST", "/verify", "_csrf="+url.QueryEscape(token)+"&number="+url.QueryEscape(number)+"&last_name="+url.QueryEscape(last))
			for _, c := range cookies {
				req.AddCookie(c)
			}
			resp := env2.Do(req)
			if resp.StatusCode != 404 || !strings.Contains(resp.Header.Get("X-Robots-Tag"), "noindex") {
				t.Fatalf("look-up %s/%s: %d %q", number, last, resp.StatusCode, resp.Header.Get("X-Robots-Tag"))
			}
			body := apptest.Body(resp)
			if !strings.Contains(body, `<meta name="robots" content="noindex, nofollow">`) {
				t.Fatal("verification page is indexable")
			}
			return body[strings.Index(body, "There is a problem"):][:150]
		}
		if a, b := post(real.Number, "Smith"), post("PA-CPS-Y-2026-000002", "Jones"); a != b || !strings.Contains(a, "No certificate matches") {
			t.Fatalf("answers differ:\n%s\n%s", a, b)
		}
		if pub, err := env2.App.Certificates.Lookup(context.Background(), real.Number, "O'Brien"); err != nil || pub.Number != real.Number {
			t.Fatalf("the right name does not find the certificate: %+v %v", pub, err)
		}
	})
}
