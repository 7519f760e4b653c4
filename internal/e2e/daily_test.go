package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestRoughEdgesOfTheFirstWeek visits, in a real browser, the pages where the first week of use
// found faults: each page also passes load's checks (no CSP violation, no sideways scrolling at
// 390 px). The QR code for an authenticator app shows; the certificate page's verification link is
// a link with a copy button; the cohort page fits a phone; the home page has a favicon and the
// public look-up.
func TestRoughEdgesOfTheFirstWeek(t *testing.T) {
	exe := chromiumPath(t)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env, base := startApp(t, d)
		p, cert := env.Certified("roughedges")

		pub := newBrowser(t, exe, base)
		wantPage(t, "home", pub.open("/"), http.StatusOK, "/")
		icon := run(pub, "favicon", chromedp.Evaluate[string](`(() => { const l = document.querySelector('link[rel="icon"]'); return l ? l.href : ""; })()`))
		if icon == "" {
			t.Error("home: no favicon")
		}
		wantPage(t, "look-up from home", pub.load("follow Look up a certificate", chromedp.Click(`//main//a[normalize-space()="Look up a certificate"]`)), http.StatusOK, "/verify")

		// The holder: the QR code is an image the browser decodes, and the verification link is a link.
		cand := signedIn(t, env, exe, base, p.Cand)
		wantPage(t, "two-factor setup", cand.open("/account/mfa"), http.StatusOK, "/account/mfa")
		qr := run(cand, "QR image", chromedp.Evaluate[[]int](`(() => { const i = document.querySelector('main img'); return i ? [i.naturalWidth, i.naturalHeight] : [0, 0]; })()`))
		if qr[0] < 100 || qr[1] < 100 {
			t.Errorf("the QR code does not show (natural size %v)", qr)
		}
		wantPage(t, "certificate", cand.open("/certificates/"+cert.ID), http.StatusOK, "/certificates/"+cert.ID)
		verify := env.App.Certificates.VerifyURL(cert.VerifyCode)
		if href := run(cand, "verification link", chromedp.Evaluate[string](`document.getElementById("verify-link").href`)); href != verify {
			t.Errorf("verification link %q, want %q", href, verify)
		}
		copyBtn := run(cand, "copy button", chromedp.Evaluate[string](`(() => { const b = document.querySelector("button[data-copy]"); return b && !b.hidden ? b.getAttribute("data-copy") + "|" + b.innerText : ""; })()`))
		if copyBtn != verify+"|Copy link" {
			t.Errorf("copy button %q", copyBtn)
		}

		// The trainer's cohort page and register fit a phone (load checks them).
		var cohortID string
		if err := env.App.DB.NewSelect().Table("cohorts").Column("id").Where("vendor_id = ?", p.Vendor.ID).Limit(1).Scan(context.Background(), &cohortID); err != nil {
			t.Fatal(err)
		}
		tr := signedIn(t, env, exe, base, p.Trainer)
		wantPage(t, "cohort", tr.open("/teach/cohorts/"+cohortID), http.StatusOK, "/teach/cohorts/"+cohortID)
		if m := tr.text("main"); !strings.Contains(m, p.Cand.Name) {
			t.Errorf("cohort page lacks the candidate: %.300s", m)
		}
		day1 := "/teach/cohorts/" + cohortID + "/days/1"
		wantPage(t, "register", tr.open(day1), http.StatusOK, day1)
		// On a phone the status box is wide enough to read its choices (it was 60 px).
		tr.do("phone width", chromedp.EmulateViewport(phoneWidth, 844))
		w := run(tr, "status box width", chromedp.Evaluate[float64](`document.querySelector("table.register select").getBoundingClientRect().width`))
		tr.do("desktop width", chromedp.EmulateReset())
		if w < 120 {
			t.Errorf("at %d px the register's status box is %.0f px wide", phoneWidth, w)
		}
		// "Mark everyone present" fills the form in; the trainer adjusts and saves.
		wantPage(t, "mark everyone present", tr.load("follow Mark everyone present", chromedp.Click(`//main//a[normalize-space()="Mark everyone present"]`)), http.StatusOK, day1)
		sel := "s-" + p.Cand.ID
		if v := tr.value(sel); v != "present" {
			t.Errorf("after Mark everyone present the status is %q", v)
		}
		tr.do("mark late", chromedp.SetValue(chromedp.ID(sel), "late"), chromedp.SetValue(chromedp.ID("m-"+p.Cand.ID), "300"))
		wantPage(t, "save the register", tr.load("save", chromedp.Click(`//main//form//button[@type="submit"]`)), http.StatusOK, "/teach/cohorts/"+cohortID)
		reg, err := env.App.Cohorts.Register(context.Background(), cohortID, 1)
		if err != nil || reg[p.Cand.ID].Status != "late" || reg[p.Cand.ID].MinutesAttended != 300 {
			t.Errorf("register after saving: %+v (%v)", reg[p.Cand.ID], err)
		}
	})
}
