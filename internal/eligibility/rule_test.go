package eligibility_test

import (
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/eligibility"
)

func d(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func pos(start, end string) eligibility.Position {
	p := eligibility.Position{Start: d(start), HoursPerWeek: 20}
	if end != "" {
		p.End = d(end)
	}
	return p
}

func course(completed string, credits float64) eligibility.Course {
	return eligibility.Course{Completed: d(completed), Credits: credits}
}

// base meets every requirement except experience, which each case supplies.
func base() eligibility.Facts {
	return eligibility.Facts{DateOfBirth: d("1990-01-01"), HasDiplomaOrGED: true, SelfIdentifies: true, Attestation: "In my own words.", Consent: true}
}

func TestEvaluate(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// The application date: 15 June 2026 in Pennsylvania; the window is 15 June 2023 .. 15 June 2026.
	asOf := time.Date(2026, 6, 15, 10, 0, 0, 0, ny)
	cases := []struct {
		name     string
		asOf     time.Time // zero: asOf
		edit     func(*eligibility.Facts)
		unmet    []string
		workDays int    // checked when non-zero
		message  string // a substring of the experience message, when given
	}{
		{name: "exactly 12 months", edit: func(f *eligibility.Facts) { f.Positions = []eligibility.Position{pos("2025-06-16", "2026-06-15")} }, workDays: 365},
		{name: "364 days", edit: func(f *eligibility.Facts) { f.Positions = []eligibility.Position{pos("2025-06-17", "2026-06-15")} },
			unmet: []string{eligibility.ReqExperience}, workDays: 364, message: "(you have 11 months and 29 days)"},
		{name: "overlapping positions reach 12 months counted once", edit: func(f *eligibility.Facts) {
			f.Positions = []eligibility.Position{pos("2025-01-01", "2025-08-01"), pos("2025-06-01", "2025-12-31")}
		}, workDays: 365},
		{name: "overlap is not double counted", edit: func(f *eligibility.Facts) {
			// 273 + 245 days separately, but only 304 distinct days.
			f.Positions = []eligibility.Position{pos("2025-01-01", "2025-09-30"), pos("2025-03-01", "2025-10-31")}
		}, unmet: []string{eligibility.ReqExperience}, workDays: 304},
		{name: "a position inside another counts nothing extra", edit: func(f *eligibility.Facts) {
			f.Positions = []eligibility.Position{pos("2025-01-01", "2025-12-30"), pos("2025-02-01", "2025-03-01")}
		}, unmet: []string{eligibility.ReqExperience}, workDays: 364},
		{name: "adjacent positions join", edit: func(f *eligibility.Facts) {
			f.Positions = []eligibility.Position{pos("2025-01-01", "2025-06-30"), pos("2025-07-01", "2025-12-31")}
		}, workDays: 365},
		{name: "started before the window: only the part inside counts (366 days, leap year)", edit: func(f *eligibility.Facts) {
			f.Positions = []eligibility.Position{pos("2020-01-01", "2024-06-14")}
		}, workDays: 366},
		{name: "four years of work, mostly before the window", edit: func(f *eligibility.Facts) {
			f.Positions = []eligibility.Position{pos("2020-01-01", "2024-06-12")}
		}, unmet: []string{eligibility.ReqExperience}, workDays: 364},
		{name: "ended before the window", edit: func(f *eligibility.Facts) { f.Positions = []eligibility.Position{pos("2019-01-01", "2023-06-14")} },
			unmet: []string{eligibility.ReqExperience}, message: "(you have none)"},
		{name: "ongoing position", edit: func(f *eligibility.Facts) { f.Positions = []eligibility.Position{pos("2025-06-16", "")} }, workDays: 365},
		{name: "ongoing position, too recent", edit: func(f *eligibility.Facts) { f.Positions = []eligibility.Position{pos("2025-07-01", "")} },
			unmet: []string{eligibility.ReqExperience}, workDays: 350},
		{name: "future position does not count", edit: func(f *eligibility.Facts) { f.Positions = []eligibility.Position{pos("2026-06-16", "2027-06-16")} },
			unmet: []string{eligibility.ReqExperience}},
		{name: "position with no hours does not count", edit: func(f *eligibility.Facts) {
			p := pos("2024-01-01", "")
			p.HoursPerWeek = 0
			f.Positions = []eligibility.Position{p}
		}, unmet: []string{eligibility.ReqExperience}},
		{name: "the message a candidate reads", edit: func(f *eligibility.Facts) {
			f.Positions = []eligibility.Position{pos("2025-09-03", "2026-06-15")}
			f.Courses = []eligibility.Course{course("2024-05-10", 9), course("2025-05-10", 6)}
		}, unmet: []string{eligibility.ReqExperience}, workDays: 286,
			message: "You need 12 months of work or volunteer experience in the last three years (you have 9 months and 12 days), or 24 college credit hours (you have 15)."},
		{name: "exactly 24 credits", edit: func(f *eligibility.Facts) {
			f.Courses = []eligibility.Course{course("2024-05-10", 12), course("2025-12-15", 12)}
		}},
		{name: "23.5 credits", edit: func(f *eligibility.Facts) {
			f.Courses = []eligibility.Course{course("2024-05-10", 12), course("2025-12-15", 11.5)}
		},
			unmet: []string{eligibility.ReqExperience}, message: "(you have 23.5)"},
		{name: "credits in tenths add up exactly", edit: func(f *eligibility.Facts) {
			for range 240 {
				f.Courses = append(f.Courses, course("2025-01-01", 0.1))
			}
		}},
		{name: "credits earned before the window do not count", edit: func(f *eligibility.Facts) { f.Courses = []eligibility.Course{course("2023-06-14", 30)} },
			unmet: []string{eligibility.ReqExperience}, message: "(you have 0)"},
		{name: "credits on the first day of the window count", edit: func(f *eligibility.Facts) { f.Courses = []eligibility.Course{course("2023-06-15", 30)} }},
		{name: "credits suffice: work months are not needed", edit: func(f *eligibility.Facts) {
			f.Positions = []eligibility.Position{pos("2026-03-01", "")}
			f.Courses = []eligibility.Course{course("2025-05-01", 24)}
		}},
		{name: "work and credits are not combined", edit: func(f *eligibility.Facts) {
			f.Positions = []eligibility.Position{pos("2025-09-03", "2026-06-15")}
			f.Courses = []eligibility.Course{course("2025-05-01", 23)}
		}, unmet: []string{eligibility.ReqExperience}},
		{name: "18th birthday on the application date", edit: func(f *eligibility.Facts) {
			f.DateOfBirth = d("2008-06-15")
			f.Courses = []eligibility.Course{course("2025-05-01", 24)}
		}},
		{name: "18th birthday the day after", edit: func(f *eligibility.Facts) {
			f.DateOfBirth = d("2008-06-16")
			f.Courses = []eligibility.Course{course("2025-05-01", 24)}
		}, unmet: []string{eligibility.ReqAge}},
		{name: "late evening in Pennsylvania is still the application date", asOf: time.Date(2026, 6, 15, 23, 30, 0, 0, ny), edit: func(f *eligibility.Facts) {
			f.DateOfBirth = d("2008-06-16") // it is already 16 June in UTC
			f.Courses = []eligibility.Course{course("2025-05-01", 24)}
		}, unmet: []string{eligibility.ReqAge}},
		{name: "29 February birthday, 28 February of a common year", asOf: time.Date(2026, 2, 28, 12, 0, 0, 0, ny), edit: func(f *eligibility.Facts) {
			f.DateOfBirth = d("2008-02-29")
			f.Courses = []eligibility.Course{course("2025-05-01", 24)}
		}, unmet: []string{eligibility.ReqAge}},
		{name: "29 February birthday, 1 March of a common year", asOf: time.Date(2026, 3, 1, 12, 0, 0, 0, ny), edit: func(f *eligibility.Facts) {
			f.DateOfBirth = d("2008-02-29")
			f.Courses = []eligibility.Course{course("2025-05-01", 24)}
		}},
		{name: "29 February birthday, 29 February of a leap year", asOf: time.Date(2032, 2, 29, 12, 0, 0, 0, ny), edit: func(f *eligibility.Facts) {
			f.DateOfBirth = d("2012-02-29") // 20 years old
			f.Courses = []eligibility.Course{course("2031-05-01", 24)}
		}},
		{name: "everything missing", edit: func(f *eligibility.Facts) { *f = eligibility.Facts{Attestation: "   \n"} },
			unmet: []string{eligibility.ReqAge, eligibility.ReqEducation, eligibility.ReqExperience, eligibility.ReqSelfIdentifies, eligibility.ReqAttestation, eligibility.ReqConsent}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := base()
			tc.edit(&f)
			at := asOf
			if !tc.asOf.IsZero() {
				at = tc.asOf
			}
			res := eligibility.Evaluate(f, at)
			var got []string
			for _, u := range res.Unmet {
				got = append(got, u.Code)
				if u.Message == "" {
					t.Errorf("%s has no message", u.Code)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.unmet, ",") {
				t.Fatalf("unmet = %v, want %v (%+v)", got, tc.unmet, res)
			}
			if res.Eligible != (len(tc.unmet) == 0) {
				t.Fatalf("eligible = %v with unmet %v", res.Eligible, got)
			}
			if tc.workDays != 0 && res.WorkDays != tc.workDays {
				t.Errorf("work days = %d, want %d", res.WorkDays, tc.workDays)
			}
			if tc.message != "" {
				msg := ""
				for _, u := range res.Unmet {
					if u.Code == eligibility.ReqExperience {
						msg = u.Message
					}
				}
				if !strings.Contains(msg, tc.message) {
					t.Errorf("experience message %q does not contain %q", msg, tc.message)
				}
			}
		})
	}
}

func TestAgeMessageSaysWhen(t *testing.T) {
	f := base()
	f.DateOfBirth = d("2008-06-16")
	f.Courses = []eligibility.Course{course("2025-05-01", 24)}
	res := eligibility.Evaluate(f, d("2026-06-15"))
	if len(res.Unmet) != 1 || !strings.Contains(res.Unmet[0].Message, "June 16, 2026") {
		t.Fatalf("unmet = %+v", res.Unmet)
	}
}

func TestDescribeDays(t *testing.T) {
	for days, want := range map[int]string{0: "none", 1: "1 day", 30: "30 days", 31: "1 month and 1 day", 286: "9 months and 12 days",
		364: "11 months and 29 days", 365: "12 months", 61: "2 months"} {
		if got := eligibility.DescribeDays(days); got != want {
			t.Errorf("DescribeDays(%d) = %q, want %q", days, got, want)
		}
	}
	for f, want := range map[float64]string{0: "0", 15: "15", 23.5: "23.5", 0.1 + 0.2: "0.3", 3.333: "3.33"} {
		if got := eligibility.FormatNumber(f); got != want {
			t.Errorf("FormatNumber(%v) = %q, want %q", f, got, want)
		}
	}
}
