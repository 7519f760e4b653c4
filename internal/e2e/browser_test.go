package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestRegisterVerifySignInSignOut walks the candidate's first visit as a person would, through the
// pages only, in a real browser: create an account, confirm the address from the email, sign in
// (after one wrong password), see the dashboard, sign out.
func TestRegisterVerifySignInSignOut(t *testing.T) {
	chromium := chromiumPath(t)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env, base := startApp(t, d) // before the browser, so the browser closes first
		b := newBrowser(t, chromium, base)

		const (
			name     = "Ana Lucía O'Brien"
			email    = "ana.obrien@example.org"
			password = "maple river lantern 42"
		)

		// 1. Home page → "Create an account" → fill in the form → "Check your email".
		p := b.open("/")
		wantPage(t, "home", p, http.StatusOK, "/")
		b.checkA11y("home", "")

		p = b.load("follow Create an account", chromedp.Click(`//main//a[normalize-space()="Create an account"]`))
		wantPage(t, "register", p, http.StatusOK, "/register")
		if h := b.text("h1"); h != "Create an account" {
			t.Errorf("register: h1 %q", h)
		}
		b.checkA11y("register", "")

		b.typeInto("f-name", name)
		b.typeInto("f-email", email)
		b.typeInto("f-password", password)
		p = b.load("submit registration", chromedp.Click(`//main//form//button[@type="submit"]`))
		wantPage(t, "after registration", p, http.StatusOK, "/register")
		if h := b.text("h1"); h != "Check your email" {
			t.Fatalf("after registration: h1 %q, want \"Check your email\"; page says: %s", h, b.text("main"))
		}
		if m := b.text("main"); !strings.Contains(m, "We have sent a link to "+email) {
			t.Errorf("check-email page does not name the address: %s", m)
		}
		b.checkA11y("check your email", "")

		// 2. The confirmation link from the captured email → sign-in page with a confirmation.
		mail := env.LastMail(email)
		link := apptest.LinkIn(mail)
		if !strings.HasPrefix(link, base+"/verify-email?token=") {
			t.Fatalf("verification link %q does not point at this server (%s)", link, base)
		}
		p = b.open(link)
		wantPage(t, "verification link", p, http.StatusOK, "/login")
		if f := b.text(".flash"); !strings.Contains(f, "Your email address is confirmed") {
			t.Errorf("after verification: flash %q, want \"Your email address is confirmed…\"", f)
		}
		b.checkA11y("sign in (after verification)", "")

		// 3. A wrong password: a generic error, the email kept, the password not echoed.
		b.typeInto("f-email", email)
		b.typeInto("f-password", "not my password at all")
		p = b.load("sign in with a wrong password", chromedp.Click(`//main//form//button[@type="submit"]`))
		wantPage(t, "wrong password", p, http.StatusUnauthorized, "/login")
		if e := b.text("[data-error-summary]"); !strings.Contains(e, "The email or password is incorrect.") {
			t.Errorf("wrong password: error summary %q", e)
		}
		if v := b.value("f-email"); v != email {
			t.Errorf("wrong password: email field holds %q, want %q", v, email)
		}
		if v := b.value("f-password"); v != "" {
			t.Errorf("wrong password: the password field was filled back in (%d characters)", len(v))
		}
		b.checkA11y("sign in (wrong password)", "f-email")

		// The email is still there: type only the password, and press Enter.
		p = b.load("sign in", chromedp.SendKeys(chromedp.ID("f-password"), password+"\n"))
		wantPage(t, "sign in", p, http.StatusOK, "/dashboard")
		if h := b.text("h1"); h != "Welcome, "+name {
			t.Errorf("dashboard: h1 %q, want %q", h, "Welcome, "+name)
		}
		b.screenshot("dashboard-" + string(d) + ".png")
		b.checkA11y("dashboard", "")

		// 4. Sign out → sign-in page with a confirmation; the dashboard is closed again.
		b.do("open the account menu", chromedp.Click(`//header//summary[normalize-space()="Account"]`))
		p = b.load("sign out", chromedp.Click(`//header//button[@type="submit" and normalize-space()="Sign out"]`))
		wantPage(t, "sign out", p, http.StatusOK, "/login")
		if f := b.text(".flash"); !strings.Contains(f, "You have signed out.") {
			t.Errorf("after sign-out: flash %q", f)
		}
		b.checkA11y("sign in (after sign-out)", "")

		p = b.open("/dashboard")
		wantPage(t, "dashboard after sign-out", p, http.StatusOK, "/login")
		if next := p.URL.Query().Get("next"); next != "/dashboard" {
			t.Errorf("dashboard after sign-out: next=%q, want /dashboard", next)
		}
		if h := b.text("h1"); h != "Sign in" {
			t.Errorf("dashboard after sign-out: h1 %q", h)
		}
		if m := b.text("main"); strings.Contains(m, "You have signed out.") {
			t.Errorf("the sign-out message is shown a second time")
		}
	})
}

// wantPage fails the test unless the browser landed on path with the status.
func wantPage(t *testing.T, step string, p loaded, status int, path string) {
	t.Helper()
	if p.URL.Path != path || p.Status != int64(status) {
		t.Fatalf("%s: at %s (HTTP %d), want %s (HTTP %d)", step, p.URL, p.Status, path, status)
	}
}
