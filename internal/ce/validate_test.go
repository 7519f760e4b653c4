package ce_test

import (
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/ce"
)

// A rule's numbers are checked before any certificate is judged by it; the known rules pass.
func TestRuleValidate(t *testing.T) {
	for _, r := range ce.Rules {
		if err := r.Validate(); err != nil {
			t.Errorf("known rule: %v", err)
		}
	}
	ok := func(edit func(*ce.Rule)) ce.Rule {
		r := ce.Rule{ID: "r", CycleMonths: 12, TotalHours: 18, Minimums: map[ce.Category]float64{ce.PeerSupportRecovery: 12}}
		edit(&r)
		return r
	}
	tests := []struct {
		name string
		rule ce.Rule
		want string // "" when valid
	}{
		{"the annual rule's shape", ok(func(*ce.Rule) {}), ""},
		{"one-month cycle", ok(func(r *ce.Rule) { r.CycleMonths = 1 }), ""},
		{"ten-year cycle", ok(func(r *ce.Rule) { r.CycleMonths = 120 }), ""},
		{"no minimums", ok(func(r *ce.Rule) { r.Minimums = nil }), ""},
		{"minimums equal to the total", ok(func(r *ce.Rule) { r.Minimums = map[ce.Category]float64{ce.PeerSupportRecovery: 15, ce.Ethics: 3} }), ""},
		{"smallest hours", ok(func(r *ce.Rule) { r.TotalHours = 0.01; r.Minimums = map[ce.Category]float64{ce.Ethics: 0.01} }), ""},
		{"no id", ok(func(r *ce.Rule) { r.ID = "" }), "ce: a rule needs an id"},
		{"zero-month cycle", ok(func(r *ce.Rule) { r.CycleMonths = 0 }), "ce: rule r: a cycle of 0 months (1 to 120)"},
		{"negative cycle", ok(func(r *ce.Rule) { r.CycleMonths = -12 }), "ce: rule r: a cycle of -12 months (1 to 120)"},
		{"cycle too long", ok(func(r *ce.Rule) { r.CycleMonths = 121 }), "ce: rule r: a cycle of 121 months (1 to 120)"},
		{"no hours", ok(func(r *ce.Rule) { r.TotalHours = 0; r.Minimums = nil }), "ce: rule r: 0 hours in total; more than 0 are needed"},
		{"negative hours", ok(func(r *ce.Rule) { r.TotalHours = -1; r.Minimums = nil }), "ce: rule r: -1 hours in total; more than 0 are needed"},
		{"minimums above the total", ok(func(r *ce.Rule) { r.Minimums = map[ce.Category]float64{ce.PeerSupportRecovery: 15, ce.Ethics: 3.01} }),
			"ce: rule r: the minimums add up to 18.01 hours, more than the 18 in total"},
		{"one minimum above the total", ok(func(r *ce.Rule) { r.Minimums = map[ce.Category]float64{ce.General: 18.5} }),
			"ce: rule r: the minimums add up to 18.5 hours, more than the 18 in total"},
		{"zero minimum", ok(func(r *ce.Rule) { r.Minimums = map[ce.Category]float64{ce.Ethics: 0} }),
			"ce: rule r: a minimum of 0 hours of ethics; leave out a category without one"},
		{"negative minimum", ok(func(r *ce.Rule) { r.Minimums = map[ce.Category]float64{ce.Ethics: -3} }),
			"ce: rule r: a minimum of -3 hours of ethics; leave out a category without one"},
		{"unknown category", ok(func(r *ce.Rule) { r.Minimums = map[ce.Category]float64{"astrology": 3} }),
			`ce: rule r: a minimum for the unknown category "astrology"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rule.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCategories(t *testing.T) {
	want := map[ce.Category]string{ce.PeerSupportRecovery: "peer support or recovery", ce.Ethics: "ethics", ce.General: "general", "other_thing": "other_thing"}
	for c, label := range want {
		if got := c.Label(); got != label {
			t.Errorf("%q.Label() = %q, want %q", c, got, label)
		}
		if got := c.Valid(); got != (c != "other_thing") {
			t.Errorf("%q.Valid() = %v", c, got)
		}
	}
}

// A term whose rule has no cycle length has no cycles (rather than dividing by zero or looping).
func TestTermWithoutCycles(t *testing.T) {
	term := ce.Term{Rule: ce.Rule{ID: "broken"}, Anchor: day("2027-03-14"), From: day("2027-03-14"), Until: day("2029-03-14")}
	if p, ok := term.Current(nil, day("2028-01-01")); ok {
		t.Errorf("current cycle of a rule without cycles: %+v", p)
	}
}

// The current cycle is found however far the day lies from the issue date, on its first and last day.
func TestTermCurrentFarFromAnchor(t *testing.T) {
	term := ce.Term{Rule: ce.Biennial36, Anchor: day("2027-03-14"), From: day("2027-03-14"), Until: day("2029-03-14")}
	for d, start := range map[string]string{
		"2027-03-14": "2027-03-14",
		"2029-03-13": "2027-03-14",
		"2029-03-14": "2029-03-14",
		"2067-03-13": "2065-03-14",
		"2067-03-14": "2067-03-14",
	} {
		p, ok := term.Current(nil, day(d))
		if !ok || p.Start != day(start) || p.End != ce.AddMonths(day(start), 24) {
			t.Errorf("current on %s: %s..%s %v, want from %s", d, p.Start.Format(ce.DateLayout), p.End.Format(ce.DateLayout), ok, start)
		}
	}
}

// Dates are Pennsylvania calendar dates; a cycle's progress is stated in words people read.
func TestDatesAndWording(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ce.Midnight(day("2027-03-14")), time.Date(2027, 3, 14, 5, 0, 0, 0, time.UTC); !got.Equal(want) || got.Location().String() != ny.String() {
		t.Errorf("Midnight = %s, want %s in New York", got, want)
	}
	if got := ce.Day(time.Date(2027, 3, 15, 3, 59, 59, 0, time.UTC)); got != day("2027-03-14") {
		t.Errorf("Day before midnight in New York = %s", got)
	}
	if got := ce.Day(time.Date(2027, 3, 15, 4, 0, 0, 0, time.UTC)); got != day("2027-03-15") {
		t.Errorf("Day at midnight in New York = %s", got)
	}
	p := ce.Evaluate(ce.Annual18, []ce.Activity{verified("2027-04-01", 11, ce.PeerSupportRecovery), verified("2027-04-02", 6, ce.General)}, time.Date(2027, 3, 14, 23, 0, 0, 0, ny))
	want := []string{"1 hour more in total (17 of 18)", "1 hour more of peer support or recovery (11 of 12)"}
	if len(p.Unmet) != 2 || p.Unmet[0] != want[0] || p.Unmet[1] != want[1] || p.Met {
		t.Errorf("unmet %q, want %q", p.Unmet, want)
	}
	if p.Start != day("2027-03-14") || p.End != day("2028-03-14") {
		t.Errorf("cycle %s..%s", p.Start, p.End)
	}
	for h, want := range map[int]string{1750: "17.5", 1800: "18", 5: "0.05", 0: "0"} {
		if got := ce.FormatHours(h); got != want {
			t.Errorf("FormatHours(%d) = %q, want %q", h, got, want)
		}
	}
}

// The shortest legal cycle, one month, has cycles like any other.
func TestTermMonthlyCycles(t *testing.T) {
	monthly := ce.Rule{ID: "monthly", CycleMonths: 1, TotalHours: 1}
	if err := monthly.Validate(); err != nil {
		t.Fatal(err)
	}
	term := ce.Term{Rule: monthly, Anchor: day("2027-03-14"), From: day("2027-03-14"), Until: day("2027-06-14")}
	ps := term.Progress(nil)
	if len(ps) != 3 || ps[0].Start != day("2027-03-14") || ps[2].End != day("2027-06-14") {
		t.Errorf("monthly cycles: %+v", ps)
	}
	if p, ok := term.Current(nil, day("2027-05-13")); !ok || p.Start != day("2027-04-14") {
		t.Errorf("current monthly cycle: %+v, %v", p, ok)
	}
}

// A completed course credits its minutes as hours, in hundredths, rounded down.
func TestCourseHundredths(t *testing.T) {
	for minutes, want := range map[int]int{0: 0, 1: 1, 50: 83, 59: 98, 60: 100, 90: 150, 180: 300} {
		if got := ce.CourseHundredths(minutes); got != want {
			t.Errorf("CourseHundredths(%d) = %d, want %d", minutes, got, want)
		}
	}
}
