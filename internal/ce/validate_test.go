package ce_test

import (
	"testing"

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
