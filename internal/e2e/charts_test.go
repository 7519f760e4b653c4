package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestChartsInTheBrowser opens the pages with charts and the exam administration's sections in a
// real browser: each passes load's checks (no CSP violation, nothing scrolling sideways at 390 px);
// the charts are drawn (bars with height, coloured by the stylesheet) and the tables beside them
// are there.
func TestChartsInTheBrowser(t *testing.T) {
	exe := chromiumPath(t)
	env, base := startApp(t, dbtest.SQLite)
	p, _ := env.Certified("chartsbrowser")
	var cohortID string
	if err := env.App.DB.NewSelect().Table("cohorts").Column("id").Where("vendor_id = ?", p.Vendor.ID).Scan(context.Background(), &cohortID); err != nil {
		t.Fatal(err)
	}
	b := signedIn(t, env, exe, base, p.Admin)
	for _, pg := range []struct{ path, query, chart string }{
		{"/vendor/certificates", "", "ce-standing"},
		{"/vendor/exam", "?section=results&cohort=" + cohortID, "pass-rate"},
		{"/vendor/exam", "?section=items", "items"},
		{"/vendor/exam", "", ""},
	} {
		wantPage(t, pg.path+pg.query, b.open(pg.path+pg.query), http.StatusOK, pg.path)
		if pg.chart == "" {
			continue
		}
		b.do("desktop width", chromedp.EmulateViewport(1280, 900))
		got := run(b, pg.chart+" chart", chromedp.Evaluate[[]float64](`(() => {
  const f = document.querySelector('figure[aria-labelledby="`+pg.chart+`-cap"]');
  if (!f) return [0, 0, 0];
  const svg = f.querySelector("svg").getBoundingClientRect();
  const rows = f.querySelectorAll("table tbody tr").length;
  const bar = f.querySelector("rect.chart-bar, circle.chart-point, rect.chart-flag-band");
  const fill = bar ? getComputedStyle(bar).fill : "";
  return [svg.width, rows, fill && fill !== "none" && fill !== "rgb(0, 0, 0)" ? 1 : 0];
})()`))
		if got[0] < 200 || got[1] < 1 || got[2] != 1 {
			t.Errorf("%s: chart %s width %.0f, table rows %.0f, styled %.0f", pg.path, pg.chart, got[0], got[1], got[2])
		}
	}
}
