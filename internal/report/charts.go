package report

import (
	"context"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/ce"
)

// Bands is how many score bands (of 10 percentage points) a score distribution has.
const Bands = 10

// CohortExam is one cohort's finished written-exam attempts: how many, how many passed, and how
// the scores spread over Bands bands (0–9 %, 10–19 %, … 90–100 %).
type CohortExam struct {
	CohortID string     `json:"cohort_id"`
	Name     string     `json:"name"`
	Attempts int        `json:"attempts"`
	Passed   int        `json:"passed"`
	Scores   [Bands]int `json:"scores"`
	first    time.Time  // the cohort's creation, for ordering
}

// PassRate is the share of finished attempts that passed, in percent (0 without attempts).
func (c CohortExam) PassRate() float64 {
	if c.Attempts == 0 {
		return 0
	}
	return 100 * float64(c.Passed) / float64(c.Attempts)
}

// ForCohortExams lists the vendor's cohorts that have finished written-exam attempts, oldest cohort
// first, with their pass rate and score distribution. Attempts without a cohort (a gate override
// before enrolment) are left out.
func ForCohortExams(ctx context.Context, db bun.IDB, vendorID string) ([]CohortExam, error) {
	var rows []struct {
		ID      string    `bun:"id"`
		Name    string    `bun:"name"`
		Created time.Time `bun:"created_at"`
		Percent *float64  `bun:"percent"`
		Passed  *bool     `bun:"passed"`
	}
	err := db.NewRaw(`SELECT c.id, c.name, c.created_at, a.percent, a.passed FROM exam_attempts AS a JOIN cohorts AS c ON c.id = a.cohort_id
WHERE a.vendor_id = ? AND c.vendor_id = ? AND a.status <> 'open'`, vendorID, vendorID).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	by := map[string]*CohortExam{}
	for _, r := range rows {
		x := by[r.ID]
		if x == nil {
			x = &CohortExam{CohortID: r.ID, Name: r.Name, first: r.Created}
			by[r.ID] = x
		}
		x.Attempts++
		if r.Passed != nil && *r.Passed {
			x.Passed++
		}
		pct := 0.0
		if r.Percent != nil {
			pct = *r.Percent
		}
		x.Scores[Band(pct)]++
	}
	out := make([]CohortExam, 0, len(by))
	for _, c := range by {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].first.Equal(out[j].first) {
			return out[i].first.Before(out[j].first)
		}
		return out[i].CohortID < out[j].CohortID
	})
	return out, nil
}

// Band is the score band of a percentage: 0 for 0–9.99 %, …, 9 for 90–100 %.
func Band(percent float64) int {
	b := int(percent / 10)
	return max(0, min(Bands-1, b))
}

// CE standings of a certificate holder.
const (
	StandingOnTrack = "on_track" // the current cycle's rule is met, or more than AtRiskDays are left
	StandingAtRisk  = "at_risk"  // the current cycle's rule is not met and AtRiskDays or fewer are left
	StandingLapsed  = "lapsed"   // the certificate is marked lapsed (a previous cycle ended unmet)
)

// AtRiskDays is when an unmet cycle puts a holder at risk: the first CE reminder goes out then.
const AtRiskDays = 60

// CEStanding counts the vendor's active, unexpired certificates by CE standing.
type CEStanding struct {
	OnTrack int `json:"on_track"`
	AtRisk  int `json:"at_risk"`
	Lapsed  int `json:"lapsed"`
}

// ForCEStanding evaluates each active, unexpired certificate of the vendor on the CE rule at now.
func ForCEStanding(ctx context.Context, db bun.IDB, vendorID string, now time.Time) (CEStanding, error) {
	var out CEStanding
	var cs []struct {
		ID        string     `bun:"id"`
		Rule      string     `bun:"ce_rule"`
		IssuedAt  time.Time  `bun:"issued_at"`
		ValidFrom time.Time  `bun:"valid_from"`
		ExpiresAt time.Time  `bun:"expires_at"`
		LapsedAt  *time.Time `bun:"lapsed_at"`
	}
	err := db.NewRaw(`SELECT id, ce_rule, issued_at, valid_from, expires_at, lapsed_at FROM certificates
WHERE vendor_id = ? AND status = 'active' AND expires_at > ? ORDER BY id`, vendorID, now.UTC()).Scan(ctx, &cs)
	if err != nil {
		return out, err
	}
	today := ce.Day(now)
	for _, c := range cs {
		if c.LapsedAt != nil {
			out.Lapsed++
			continue
		}
		acts, err := ce.Activities(ctx, db, c.ID)
		if err != nil {
			return out, err
		}
		p, ok := ce.TermOf(c.Rule, c.IssuedAt, c.ValidFrom, c.ExpiresAt).Current(acts, today)
		if ok && !p.Met && p.End.Sub(today) <= AtRiskDays*24*time.Hour {
			out.AtRisk++
		} else {
			out.OnTrack++
		}
	}
	return out, nil
}

// MonthCount is how many certificates were issued in one calendar month (Pennsylvania time).
type MonthCount struct {
	Month time.Time `json:"month"` // the first day of the month
	Count int       `json:"count"`
}

// ForCertificatesPerMonth counts the vendor's certificates by month of first issue, for the months
// months up to and including now's, oldest first (months without any count 0).
func ForCertificatesPerMonth(ctx context.Context, db bun.IDB, vendorID string, now time.Time, months int) ([]MonthCount, error) {
	loc := ce.Pennsylvania
	n := now.In(loc)
	first := time.Date(n.Year(), n.Month()-time.Month(months-1), 1, 0, 0, 0, 0, loc)
	var issued []time.Time
	if err := db.NewRaw(`SELECT issued_at FROM certificates WHERE vendor_id = ? AND issued_at >= ?`, vendorID, first.UTC()).Scan(ctx, &issued); err != nil {
		return nil, err
	}
	out := make([]MonthCount, months)
	for i := range out {
		out[i].Month = first.AddDate(0, i, 0)
	}
	for _, t := range issued {
		t = t.In(loc)
		i := (t.Year()-first.Year())*12 + int(t.Month()) - int(first.Month())
		if i >= 0 && i < months {
			out[i].Count++
		}
	}
	return out, nil
}
