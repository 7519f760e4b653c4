package e2e

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// navRows counts the rows the header's brand and top-level navigation items sit on: an item starts
// a new row when it begins below the bottom of every item before it.
const navRows = `(() => {
  const els = [document.querySelector(".brand"), ...document.querySelectorAll(".site-nav > ul > li")];
  const rects = els.map(e => e.getBoundingClientRect()).sort((a, b) => a.top - b.top);
  let rows = 0, bottom = -Infinity;
  for (const r of rects) { if (r.top >= bottom) { rows++; } bottom = Math.max(bottom, r.bottom); }
  return rows;
})()`

// TestNavigationFitsOneLine: a vendor administrator's navigation (the longest) sits on one line at
// 1280 px; its groups open without JavaScript and lead to their pages; at 390 px it still works (and
// load checks that nothing scrolls sideways).
func TestNavigationFitsOneLine(t *testing.T) {
	exe := chromiumPath(t)
	env, base := startApp(t, dbtest.SQLite)
	p := env.PassedWritten("navline")
	for _, u := range []struct {
		name  string
		group string
		link  string
		path  string
	}{
		{"vendor admin", "Exams", "Written exam", "/vendor/exam"},
		{"candidate", "Exams", "Oral exam", "/oral"},
	} {
		who := p.Admin
		if u.name == "candidate" {
			who = p.Cand
		}
		b := signedIn(t, env, exe, base, who)
		wantPage(t, u.name+" dashboard", b.open("/dashboard"), http.StatusOK, "/dashboard")
		// load's phone-width check has just run: measure at a desktop width, set explicitly.
		b.do("desktop width", chromedp.EmulateViewport(1280, 900))
		if rows := run(b, "navigation rows", chromedp.Evaluate[int](navRows)); rows != 1 {
			t.Errorf("%s: at 1280 px the header takes %d rows, want 1", u.name, rows)
		}
		b.do("open "+u.group, chromedp.Click(`//header//summary[normalize-space()="`+u.group+`"]`))
		wantPage(t, u.name+" "+u.link, b.load("follow "+u.link, chromedp.Click(`//header//a[normalize-space()="`+u.link+`"]`)), http.StatusOK, u.path)

		b.do("phone width", chromedp.EmulateViewport(phoneWidth, 844))
		wantPage(t, u.name+" dashboard on a phone", b.open("/dashboard"), http.StatusOK, "/dashboard")
		b.do("open "+u.group+" on a phone", chromedp.Click(`//header//summary[normalize-space()="`+u.group+`"]`))
		wantPage(t, u.name+" "+u.link+" on a phone", b.load("follow "+u.link+" on a phone", chromedp.Click(`//header//a[normalize-space()="`+u.link+`"]`)), http.StatusOK, u.path)
		b.do("desktop width", chromedp.EmulateReset())
	}
}
