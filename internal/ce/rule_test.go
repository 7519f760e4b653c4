package ce_test

import (
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/ce"
)

func act(date string, hours float64, c ce.Category, status string) ce.Activity {
	return ce.Activity{Date: date, Hundredths: int(hours*100 + 0.5), Category: c, Status: status}
}

func verified(date string, hours float64, c ce.Category) ce.Activity {
	return act(date, hours, c, ce.StatusVerified)
}

func day(s string) time.Time {
	d, err := time.Parse(ce.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestEvaluate(t *testing.T) {
	const start = "2027-03-14" // annual cycle: 2027-03-14 .. 2028-03-13; biennial: .. 2029-03-13
	peer, ethics, general := ce.PeerSupportRecovery, ce.Ethics, ce.General
	cases := []struct {
		name      string
		rule      ce.Rule
		acts      []ce.Activity
		met       bool
		total     float64
		unmet     []string // substrings, in order
		wantHours map[ce.Category]float64
	}{
		{name: "17.5 hours in total is not enough", rule: ce.Annual18,
			acts: []ce.Activity{verified("2027-04-01", 12, peer), verified("2027-05-01", 5.5, general)},
			met:  false, total: 17.5, unmet: []string{"0.5 hours more in total (17.5 of 18)"}},
		{name: "12 peer + 5 general = 17 is not enough", rule: ce.Annual18,
			acts: []ce.Activity{verified("2027-04-01", 12, peer), verified("2027-06-01", 5, general)},
			met:  false, total: 17, unmet: []string{"1 hour more in total (17 of 18)"}},
		{name: "12 peer + 6 general = 18 is met", rule: ce.Annual18,
			acts: []ce.Activity{verified("2027-04-01", 6, peer), verified("2027-04-02", 6, peer), verified("2027-06-01", 6, general)},
			met:  true, total: 18, wantHours: map[ce.Category]float64{peer: 12, general: 6, ethics: 0}},
		{name: "18 hours but only 11 on peer support", rule: ce.Annual18,
			acts: []ce.Activity{verified("2027-04-01", 11, peer), verified("2027-06-01", 7, general)},
			met:  false, total: 18, unmet: []string{"1 hour more of peer support or recovery (11 of 12)"}},
		{name: "first and last day count, the next cycle's first day does not", rule: ce.Annual18,
			acts: []ce.Activity{verified("2027-03-14", 6, peer), verified("2028-03-13", 6, peer), verified("2027-03-13", 6, general),
				verified("2028-03-14", 6, general), verified("2027-09-01", 5, general)},
			met: false, total: 17, unmet: []string{"1 hour more in total"}},
		{name: "boundary hours make it met", rule: ce.Annual18,
			acts: []ce.Activity{verified("2027-03-14", 6, peer), verified("2028-03-13", 6, peer), verified("2027-09-01", 6, general)},
			met:  true, total: 18},
		{name: "biennial with ethics short by one hour", rule: ce.Biennial36,
			acts: []ce.Activity{verified("2027-05-01", 24, peer), verified("2028-01-10", 2, ethics), verified("2028-06-01", 10, general)},
			met:  false, total: 36, unmet: []string{"1 hour more of ethics (2 of 3)"}},
		{name: "biennial met exactly", rule: ce.Biennial36,
			acts: []ce.Activity{verified("2027-05-01", 24, peer), verified("2029-03-13", 3, ethics), verified("2028-06-01", 9, general)},
			met:  true, total: 36},
		{name: "biennial: everything short", rule: ce.Biennial36,
			acts: []ce.Activity{verified("2027-05-01", 10, peer)},
			met:  false, total: 10, unmet: []string{"26 hours more in total (10 of 36)", "14 hours more of peer support or recovery (10 of 24)", "3 hours more of ethics (0 of 3)"}},
		{name: "unverified and rejected activities do not count", rule: ce.Annual18,
			acts: []ce.Activity{verified("2027-04-01", 12, peer), act("2027-05-01", 6, general, ce.StatusSubmitted), act("2027-05-02", 6, general, ce.StatusRejected)},
			met:  false, total: 12, unmet: []string{"6 hours more in total (12 of 18)"}},
		{name: "hundredths add up exactly", rule: ce.Annual18,
			acts: []ce.Activity{verified("2027-04-01", 12, peer), verified("2027-04-02", 1.1, general), verified("2027-04-03", 2.2, general),
				verified("2027-04-04", 2.7, general)},
			met: true, total: 18},
		{name: "nothing recorded", rule: ce.Annual18, met: false, total: 0,
			unmet: []string{"18 hours more in total (0 of 18)", "12 hours more of peer support or recovery (0 of 12)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := ce.Evaluate(tc.rule, tc.acts, day(start))
			if p.Met != tc.met || p.Total != tc.total {
				t.Fatalf("met=%v total=%v, want met=%v total=%v (unmet %q)", p.Met, p.Total, tc.met, tc.total, p.Unmet)
			}
			if len(p.Unmet) < len(tc.unmet) {
				t.Fatalf("unmet %q, want %q", p.Unmet, tc.unmet)
			}
			for i, want := range tc.unmet {
				if !strings.Contains(p.Unmet[i], want) {
					t.Errorf("unmet[%d] = %q, want %q", i, p.Unmet[i], want)
				}
			}
			if tc.met && len(p.Unmet) != 0 {
				t.Errorf("met but unmet %q", p.Unmet)
			}
			for c, h := range tc.wantHours {
				if p.Hours[c] != h {
					t.Errorf("hours[%s] = %v, want %v", c, p.Hours[c], h)
				}
			}
		})
	}
}

func TestEvaluatePendingAndDates(t *testing.T) {
	p := ce.Evaluate(ce.Annual18, []ce.Activity{act("2027-04-01", 2.5, ce.General, ce.StatusSubmitted)}, time.Date(2027, 3, 14, 22, 0, 0, 0, time.UTC))
	if p.Pending != 2.5 || p.Total != 0 {
		t.Fatalf("pending %v total %v", p.Pending, p.Total)
	}
	if got := p.Start.Format(ce.DateLayout) + ".." + p.LastDay().Format(ce.DateLayout); got != "2027-03-14..2028-03-13" {
		t.Fatalf("cycle %s", got)
	}
}

func TestTermCycles(t *testing.T) {
	// Issued 2027-03-14, valid two years, annual rule: two cycles.
	term := ce.Term{Rule: ce.Annual18, Anchor: day("2027-03-14"), From: day("2027-03-14"), Until: day("2029-03-14")}
	ps := term.Progress([]ce.Activity{verified("2028-03-13", 18, ce.PeerSupportRecovery), verified("2028-03-14", 12, ce.PeerSupportRecovery), verified("2029-03-13", 6, ce.General)})
	if len(ps) != 2 {
		t.Fatalf("%d cycles", len(ps))
	}
	if !ps[0].Met || ps[0].Total != 18 || !ps[1].Met || ps[1].Total != 18 {
		t.Fatalf("cycles: %+v", ps)
	}
	if ps[1].Start != day("2028-03-14") || ps[1].End != day("2029-03-14") {
		t.Fatalf("second cycle %s..%s", ps[1].Start, ps[1].End)
	}
	// Renewed: the current validity is the second term; its cycles continue from the anchor.
	renewed := ce.Term{Rule: ce.Annual18, Anchor: day("2027-03-14"), From: day("2029-03-14"), Until: day("2031-03-14")}
	ps = renewed.Progress(nil)
	if len(ps) != 2 || ps[0].Start != day("2029-03-14") || ps[1].End != day("2031-03-14") {
		t.Fatalf("renewed cycles: %+v", ps)
	}
	// Biennial: one cycle per validity.
	if ps := (ce.Term{Rule: ce.Biennial36, Anchor: day("2027-03-14"), From: day("2027-03-14"), Until: day("2029-03-14")}).Progress(nil); len(ps) != 1 {
		t.Fatalf("biennial: %d cycles", len(ps))
	}
	// Issued on 29 February: cycles still tile without gaps or overlaps.
	leap := ce.Term{Rule: ce.Annual18, Anchor: day("2028-02-29"), From: day("2028-02-29"), Until: day("2034-02-28")}
	ps = leap.Progress(nil)
	for i := 1; i < len(ps); i++ {
		if ps[i].Start != ps[i-1].End {
			t.Fatalf("gap between cycles %d and %d: %s vs %s", i-1, i, ps[i-1].End, ps[i].Start)
		}
	}
	cur, ok := term.Current(nil, day("2028-03-14"))
	if !ok || cur.Start != day("2028-03-14") {
		t.Fatalf("current on the second cycle's first day: %+v", cur)
	}
	cur, _ = term.Current(nil, day("2028-03-13"))
	if cur.Start != day("2027-03-14") {
		t.Fatalf("current on the first cycle's last day: %+v", cur)
	}
	if _, ok := term.Current(nil, day("2027-03-13")); ok {
		t.Fatal("a cycle before the issue date")
	}
}

func TestPreviousCycleAndGrace(t *testing.T) {
	term := ce.Term{Rule: ce.Annual18, Anchor: day("2027-03-14"), From: day("2027-03-14"), Until: day("2029-03-14")}
	end := ce.Midnight(day("2028-03-14"))
	grace := 30 * 24 * time.Hour
	if _, ok := term.Previous(nil, end.Add(grace), grace); ok {
		t.Fatal("previous cycle reported exactly at the end of the grace period")
	}
	p, ok := term.Previous(nil, end.Add(grace+time.Second), grace)
	if !ok || p.Start != day("2027-03-14") || p.Met {
		t.Fatalf("previous after grace: %+v %v", p, ok)
	}
	if _, ok := term.Previous(nil, end.Add(-time.Hour), 0); ok {
		t.Fatal("a cycle that has not ended")
	}
}

func TestRules(t *testing.T) {
	if ce.Default.ID != ce.Annual18.ID {
		t.Fatal("the program's default is the annual 18-hour rule")
	}
	for _, r := range ce.Rules {
		got, ok := ce.RuleByID(r.ID)
		if !ok || got.ID != r.ID {
			t.Fatalf("rule %s not found", r.ID)
		}
	}
	if ce.Annual18.CycleMonths != 12 || ce.Annual18.TotalHours != 18 || ce.Annual18.Minimums[ce.PeerSupportRecovery] != 12 {
		t.Fatalf("annual: %+v", ce.Annual18)
	}
	if ce.Biennial36.CycleMonths != 24 || ce.Biennial36.TotalHours != 36 || ce.Biennial36.Minimums[ce.PeerSupportRecovery] != 24 || ce.Biennial36.Minimums[ce.Ethics] != 3 {
		t.Fatalf("biennial: %+v", ce.Biennial36)
	}
	if _, ok := ce.RuleByID("nope"); ok {
		t.Fatal("unknown rule found")
	}
}

// A certificate issued in the afternoon of December 2 in Pennsylvania (already evening in UTC) has a
// first cycle from December 2 to December 1 of the next year, written without a time-zone shift.
func TestCyclePeriodIsThePennsylvaniaDates(t *testing.T) {
	issued := time.Date(2026, 12, 2, 21, 30, 0, 0, time.UTC) // 4:30 PM in Pennsylvania
	expires := time.Date(2028, 12, 3, 5, 0, 0, 0, time.UTC)  // midnight starting December 3 in Pennsylvania
	ps := ce.TermOf(ce.Annual18.ID, issued, issued, expires).Progress(nil)
	if len(ps) == 0 {
		t.Fatal("no cycles")
	}
	if got, want := ps[0].Period(), "December 2, 2026 to December 1, 2027"; got != want {
		t.Fatalf("first cycle %q, want %q", got, want)
	}
	// Late in the evening in Pennsylvania it is already the next day in UTC: still December 2.
	late := time.Date(2026, 12, 3, 4, 30, 0, 0, time.UTC)
	if got := ce.FormatDate(ce.Day(late)); got != "December 2, 2026" {
		t.Fatalf("issue day %q", got)
	}
}
