package eligibility

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peeracademy/peeracademy/internal/padate"
)

// The Pennsylvania CPS eligibility rule in numbers.
const (
	MinimumAge       = 18  // years old on the application date
	WindowYears      = 3   // experience and credits count within this many years before the application date
	RequiredWorkDays = 365 // "12 months" of work or volunteer experience, as covered calendar days
	RequiredCredits  = 24  // post-secondary credit hours, the alternative to work experience
)

// Requirement codes, in the order Evaluate reports them.
const (
	ReqAge            = "age"
	ReqEducation      = "education"
	ReqExperience     = "experience"
	ReqSelfIdentifies = "self_identifies"
	ReqAttestation    = "attestation"
	ReqConsent        = "consent"
)

// Position is a job or volunteer role, paid or not, full or part time. Dates are calendar dates (only
// year, month and day are read); a zero End means the position is ongoing.
type Position struct {
	Start, End   time.Time
	HoursPerWeek float64
}

// Course is post-secondary coursework completed on a date.
type Course struct {
	Completed time.Time
	Credits   float64
}

// Facts are what the rule looks at. Dates are calendar dates: only year, month and day are read.
type Facts struct {
	DateOfBirth     time.Time // zero when not given
	HasDiplomaOrGED bool
	Positions       []Position
	Courses         []Course
	SelfIdentifies  bool
	Attestation     string
	Consent         bool
}

// Requirement is one unmet requirement: a stable code and a sentence a candidate understands.
type Requirement struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Result is the outcome of the rule. WorkDays and Credits are what counted toward the experience
// requirement (inside the window), for progress displays.
type Result struct {
	Eligible bool          `json:"eligible"`
	Unmet    []Requirement `json:"unmet"`
	WorkDays int           `json:"work_days"`
	Credits  float64       `json:"credits"`
}

// Has reports whether the requirement with code is unmet.
func (r Result) Has(code string) bool {
	for _, u := range r.Unmet {
		if u.Code == code {
			return true
		}
	}
	return false
}

// date drops the time of day, keeping t's calendar date (in t's own location) as UTC midnight.
func date(t time.Time) time.Time { return padate.DateOf(t) }

// Evaluate applies the Pennsylvania Certified Peer Specialist eligibility rule on the application
// date asOf (its calendar date in asOf's location: pass a time in America/New_York). A candidate is
// eligible with all of:
//
//   - 18 or older on the application date (someone born on 29 February turns 18 on 1 March in a
//     common year);
//   - a high-school diploma or a GED;
//   - within the three years before the application date ([asOf minus 3 years, asOf], both ends
//     included): at least 12 months (365 covered calendar days) of paid or volunteer work, full or
//     part time, where overlapping positions count once and only the part of a position inside the
//     window counts; OR at least 24 post-secondary credit hours completed in that window;
//   - openly self-identifies as a current or former recipient of mental-health services for a serious
//     mental illness or serious emotional disturbance, in recovery, with a statement in their own words;
//   - consent given.
//
// Positions with no hours per week, or ending before they start, do not count.
func Evaluate(in Facts, asOf time.Time) Result {
	today := date(asOf)
	var res Result

	if in.DateOfBirth.IsZero() {
		res.Unmet = append(res.Unmet, Requirement{ReqAge, "Enter your date of birth: you need to be 18 or older on the date you apply."})
	} else if adult := AdultOn(in.DateOfBirth); today.Before(adult) {
		res.Unmet = append(res.Unmet, Requirement{ReqAge, fmt.Sprintf("You need to be 18 or older on the date you apply. You can apply from %s.", adult.Format("January 2, 2006"))})
	}

	if !in.HasDiplomaOrGED {
		res.Unmet = append(res.Unmet, Requirement{ReqEducation, "You need a high-school diploma or a GED."})
	}

	windowStart := today.AddDate(-WindowYears, 0, 0)
	res.WorkDays = WorkDays(in.Positions, windowStart, today)
	hundredths := 0
	for _, c := range in.Courses {
		d := date(c.Completed)
		if c.Completed.IsZero() || d.Before(windowStart) || d.After(today) || c.Credits <= 0 {
			continue
		}
		hundredths += int(math.Round(c.Credits * 100))
	}
	res.Credits = float64(hundredths) / 100
	if res.WorkDays < RequiredWorkDays && hundredths < RequiredCredits*100 {
		res.Unmet = append(res.Unmet, Requirement{ReqExperience, fmt.Sprintf(
			"You need 12 months of work or volunteer experience in the last three years (you have %s), or 24 college credit hours (you have %s).",
			DescribeDays(res.WorkDays), FormatNumber(res.Credits))})
	}

	if !in.SelfIdentifies {
		res.Unmet = append(res.Unmet, Requirement{ReqSelfIdentifies, "Peer specialists are people who have received mental-health services (for a serious mental illness or a serious emotional disturbance), are in recovery, and are willing to say so openly. Confirm that this describes you."})
	}
	if strings.TrimSpace(in.Attestation) == "" {
		res.Unmet = append(res.Unmet, Requirement{ReqAttestation, "Tell us, in your own words, about your own experience of recovery."})
	}
	if !in.Consent {
		res.Unmet = append(res.Unmet, Requirement{ReqConsent, "You need to give your consent for the training organisation to review your application."})
	}
	res.Eligible = len(res.Unmet) == 0
	return res
}

// AdultOn returns the date someone born on dob turns 18. A 29 February birthday falls on 1 March in
// a common year (the person has certainly turned 18 by then).
func AdultOn(dob time.Time) time.Time {
	return date(dob).AddDate(MinimumAge, 0, 0) // AddDate normalises 29 February of a common year to 1 March
}

// WorkDays counts the calendar days in [from, to] (both included) covered by at least one position.
// Overlapping positions count once; an ongoing position (zero End) runs to `to`.
func WorkDays(ps []Position, from, to time.Time) int {
	from, to = date(from), date(to)
	type span struct{ a, b time.Time }
	var spans []span
	for _, p := range ps {
		if p.Start.IsZero() || p.HoursPerWeek <= 0 {
			continue
		}
		a, b := date(p.Start), to
		if !p.End.IsZero() {
			b = date(p.End)
		}
		if b.Before(a) {
			continue
		}
		if a.Before(from) {
			a = from
		}
		if b.After(to) {
			b = to
		}
		if b.Before(a) {
			continue // entirely outside the window
		}
		spans = append(spans, span{a, b})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].a.Before(spans[j].a) })
	days := 0
	var cur *span
	for i := range spans {
		s := spans[i]
		if cur != nil && !s.a.After(cur.b.AddDate(0, 0, 1)) {
			if s.b.After(cur.b) {
				cur.b = s.b
			}
			continue
		}
		if cur != nil {
			days += inclusiveDays(cur.a, cur.b)
		}
		cur = &s
	}
	if cur != nil {
		days += inclusiveDays(cur.a, cur.b)
	}
	return days
}

func inclusiveDays(a, b time.Time) int { return int(b.Sub(a).Hours()/24) + 1 }

// DescribeDays says a number of days in months and days for people: "9 months and 12 days",
// "1 month", "20 days", "none". A month is a twelfth of 365 days.
func DescribeDays(d int) string {
	if d <= 0 {
		return "none"
	}
	months := d * 12 / RequiredWorkDays
	rest := d - (months*RequiredWorkDays+6)/12
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return strconv.Itoa(n) + " " + unit + "s"
	}
	switch {
	case months == 0:
		return plural(rest, "day")
	case rest == 0:
		return plural(months, "month")
	}
	return plural(months, "month") + " and " + plural(rest, "day")
}

// FormatNumber writes a number with at most two decimals and no trailing zeros ("15", "23.5").
func FormatNumber(f float64) string {
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', 2, 64)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}
