// Package ce keeps a Certified Peer Specialist's continuing education (CE): the rule a certificate
// follows (data, not code: hours per cycle and minimums per category), the activities a holder
// records, their review by the vendor, progress per cycle, reminders before a cycle ends and the
// lapse of a certificate whose previous cycle ended without the rule met.
//
// Dates are Pennsylvania calendar dates. A certificate's cycles are counted from the date it was
// issued: cycle k runs from issue date + k×CycleMonths (included) to issue date + (k+1)×CycleMonths
// (excluded), so an activity on a cycle's last day counts for it and one on the next cycle's first day
// counts for the next.
package ce

import (
	"fmt"
	"math"
	"strconv"
	"time"
	_ "time/tzdata" // Pennsylvania dates also on hosts without zoneinfo

	"github.com/peeracademy/peeracademy/internal/padate"
)

// Category is what an activity is about.
type Category string

// Categories of CE.
const (
	PeerSupportRecovery Category = "peer_support_recovery"
	Ethics              Category = "ethics"
	General             Category = "general"
)

// Categories lists every category, in the order they are shown.
var Categories = []Category{PeerSupportRecovery, Ethics, General}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// Label is the category's name for people.
func (c Category) Label() string {
	switch c {
	case PeerSupportRecovery:
		return "peer support or recovery"
	case Ethics:
		return "ethics"
	case General:
		return "general"
	}
	return string(c)
}

// Rule is a CE requirement: TotalHours per cycle of CycleMonths, of which at least Minimums[c] in
// category c.
type Rule struct {
	ID          string               `json:"id"`
	Name        string               `json:"name"`
	CycleMonths int                  `json:"cycle_months"`
	TotalHours  float64              `json:"total_hours"`
	Minimums    map[Category]float64 `json:"minimums"`
}

// The rules PeerAcademy knows.
var (
	// Annual18 is the program's rule: 18 hours a year, 12 of them on peer support or recovery.
	Annual18 = Rule{ID: "annual18", Name: "18 hours a year, 12 on peer support or recovery", CycleMonths: 12, TotalHours: 18,
		Minimums: map[Category]float64{PeerSupportRecovery: 12}}
	// Biennial36 is the newer rule: 36 hours per two-year cycle, 24 on peer support or recovery and 3 on ethics.
	Biennial36 = Rule{ID: "biennial36", Name: "36 hours every two years, 24 on peer support or recovery and 3 on ethics", CycleMonths: 24, TotalHours: 36,
		Minimums: map[Category]float64{PeerSupportRecovery: 24, Ethics: 3}}
	// Default is the rule new certificates follow unless the certificate service is told otherwise.
	Default = Annual18
)

// Rules lists the known rules. They are checked when the program starts (see Validate): a rule with
// impossible numbers stops every command rather than judging certificates.
var Rules = mustValidate(Annual18, Biennial36)

func mustValidate(rs ...Rule) []Rule {
	for _, r := range rs {
		if err := r.Validate(); err != nil {
			panic(err)
		}
	}
	return rs
}

// Validate checks a rule's numbers: an id, a cycle of 1 to 120 months, more than 0 hours in total,
// and minimums for known categories, each more than 0, adding up to no more than the total.
func (r Rule) Validate() error {
	if r.ID == "" {
		return fmt.Errorf("ce: a rule needs an id")
	}
	if r.CycleMonths < 1 || r.CycleMonths > 120 {
		return fmt.Errorf("ce: rule %s: a cycle of %d months (1 to 120)", r.ID, r.CycleMonths)
	}
	total := hundredths(r.TotalHours)
	if total < 1 {
		return fmt.Errorf("ce: rule %s: %s hours in total; more than 0 are needed", r.ID, FormatHours(total))
	}
	sum := 0
	for _, c := range Categories {
		sum += hundredths(r.Minimums[c])
	}
	for c, h := range r.Minimums {
		if !c.Valid() {
			return fmt.Errorf("ce: rule %s: a minimum for the unknown category %q", r.ID, c)
		}
		if hundredths(h) < 1 {
			return fmt.Errorf("ce: rule %s: a minimum of %s hours of %s; leave out a category without one", r.ID, FormatHours(hundredths(h)), c.Label())
		}
	}
	if sum > total {
		return fmt.Errorf("ce: rule %s: the minimums add up to %s hours, more than the %s in total", r.ID, FormatHours(sum), FormatHours(total))
	}
	return nil
}

// RuleByID finds a known rule.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Activity statuses.
const (
	StatusSubmitted = "submitted" // recorded by the holder, waiting for the vendor's review
	StatusVerified  = "verified"  // counts toward the rule
	StatusRejected  = "rejected"  // does not count
)

// Progress is a certificate's standing in one cycle. Only verified activities count.
type Progress struct {
	RuleID   string               `json:"rule_id"`
	Start    time.Time            `json:"start"` // first day of the cycle (a date, midnight UTC)
	End      time.Time            `json:"end"`   // first day of the next cycle (excluded)
	Hours    map[Category]float64 `json:"hours"` // verified hours by category
	Total    float64              `json:"total"` // verified hours
	Pending  float64              `json:"pending"`
	Required float64              `json:"required"`
	Minimums map[Category]float64 `json:"minimums"`
	Met      bool                 `json:"met"`
	Unmet    []string             `json:"unmet,omitempty"` // what is missing, for people
}

// LastDay is the cycle's last day.
func (p Progress) LastDay() time.Time { return p.End.AddDate(0, 0, -1) }

// Period is the cycle's first and last days for people: "December 2, 2026 to December 1, 2027".
// Start and End are calendar dates held as midnight UTC; shifting them into a time zone west of UTC
// would show each one a day early, so they are written as they are.
func (p Progress) Period() string { return FormatDate(p.Start) + " to " + FormatDate(p.LastDay()) }

// FormatDate writes a calendar date (midnight UTC, as Day returns) for people: "December 2, 2026".
func FormatDate(day time.Time) string { return day.UTC().Format("January 2, 2006") }

// Evaluate applies rule to the activities dated in the cycle that starts on cycleStart's calendar
// date and ends CycleMonths later (excluded). Only verified activities count; submitted ones are
// reported as Pending.
func Evaluate(rule Rule, activities []Activity, cycleStart time.Time) Progress {
	start := dateOf(cycleStart)
	return evaluate(rule, activities, start, AddMonths(start, rule.CycleMonths))
}

// evaluate is Evaluate over [start, end) given explicitly (cycle ends are counted from the anchor).
func evaluate(rule Rule, activities []Activity, start, end time.Time) Progress {
	p := Progress{RuleID: rule.ID, Start: start, End: end, Hours: map[Category]float64{}, Required: rule.TotalHours, Minimums: rule.Minimums}
	by := map[Category]int{}
	total, pending := 0, 0
	for _, a := range activities {
		d, ok := a.Day()
		if !ok || d.Before(start) || !d.Before(end) {
			continue
		}
		switch a.Status {
		case StatusVerified:
			by[a.Category] += a.Hundredths
			total += a.Hundredths
		case StatusSubmitted:
			pending += a.Hundredths
		}
	}
	for _, c := range Categories {
		p.Hours[c] = float64(by[c]) / 100
	}
	p.Total, p.Pending = float64(total)/100, float64(pending)/100
	if need := hundredths(rule.TotalHours); total < need {
		p.Unmet = append(p.Unmet, fmt.Sprintf("%s more in total (%s of %s)", hoursPhrase(need-total), FormatHours(total), FormatHours(need)))
	}
	for _, c := range Categories {
		if need := hundredths(rule.Minimums[c]); by[c] < need {
			p.Unmet = append(p.Unmet, fmt.Sprintf("%s more of %s (%s of %s)", hoursPhrase(need-by[c]), c.Label(), FormatHours(by[c]), FormatHours(need)))
		}
	}
	p.Met = len(p.Unmet) == 0
	return p
}

func hundredths(h float64) int { return int(math.Round(h * 100)) }

// CourseHundredths is the CE credit of a completed course of the given minutes, in hundredths of
// an hour, rounded down: a 50-minute course credits 0.83 hours, never more than was taught.
func CourseHundredths(minutes int) int { return minutes * 100 / 60 }

// FormatHoursOf formats hours given as a number ("7.5").
func FormatHoursOf(h float64) string { return FormatHours(hundredths(h)) }

// FormatHours writes hundredths of an hour for people: 1750 -> "17.5".
func FormatHours(hundredths int) string {
	return strconv.FormatFloat(float64(hundredths)/100, 'f', -1, 64)
}

func hoursPhrase(hundredths int) string {
	if hundredths == 100 {
		return "1 hour"
	}
	return FormatHours(hundredths) + " hours"
}

// ---- dates ----

// The Pennsylvania calendar lives in package padate; these names stay for the many callers.

// Pennsylvania is where CE dates are counted.
var Pennsylvania = padate.Location

// DateLayout is how dates are written and stored.
const DateLayout = padate.Layout

func dateOf(t time.Time) time.Time { return padate.DateOf(t) }

// Day is the Pennsylvania calendar date of the instant t, as midnight UTC (padate.Day).
func Day(t time.Time) time.Time { return padate.Day(t) }

// Midnight is the instant at which the Pennsylvania calendar date day begins (padate.Midnight).
func Midnight(day time.Time) time.Time { return padate.Midnight(day) }

// AddMonths adds calendar months to a date (padate.AddMonths).
func AddMonths(day time.Time, months int) time.Time { return padate.AddMonths(day, months) }

// Term is a certificate's CE terms: the rule, the issue date its cycles are counted from, and its
// current validity [From, Until) (dates).
type Term struct {
	Rule   Rule
	Anchor time.Time // issue date
	From   time.Time // first day of the current validity
	Until  time.Time // expiry date (first day no longer valid)
}

// cycle returns the start and end of cycle k.
func (t Term) cycle(k int) (time.Time, time.Time) {
	return AddMonths(t.Anchor, k*t.Rule.CycleMonths), AddMonths(t.Anchor, (k+1)*t.Rule.CycleMonths)
}

// index returns the index of the cycle that contains day (-1 before the anchor).
func (t Term) index(day time.Time) int {
	if t.Rule.CycleMonths <= 0 || day.Before(t.Anchor) {
		return -1
	}
	// Counted from the anchor: a few dozen cycles at most (the rules' cycles are 1 to 120 months).
	for k := 0; ; k++ {
		if _, e := t.cycle(k); day.Before(e) {
			return k
		}
	}
}

// Progress evaluates every cycle that starts within the current validity, oldest first.
func (t Term) Progress(activities []Activity) []Progress {
	var out []Progress
	if t.Rule.CycleMonths <= 0 {
		return nil
	}
	for k := max(t.index(t.From), 0); ; k++ {
		s, e := t.cycle(k)
		if !s.Before(t.Until) {
			break
		}
		if s.Before(t.From) {
			continue
		}
		out = append(out, evaluate(t.Rule, activities, s, e))
	}
	return out
}

// Current evaluates the cycle that contains day, and reports false before the anchor.
func (t Term) Current(activities []Activity, day time.Time) (Progress, bool) {
	k := t.index(day)
	if k < 0 {
		return Progress{}, false
	}
	s, e := t.cycle(k)
	return evaluate(t.Rule, activities, s, e), true
}

// Previous evaluates the latest cycle that ended more than grace before now, and reports false when
// no cycle has.
func (t Term) Previous(activities []Activity, now time.Time, grace time.Duration) (Progress, bool) {
	k := t.index(Day(now))
	for ; k >= 1; k-- {
		s, e := t.cycle(k - 1)
		if now.Sub(Midnight(e)) > grace {
			return evaluate(t.Rule, activities, s, e), true
		}
	}
	return Progress{}, false
}
