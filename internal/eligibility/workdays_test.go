package eligibility_test

import (
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/eligibility"
)

// The work-experience count at its edges. The window is 15 June 2023 .. 15 June 2026, both included.
func TestWorkDaysEdges(t *testing.T) {
	from, to := d("2023-06-15"), d("2026-06-15")
	hours := func(p eligibility.Position, h float64) eligibility.Position { p.HoursPerWeek = h; return p }
	tests := []struct {
		name string
		ps   []eligibility.Position
		want int
	}{
		{"none", nil, 0},
		{"a position ending before it starts does not stop the later ones", []eligibility.Position{pos("2025-02-01", "2025-01-01"), pos("2025-03-01", "2025-03-10")}, 10},
		{"a position without a start does not stop the later ones", []eligibility.Position{{HoursPerWeek: 20}, pos("2025-03-01", "2025-03-10")}, 10},
		{"a position before the window does not stop the later ones", []eligibility.Position{pos("2020-01-01", "2023-06-14"), pos("2025-03-01", "2025-03-10")}, 10},
		{"a position after the application does not stop the later ones", []eligibility.Position{pos("2026-06-16", ""), pos("2025-03-01", "2025-03-10")}, 10},
		{"a position without hours does not stop the later ones", []eligibility.Position{hours(pos("2024-01-01", ""), 0), pos("2025-03-01", "2025-03-10")}, 10},
		{"small positive weekly hours count", []eligibility.Position{hours(pos("2025-03-01", "2025-03-10"), 0.5)}, 10},
		{"negative weekly hours do not", []eligibility.Position{hours(pos("2025-03-01", "2025-03-10"), -20)}, 0},
		{"a one-day position", []eligibility.Position{pos("2025-03-01", "2025-03-01")}, 1},
		{"positions one day apart leave a gap", []eligibility.Position{pos("2025-03-01", "2025-03-10"), pos("2025-03-12", "2025-03-20")}, 19},
		{"positions back to back", []eligibility.Position{pos("2025-03-01", "2025-03-10"), pos("2025-03-11", "2025-03-20")}, 20},
		{"listed latest first", []eligibility.Position{pos("2025-03-12", "2025-03-20"), pos("2025-03-01", "2025-03-10")}, 19},
		{"a position inside another counts once", []eligibility.Position{pos("2025-01-01", "2025-12-31"), pos("2025-03-01", "2025-03-10")}, 365},
		{"three positions, the middle one bridging", []eligibility.Position{pos("2025-01-01", "2025-01-10"), pos("2025-01-05", "2025-01-20"), pos("2025-01-25", "2025-01-31")}, 27},
		{"starting the day after the application", []eligibility.Position{pos("2026-06-16", "")}, 0},
		{"starting on the application date", []eligibility.Position{pos("2026-06-15", "")}, 1},
		{"running past the application date", []eligibility.Position{pos("2026-06-01", "2026-12-31")}, 15},
		{"ending the day before the window", []eligibility.Position{pos("2020-01-01", "2023-06-14")}, 0},
		{"ending on the window's first day", []eligibility.Position{pos("2020-01-01", "2023-06-15")}, 1},
		{"ongoing since before the window", []eligibility.Position{pos("2020-01-01", "")}, 1097},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eligibility.WorkDays(tt.ps, from, to); got != tt.want {
				t.Errorf("WorkDays = %d, want %d", got, tt.want)
			}
		})
	}
}

// Credits and age at their edges, through Evaluate (application date 15 June 2026).
func TestEvaluateEdges(t *testing.T) {
	asOf := d("2026-06-15")
	tests := []struct {
		name    string
		edit    func(*eligibility.Facts)
		unmet   []string
		credits float64
	}{
		{"24 credits on the application date", func(f *eligibility.Facts) { f.Courses = []eligibility.Course{course("2026-06-15", 24)} }, nil, 24},
		{"24 credits the day after the application", func(f *eligibility.Facts) { f.Courses = []eligibility.Course{course("2026-06-16", 24)} }, []string{eligibility.ReqExperience}, 0},
		{"24 credits on the window's first day", func(f *eligibility.Facts) { f.Courses = []eligibility.Course{course("2023-06-15", 24)} }, nil, 24},
		{"24 credits the day before the window", func(f *eligibility.Facts) { f.Courses = []eligibility.Course{course("2023-06-14", 24)} }, []string{eligibility.ReqExperience}, 0},
		{"23.99 credits", func(f *eligibility.Facts) { f.Courses = []eligibility.Course{course("2025-06-15", 23.99)} }, []string{eligibility.ReqExperience}, 23.99},
		{"credits add up across courses", func(f *eligibility.Facts) {
			f.Courses = []eligibility.Course{course("2025-01-15", 12.5), course("2025-06-15", 11.5)}
		}, nil, 24},
		{"a course that does not count does not stop the later ones", func(f *eligibility.Facts) {
			f.Courses = []eligibility.Course{course("2023-06-14", 30), course("2026-06-16", 30), {Credits: 30}, course("2025-06-15", -3), course("2025-01-15", 24)}
		}, nil, 24},
		{"negative and zero credits and undated courses do not count", func(f *eligibility.Facts) {
			f.Courses = []eligibility.Course{course("2025-01-15", 24), course("2025-06-15", -3), course("2025-06-15", 0), {Credits: 30}}
		}, nil, 24},
		{"365 days of work", func(f *eligibility.Facts) { f.Positions = []eligibility.Position{pos("2025-06-16", "")} }, nil, 0},
		{"364 days of work and 23 credits", func(f *eligibility.Facts) {
			f.Positions = []eligibility.Position{pos("2025-06-17", "")}
			f.Courses = []eligibility.Course{course("2025-06-15", 23)}
		}, []string{eligibility.ReqExperience}, 23},
		{"18 on the application date", func(f *eligibility.Facts) {
			f.DateOfBirth = d("2008-06-15")
			f.Courses = []eligibility.Course{course("2025-06-15", 24)}
		}, nil, 24},
		{"18 the day after", func(f *eligibility.Facts) {
			f.DateOfBirth = d("2008-06-16")
			f.Courses = []eligibility.Course{course("2025-06-15", 24)}
		}, []string{eligibility.ReqAge}, 24},
		{"no date of birth", func(f *eligibility.Facts) {
			f.DateOfBirth = d("0001-01-01")
			f.Courses = []eligibility.Course{course("2025-06-15", 24)}
		}, []string{eligibility.ReqAge}, 24},
		{"everything missing", func(f *eligibility.Facts) { *f = eligibility.Facts{Attestation: "   "} }, []string{
			eligibility.ReqAge, eligibility.ReqEducation, eligibility.ReqExperience, eligibility.ReqSelfIdentifies, eligibility.ReqAttestation, eligibility.ReqConsent}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.edit(&f)
			res := eligibility.Evaluate(f, asOf)
			var got []string
			for _, u := range res.Unmet {
				got = append(got, u.Code)
				if !res.Has(u.Code) {
					t.Errorf("Has(%s) is false", u.Code)
				}
			}
			if len(got) != len(tt.unmet) || res.Eligible != (len(tt.unmet) == 0) || res.Credits != tt.credits {
				t.Fatalf("unmet %v, eligible %v, credits %v; want %v, %v", got, res.Eligible, res.Credits, tt.unmet, tt.credits)
			}
			for i := range got {
				if got[i] != tt.unmet[i] {
					t.Errorf("unmet %v, want %v", got, tt.unmet)
				}
			}
			if res.Has("nothing") {
				t.Error("Has reports an unknown code")
			}
		})
	}
}

// AdultOn is a calendar date (midnight UTC), whatever the time and zone of the birth date given.
func TestAdultOn(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for dob, want := range map[time.Time]time.Time{
		d("2008-06-15"): d("2026-06-15"),
		d("2008-02-29"): d("2026-03-01"),
		time.Date(2008, 6, 15, 23, 30, 15, 5, ny): d("2026-06-15"),
	} {
		if got := eligibility.AdultOn(dob); !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("AdultOn(%s) = %s, want %s", dob, got, want)
		}
	}
}
