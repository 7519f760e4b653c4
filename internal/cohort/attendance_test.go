package cohort_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// The numbers of the coursework rule: 75 hours over ten days of 7.5 hours.
func TestAttendanceRuleNumbers(t *testing.T) {
	if cohort.DefaultRequiredMinutes != 75*60 || cohort.DefaultSessionMinutes != 450 || cohort.Days != 10 {
		t.Errorf("required %d minutes, sessions of %d, %d days; want 4500, 450, 10", cohort.DefaultRequiredMinutes, cohort.DefaultSessionMinutes, cohort.Days)
	}
	tests := []struct {
		status  string
		minutes int
		want    int
	}{
		{cohort.Present, 0, 450},
		{cohort.Late, 1, 1},
		{cohort.Late, 449, 449},
		{cohort.Late, 450, 450},
		{cohort.Late, 451, 450}, // a late arrival never counts more than the session
		{cohort.Late, 9999, 450},
		{cohort.Absent, 300, 0},
		{cohort.Excused, 300, 0},
		{"", 300, 0},
		{"unknown", 300, 0},
	}
	for _, tt := range tests {
		if got := cohort.AttendedMinutes(cohort.Attendance{Status: tt.status, MinutesAttended: tt.minutes}, 450); got != tt.want {
			t.Errorf("%q with %d minutes counts %d, want %d", tt.status, tt.minutes, got, tt.want)
		}
	}
	for _, tt := range []struct {
		done, total, attended, makeup, required int
		want                                    bool
	}{
		{1, 1, 4499, 1, 4500, true},
		{1, 1, 0, 4500, 4500, true},
		{1, 1, 0, 4499, 4500, false},
		{2, 1, 4500, 0, 4500, true},
		{0, 1, 4500, 0, 4500, false},
	} {
		if got := cohort.Completion(tt.done, tt.total, tt.attended, tt.makeup, tt.required); got != tt.want {
			t.Errorf("Completion(%d, %d, %d, %d, %d) = %v", tt.done, tt.total, tt.attended, tt.makeup, tt.required, got)
		}
	}
	for min, want := range map[int]string{0: "0", 60: "1", 90: "1.5", 4500: "75"} {
		if got := cohort.Hours(min); got != want {
			t.Errorf("Hours(%d) = %q, want %q", min, got, want)
		}
	}
}

// The register and make-up work through the service: what is stored, what is refused, and the
// standing computed from them.
func TestAttendanceRegisterAndMakeups(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		f := setup(t, d)
		a := audit.Actor{UserID: f.admin.ID, Role: f.admin.Role, VendorID: f.vendor.ID}
		ta := audit.Actor{UserID: f.trainer.ID, Role: f.trainer.Role, VendorID: f.vendor.ID}
		c, err := f.svc.Create(ctx, a, f.admin, cohort.CreateInput{Name: "Autumn", Delivery: "virtual", Capacity: 5, Dates: dates("2027-03-10"), TrainerIDs: []string{f.trainer.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if c.RequiredMinutes != 4500 {
			t.Fatalf("a new cohort requires %d minutes, want 4500", c.RequiredMinutes)
		}
		if sts, err := f.svc.Statuses(ctx, c); err != nil || sts != nil {
			t.Fatalf("statuses of an empty cohort: %v, %v", sts, err)
		}
		var cands []*account.User
		for range 4 {
			u := f.env.User(account.RoleCandidate, "")
			if _, err := f.svc.Enroll(ctx, a, f.admin, c.ID, u.Email); err != nil {
				t.Fatal(err)
			}
			cands = append(cands, u)
		}
		outsider := f.env.User(account.RoleCandidate, "")

		// The roster is by name, then by email for the same name (names and emails in opposite
		// orders, the two namesakes enrolled out of order).
		for i, ne := range [][2]string{{"Cal", "b-"}, {"Ann", "d-"}, {"Cal", "a-"}, {"Bea", "c-"}} {
			if _, err := f.env.App.DB.NewUpdate().Model((*account.User)(nil)).Set("name = ?", ne[0]).Set("email = ?", ne[1]+cands[i].Email).
				Where("id = ?", cands[i].ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		roster, err := f.svc.Roster(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, u := range roster {
			order = append(order, u.Name+" "+u.Email[:2])
		}
		if got := strings.Join(order, ", "); got != "Ann d-, Bea c-, Cal a-, Cal b-" {
			t.Errorf("roster %s, want Ann d-, Bea c-, Cal a-, Cal b-", got)
		}

		// Refusals, each with the field that explains it.
		refused := []struct {
			name  string
			day   int
			marks []cohort.Mark
			field string
		}{
			{"late without minutes", 1, []cohort.Mark{{CandidateID: cands[0].ID, Status: cohort.Late}}, "mark_" + cands[0].ID},
			{"late for the whole session", 1, []cohort.Mark{{CandidateID: cands[0].ID, Status: cohort.Late, MinutesAttended: 450}}, "mark_" + cands[0].ID},
			{"unknown status", 1, []cohort.Mark{{CandidateID: cands[0].ID, Status: "asleep"}}, "mark_" + cands[0].ID},
			{"note too long", 1, []cohort.Mark{{CandidateID: cands[0].ID, Status: cohort.Present, Note: strings.Repeat("n", 501)}}, "mark_" + cands[0].ID},
			{"not enrolled", 1, []cohort.Mark{{CandidateID: outsider.ID, Status: cohort.Present}}, "mark_" + outsider.ID},
			{"nobody marked", 1, []cohort.Mark{{CandidateID: cands[0].ID}}, "marks"},
			{"no marks", 1, nil, "marks"},
		}
		for _, tt := range refused {
			err := f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, tt.day, tt.marks)
			if e, ok := apperr.As(err); !ok || e.Fields[tt.field] == "" {
				t.Errorf("%s: %v, want a message for %s", tt.name, err, tt.field)
			}
		}
		err = f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, 1, []cohort.Mark{{CandidateID: cands[0].ID, Status: cohort.Late, MinutesAttended: 450}})
		if e, ok := apperr.As(err); !ok || e.Fields["mark_"+cands[0].ID] != "For a late arrival, give the minutes attended (1 to 449)." {
			t.Errorf("late for the whole session: %v", err)
		}
		// Every line's problem is reported at once, also after a line for someone not enrolled.
		err = f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, 1, []cohort.Mark{{CandidateID: outsider.ID, Status: cohort.Present}, {CandidateID: cands[0].ID, Status: cohort.Late}})
		if e, ok := apperr.As(err); !ok || len(e.Fields) != 2 || e.Fields["mark_"+outsider.ID] == "" || e.Fields["mark_"+cands[0].ID] == "" {
			t.Errorf("two bad lines: %v", err)
		}
		for _, day := range []int{0, 11} {
			if err := f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, day, []cohort.Mark{{CandidateID: cands[0].ID, Status: cohort.Present}}); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("day %d: %v", day, err)
			}
		}
		if err := f.svc.RecordAttendance(ctx, ta, f.trainer, "no-such-cohort", 1, []cohort.Mark{{CandidateID: cands[0].ID, Status: cohort.Present}}); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("unknown cohort: %v", err)
		}

		// A day's register as stored: present counts the session, late the minutes given (1 and
		// 449 are the edges), absent and excused nothing whatever minutes were sent.
		marks := []cohort.Mark{
			{CandidateID: cands[0].ID, Status: cohort.Present, MinutesAttended: 5, Note: "  on time  "},
			{CandidateID: cands[1].ID, Status: cohort.Late, MinutesAttended: 449},
			{CandidateID: cands[2].ID, Status: cohort.Absent, MinutesAttended: 300, Note: strings.Repeat("n", 500)},
			{CandidateID: cands[3].ID, Status: cohort.Excused, MinutesAttended: 300},
		}
		if err := f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, 1, marks); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RecordAttendance(ctx, ta, f.trainer, c.ID, 2, []cohort.Mark{{CandidateID: cands[0].ID}, {CandidateID: cands[1].ID, Status: cohort.Late, MinutesAttended: 1}}); err != nil {
			t.Fatal(err)
		}
		reg, err := f.svc.Register(ctx, c.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]any{cands[0].ID: {cohort.Present, 450}, cands[1].ID: {cohort.Late, 449}, cands[2].ID: {cohort.Absent, 0}, cands[3].ID: {cohort.Excused, 0}}
		if len(reg) != len(want) {
			t.Fatalf("register of day 1 has %d lines: %+v", len(reg), reg)
		}
		for id, w := range want {
			if l := reg[id]; l.Status != w[0] || l.MinutesAttended != w[1] || l.Day != 1 {
				t.Errorf("line %+v, want %v", l, w)
			}
		}
		if reg[cands[0].ID].Note != "on time" {
			t.Errorf("note %q not trimmed", reg[cands[0].ID].Note)
		}
		if reg2, err := f.svc.Register(ctx, c.ID, 2); err != nil || len(reg2) != 1 || reg2[cands[1].ID].MinutesAttended != 1 {
			t.Errorf("register of day 2 (the unmarked line before it left out, the rest kept): %+v, %v", reg2, err)
		}

		// Make-up work: refused for another trainer, an unknown cohort and bad input; the edges
		// (day 10, 1 and 600 minutes, 500 characters) are accepted.
		in := cohort.MakeupInput{CandidateID: cands[2].ID, Day: 1, Description: "Reading", Minutes: 60}
		if _, err := f.svc.AddMakeup(ctx, ta, f.other, c.ID, in); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("make-up by a trainer who does not teach the cohort: %v", err)
		}
		if _, err := f.svc.AddMakeup(ctx, ta, f.trainer, "no-such-cohort", in); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("make-up for an unknown cohort: %v", err)
		}
		bad := []struct {
			field string
			edit  func(*cohort.MakeupInput)
		}{
			{"candidate_id", func(m *cohort.MakeupInput) { m.CandidateID = outsider.ID }},
			{"day", func(m *cohort.MakeupInput) { m.Day = 11 }},
			{"day", func(m *cohort.MakeupInput) { m.Day = -1 }},
			{"description", func(m *cohort.MakeupInput) { m.Description = "   " }},
			{"description", func(m *cohort.MakeupInput) { m.Description = strings.Repeat("d", 501) }},
			{"minutes", func(m *cohort.MakeupInput) { m.Minutes = 0 }},
			{"minutes", func(m *cohort.MakeupInput) { m.Minutes = 601 }},
		}
		for _, b := range bad {
			m := in
			b.edit(&m)
			_, err := f.svc.AddMakeup(ctx, ta, f.trainer, c.ID, m)
			if e, ok := apperr.As(err); !ok || e.Fields[b.field] == "" || len(e.Fields) != 1 {
				t.Errorf("make-up %+v: %v, want only a message for %s", m, err, b.field)
			}
		}
		good := []cohort.MakeupInput{
			{CandidateID: cands[2].ID, Day: 10, Description: strings.Repeat("d", 500), Minutes: 600},
			{CandidateID: cands[2].ID, Description: " Reflection ", Minutes: 1},
		}
		for i, m := range good {
			f.now = f.now.Add(time.Minute)
			got, err := f.svc.AddMakeup(ctx, ta, f.trainer, c.ID, m)
			if err != nil {
				t.Fatalf("make-up %d: %v", i, err)
			}
			if (m.Day == 0) != (got.Day == nil) || (got.Day != nil && *got.Day != m.Day) || got.Minutes != m.Minutes || got.RecordedBy != f.trainer.ID {
				t.Errorf("make-up %d stored as %+v", i, got)
			}
		}
		ms, err := f.svc.Makeups(ctx, c.ID, cands[2].ID)
		if err != nil || len(ms) != 2 || ms[0].Minutes != 600 || ms[1].Description != "Reflection" || ms[1].Day != nil {
			t.Fatalf("make-ups: %+v, %v", ms, err)
		}
		if ms, err := f.svc.Makeups(ctx, c.ID, cands[0].ID); err != nil || len(ms) != 0 {
			t.Errorf("make-ups of someone without any: %+v, %v", ms, err)
		}
		// Day 1, the first day, is kept with the make-up (day 0 is none).
		f.now = f.now.Add(time.Minute)
		if m, err := f.svc.AddMakeup(ctx, ta, f.trainer, c.ID, cohort.MakeupInput{CandidateID: cands[3].ID, Day: 1, Description: "Day 1 reading", Minutes: 30}); err != nil || m.Day == nil || *m.Day != 1 {
			t.Fatalf("make-up for day 1: %+v, %v", m, err)
		}
		if ms, err := f.svc.Makeups(ctx, c.ID, cands[3].ID); err != nil || len(ms) != 1 || ms[0].Day == nil || *ms[0].Day != 1 {
			t.Errorf("make-up for day 1 stored as %+v, %v", ms, err)
		}

		// One candidate's standing.
		st, err := f.svc.StatusOf(ctx, c, cands[1].ID)
		if err != nil || st.CandidateID != cands[1].ID || st.AttendedMinutes != 450 || st.MakeupMinutes != 0 || st.RequiredMinutes != 4500 || st.Complete {
			t.Fatalf("status of the late candidate: %+v, %v", st, err)
		}
		if st, err := f.svc.StatusOf(ctx, c, cands[2].ID); err != nil || st.AttendedMinutes != 0 || st.MakeupMinutes != 601 {
			t.Errorf("status of the absent candidate: %+v, %v", st, err)
		}
		if _, err := f.svc.StatusOf(ctx, c, outsider.ID); !errors.Is(err, cohort.ErrNotEnrolled) {
			t.Errorf("status of someone not enrolled: %v", err)
		}

		// Each recording is in the audit trail, once per call.
		for action, want := range map[string]int{"attendance.record": 2, "makeup.record": 3} {
			evs, _, err := audit.List(ctx, f.env.App.DB, audit.Filter{Action: action, VendorID: f.vendor.ID})
			if err != nil || len(evs) != want {
				t.Errorf("%s: %d audit events, want %d (%v)", action, len(evs), want, err)
			}
		}

		// A failed query is reported, never taken for an empty register or roster.
		gone, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := f.svc.Roster(gone, c.ID); err == nil {
			t.Error("Roster without a database answered")
		}
		if _, err := f.svc.Register(gone, c.ID, 1); err == nil {
			t.Error("Register without a database answered")
		}
		if _, err := f.svc.Makeups(gone, c.ID, cands[2].ID); err == nil {
			t.Error("Makeups without a database answered")
		}
		if _, err := f.svc.StatusOf(gone, c, cands[2].ID); err == nil || errors.Is(err, cohort.ErrNotEnrolled) {
			t.Errorf("StatusOf without a database: %v", err)
		}

		// A make-up that cannot be saved is reported, never answered as recorded (last: it takes
		// the table away).
		if _, err := f.env.App.DB.ExecContext(ctx, "ALTER TABLE makeup_work RENAME TO makeup_work_gone"); err != nil {
			t.Fatal(err)
		}
		if m, err := f.svc.AddMakeup(ctx, ta, f.trainer, c.ID, in); err == nil {
			t.Errorf("make-up without its table answered %+v", m)
		}
	})
}
