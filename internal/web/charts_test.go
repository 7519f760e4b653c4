package web

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/report"
)

// wellFormed checks that a chart is well-formed markup without inline styles, and returns its text.
func wellFormed(t *testing.T, name, out string) string {
	t.Helper()
	if strings.Contains(out, "style=") {
		t.Errorf("%s: an inline style attribute (the CSP blocks it)", name)
	}
	d := xml.NewDecoder(strings.NewReader(out))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("%s: not well-formed: %v\n%s", name, err, out)
		}
	}
	return out
}

func TestChartsAreWellFormedAndScaled(t *testing.T) {
	pass, err := passRateChart([]report.CohortExam{{Name: `Spring <"A">`, Attempts: 4, Passed: 3}, {Name: "Fall", Attempts: 2, Passed: 0}})
	if err != nil {
		t.Fatal(err)
	}
	out := wellFormed(t, "pass rate", string(pass))
	// 75% of a 204-unit plot is 153 high; 0% is a zero-height bar.
	if !strings.Contains(out, `height="153"`) || !strings.Contains(out, `height="0"`) || !strings.Contains(out, "Spring &lt;&#34;A&#34;&gt;") || !strings.Contains(out, "75% (3 of 4)") {
		t.Errorf("pass-rate chart:\n%s", out)
	}
	items, err := itemScatter([]exam.ItemStat{
		{ItemID: "good", N: 10, P: 0.5, Discrimination: 0.45, Defined: true},
		{ItemID: "flawed", N: 10, P: 0.8, Discrimination: -0.1, Defined: true},
		{ItemID: "unused"},
	})
	if err != nil {
		t.Fatal(err)
	}
	out = wellFormed(t, "items", string(items))
	if strings.Count(out, "<circle") != 2 || !strings.Contains(out, `<circle class="chart-point chart-err"`) || !strings.Contains(out, `<th scope="row">flawed</th><td>0.80</td><td>-0.10 <span class="muted">(low)</span>`) {
		t.Errorf("item scatter:\n%s", out)
	}
	ms := []report.MonthCount{{Month: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Count: 2}, {Month: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}}
	month, err := perMonthChart(ms)
	if err != nil {
		t.Fatal(err)
	}
	if out := wellFormed(t, "per month", string(month)); !strings.Contains(out, `<th scope="row">Nov 2026</th><td>2</td>`) || !strings.Contains(out, ">Dec</text>") {
		t.Errorf("per-month chart:\n%s", out)
	}
	st, err := ceStandingChart(report.CEStanding{OnTrack: 3, AtRisk: 1})
	if err != nil {
		t.Fatal(err)
	}
	wellFormed(t, "CE standing", string(st))
}
