package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// signedIn returns a browser with a session of u.
func signedIn(t *testing.T, env *apptest.Env, exe, base string, u *account.User) *browser {
	b := newBrowser(t, exe, base)
	b.open("/privacy") // a page of the app, so the cookie's origin exists
	b.setCookie("pa_session", env.Session(u, account.KindWeb))
	return b
}

func TestIssueVerifyRevoke(t *testing.T) {
	exe := chromiumPath(t)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		env, base := startApp(t, d)
		p := env.PassedWritten("omega")
		env.PassedOral(p) // the oral exam through the services (its browser journey is TestTrainerPublishesCandidateBooksTrainerGrades)

		// The vendor admin issues the certificate from the ready list.
		adm := signedIn(t, env, exe, base, p.Admin)
		dialogs := adm.acceptDialogs()
		pg := adm.open("/vendor/certificates")
		wantPage(t, "certificates page", pg, http.StatusOK, "/vendor/certificates")
		if m := adm.text("main"); !strings.Contains(m, "Zoë Nuñez-O'Brien") {
			t.Fatalf("the candidate is not ready to certify: %.500s", m)
		}
		pg = adm.load("issue", chromedp.Click(`//form[@action="/vendor/certificates/issue"]//button[@type="submit"]`))
		dialogs.want(t, "issue", "Issue certificates to the selected candidates?")
		wantPage(t, "after issuing", pg, http.StatusOK, "/vendor/certificates")
		if m := adm.text("main"); !strings.Contains(m, "Issued PA-CPS-OMEGA-") {
			t.Fatalf("no success message: %.400s", m)
		}
		adm.screenshot("certificates-vendor-" + string(d) + ".png")
		certs, err := env.App.Certificates.List(ctx, p.Admin)
		if err != nil || len(certs) != 1 {
			t.Fatalf("certificates: %v", err)
		}
		cert := certs[0]

		// The public (no session) verifies through the link on the certificate.
		pub := newBrowser(t, exe, base)
		pg = pub.open("/verify/" + cert.VerifyCode)
		wantPage(t, "verification", pg, http.StatusOK, "/verify/"+cert.VerifyCode)
		m := pub.text("main")
		for _, want := range []string{"Status: active", "Zoë Nuñez-O'Brien", cert.Number, "Certified Peer Specialist", p.Vendor.Name} {
			if !strings.Contains(m, want) {
				t.Errorf("verification page lacks %q", want)
			}
		}
		for _, secret := range []string{p.Cand.Email, "%", "written", "oral", "recovery"} {
			if strings.Contains(strings.ToLower(m), strings.ToLower(secret)) {
				t.Errorf("verification page shows %q", secret)
			}
		}
		robots := run(pub, "robots meta", chromedp.Evaluate[string](`document.querySelector('meta[name="robots"]').content`))
		if robots != "noindex, nofollow" {
			t.Errorf("robots meta %q", robots)
		}
		pub.screenshot("verify-active-" + string(d) + ".png")

		// The vendor admin revokes; the public page shows it at once.
		adm.do("give a reason", chromedp.SetValue(chromedp.CSS("#rv-"+cert.ID), "Issued in error"))
		pg = adm.load("revoke", chromedp.Click(fmt.Sprintf(`//form[@action="/vendor/certificates/%s/revoke"]//button`, cert.ID)))
		wantPage(t, "after revoking", pg, http.StatusOK, "/vendor/certificates")
		dialogs.want(t, "revoke", "Revoke "+cert.Number+"? Verification shows it as revoked at once.")
		if m := adm.text("main"); !strings.Contains(m, "The certificate is revoked") {
			t.Fatalf("no revocation message: %.300s", m)
		}
		pg = pub.open("/verify/" + cert.VerifyCode)
		wantPage(t, "verification after revocation", pg, http.StatusOK, "/verify/"+cert.VerifyCode)
		if m := pub.text("main"); !strings.Contains(m, "Status: revoked") {
			t.Fatalf("verification after revocation: %.300s", m)
		}
		pub.screenshot("verify-revoked-" + string(d) + ".png")
	})
}
