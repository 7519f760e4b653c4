package apptest

import (
	"context"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/seed"
)

// People is the cast of the journeys: a vendor, its admin and trainer, and one candidate.
type People struct {
	Vendor               *account.Vendor
	Admin, Trainer, Cand *account.User
}

// AdminActor, TrainerActor and CandActor are the audit actors of the cast.
func (p People) AdminActor() audit.Actor {
	return audit.Actor{UserID: p.Admin.ID, Role: p.Admin.Role, VendorID: p.Vendor.ID}
}
func (p People) TrainerActor() audit.Actor {
	return audit.Actor{UserID: p.Trainer.ID, Role: p.Trainer.Role, VendorID: p.Vendor.ID}
}
func (p People) CandActor() audit.Actor { return audit.Actor{UserID: p.Cand.ID} }

// Cast creates a recognised vendor named by slug with an administrator and a trainer.
func (e *Env) Cast(slug string) People {
	e.T.Helper()
	p := People{Vendor: e.Vendor(slug)}
	p.Admin = e.User(account.RoleVendorAdmin, p.Vendor.ID)
	p.Trainer = e.User(account.RoleTrainer, p.Vendor.ID)
	return p
}

// PassedWritten builds, through the services, a candidate named Zoë Nuñez-O'Brien with an approved
// application, coursework complete (every module, full attendance) and the written exam passed,
// with the vendor named by slug.
func (e *Env) PassedWritten(slug string) People {
	t := e.T
	t.Helper()
	ctx := context.Background()
	p := e.Cast(slug)
	p.Cand = e.User(account.RoleCandidate, "")
	p.Cand.Name = "Zoë Nuñez-O'Brien"
	if _, err := e.App.DB.NewUpdate().Model((*account.User)(nil)).Set("name = ?", p.Cand.Name).Where("id = ?", p.Cand.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	e.CourseworkComplete(p, false, p.Cand)
	e.ShortExam(p)
	e.PassWritten(p.Cand)
	return p
}

// CourseworkComplete enrols the candidates (each approved first) in a new cohort of p's vendor
// whose ten days lie in the past, taught by p's trainer, records full attendance and completes every
// module. With bulk, the modules are recorded in one insert rather than through the service, one
// check at a time (for scenarios with many candidates).
func (e *Env) CourseworkComplete(p People, bulk bool, cands ...*account.User) *cohort.Cohort {
	t := e.T
	t.Helper()
	ctx := context.Background()
	ny, _ := time.LoadLocation("America/New_York")
	start := time.Now().In(ny).AddDate(0, 0, -20)
	var dates []string
	for i := 0; i < cohort.Days; i++ {
		dates = append(dates, start.AddDate(0, 0, i).Format("2006-01-02"))
	}
	a := p.AdminActor()
	co, err := e.App.Cohorts.Create(ctx, a, p.Admin, cohort.CreateInput{Name: "Autumn", Delivery: "virtual", Capacity: max(5, len(cands)), Dates: dates, TrainerIDs: []string{p.Trainer.ID}})
	if err != nil {
		t.Fatal(err)
	}
	marks := make([]cohort.Mark, len(cands))
	for i, c := range cands {
		e.Enroll(p.Admin, co.ID, c)
		marks[i] = cohort.Mark{CandidateID: c.ID, Status: cohort.Present}
	}
	for day := 1; day <= cohort.Days; day++ {
		if err := e.App.Cohorts.RecordAttendance(ctx, a, p.Admin, co.ID, day, marks); err != nil {
			t.Fatal(err)
		}
	}
	if bulk {
		var slugs []string
		for _, m := range e.App.Curriculum.Modules() {
			slugs = append(slugs, m.Slug)
		}
		if err := seed.ModulesDone(ctx, e.App.DB, database.Now(), slugs, e.App.Curriculum.Version, cands...); err != nil {
			t.Fatal(err)
		}
		return co
	}
	for _, c := range cands {
		for _, m := range e.App.Curriculum.Modules() {
			if err := e.App.Cohorts.RecordCheck(ctx, audit.Actor{UserID: c.ID}, c.ID, m.Slug, true); err != nil {
				t.Fatal(err)
			}
		}
	}
	return co
}

// ShortExam sets p's vendor's written exam to five questions.
func (e *Env) ShortExam(p People) {
	t := e.T
	t.Helper()
	ctx := context.Background()
	s, err := e.App.Exams.Settings(ctx, p.Vendor.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.FormLength = 5
	if _, err := e.App.Exams.UpdateSettings(ctx, p.AdminActor(), p.Admin, s); err != nil {
		t.Fatal(err)
	}
}

// PassWritten has the candidate (coursework complete, or admitted by an override) take the written
// exam and answer every question right: the form has the vendor's length, each question's keyed
// options are all found among those displayed, and the attempt passes with every answer right.
func (e *Env) PassWritten(cand *account.User) {
	t := e.T
	t.Helper()
	ctx := context.Background()
	actor := audit.Actor{UserID: cand.ID, Role: cand.Role}
	sum, err := e.App.Exams.Start(ctx, actor, cand)
	if err != nil {
		t.Fatalf("start the written exam: %v", err)
	}
	v, err := e.App.Exams.View(ctx, cand, sum.ID)
	if err != nil {
		t.Fatalf("view the written exam: %v", err)
	}
	if st, err := e.App.Exams.Settings(ctx, sum.VendorID); err != nil || len(v.Questions) != st.FormLength {
		t.Fatalf("the written exam has %d questions, want the vendor's form length (%v)", len(v.Questions), err)
	}
	for i, q := range v.Questions {
		// The form shows the item's options in its own order; map them back through their text.
		it, ok := e.App.Exams.Bank.Item(q.ItemID)
		if !ok {
			t.Fatalf("question %d: item %s is not in the bank", q.Number, q.ItemID)
		}
		keyed := map[string]bool{}
		for _, o := range it.Answer {
			keyed[it.Options[o]] = true
		}
		var right []int
		for d, text := range q.Options {
			if keyed[text] {
				right = append(right, d)
			}
		}
		if len(right) != len(it.Answer) {
			t.Fatalf("question %d (%s): found %d of the %d keyed options among the displayed ones", q.Number, q.ItemID, len(right), len(it.Answer))
		}
		if _, err := e.App.Exams.SaveAnswer(ctx, cand, sum.ID, q.ItemID, right, false, int64(i+1)); err != nil {
			t.Fatalf("answer question %d: %v", q.Number, err)
		}
	}
	r, err := e.App.Exams.Submit(ctx, actor, cand, sum.ID)
	if err != nil || !r.Passed || r.Correct != r.Total || r.Status != exam.StatusSubmitted {
		t.Fatalf("written exam: %+v %v; want passed with every answer right", r, err)
	}
}

// PassedOral has the trainer publish a slot three days ahead, the candidate book it, and the
// trainer grade it (every competency "demonstrated") once it has started. It returns the grade.
func (e *Env) PassedOral(p People) *oral.Grade {
	e.T.Helper()
	return e.PassOral(p, p.Cand, e.Slots(p, 1)[0])
}

// Slots has p's trainer publish n virtual oral-exam slots of 15 minutes, from three days ahead.
func (e *Env) Slots(p People, n int) []oral.Slot {
	t := e.T
	t.Helper()
	ctx := context.Background()
	ny, _ := time.LoadLocation("America/New_York")
	in := oral.SlotInput{Start: "10:00", End: "10:45", Weeks: 1, Mode: "virtual", Location: "https://meet.example.org/x"}
	if n > 1 {
		in.Start, in.End, in.SlotMinutes = "06:00", "21:00", 15 // 60 a day
	}
	var out []oral.Slot
	for day := 3; len(out) < n; day++ {
		in.Date = time.Now().In(ny).AddDate(0, 0, day).Format("2006-01-02")
		slots, err := e.App.Oral.CreateSlots(ctx, p.TrainerActor(), p.Trainer, in)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, slots...)
	}
	return out[:n]
}

// PassOral has the candidate book the slot and p's trainer grade it (a pass) once it has started.
func (e *Env) PassOral(p People, cand *account.User, slot oral.Slot) *oral.Grade {
	t := e.T
	t.Helper()
	ctx := context.Background()
	b, err := e.App.Oral.Book(ctx, audit.Actor{UserID: cand.ID}, cand, slot.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The trainer taught the candidate's cohort: an administrator records an exception first.
	if _, err := e.App.Oral.AddException(ctx, p.AdminActor(), p.Admin,
		oral.ExceptionInput{ExaminerID: p.Trainer.ID, BookingID: b.ID, Reason: "The only examiner available this month."}); err != nil {
		t.Fatalf("examiner exception: %v", err)
	}
	e.App.Oral.Now = func() time.Time { return slot.StartsAt.Add(time.Hour) }
	defer func() { e.App.Oral.Now = nil }()
	g, err := e.App.Oral.Grade(ctx, p.TrainerActor(), p.Trainer, b.ID, e.PassingGrade("Clear, warm and safe."))
	if err != nil || !g.Passed {
		t.Fatalf("oral grade: %v", err)
	}
	return g
}

// ReadyToCertify builds n candidates of a new vendor named by slug, each with coursework complete
// and both examinations passed: ready for a certificate. It returns the cast and the candidates.
func (e *Env) ReadyToCertify(slug string, n int) (People, []*account.User) {
	e.T.Helper()
	p := e.Cast(slug)
	cands := make([]*account.User, n)
	for i := range cands {
		cands[i] = e.User(account.RoleCandidate, "")
	}
	e.CourseworkComplete(p, true, cands...)
	e.ShortExam(p)
	slots := e.Slots(p, n)
	for i, c := range cands {
		e.PassWritten(c)
		e.PassOral(p, c, slots[i])
	}
	return p, cands
}

// PassingGrade scores every competency "demonstrated" and the first ones "with skill", just enough
// for the rubric's pass rule, on the rubric's first scenario, with an evidence note for each competency.
func (e *Env) PassingGrade(feedback string) oral.GradeInput {
	r := e.App.Oral.Rubric
	in := oral.GradeInput{Scenario: r.Scenarios[0].ID, Scores: map[string]int{}, Notes: map[string]string{}, Feedback: feedback}
	total := 0
	for _, c := range r.Competencies {
		in.Scores[c.ID] = r.MinEach
		total += r.MinEach
	}
	top := r.Scale[len(r.Scale)-1].Score
	for _, c := range r.Competencies {
		if total >= r.MinTotal {
			break
		}
		total += top - in.Scores[c.ID]
		in.Scores[c.ID] = top
	}
	for _, c := range r.Competencies {
		in.Notes[c.ID] = "Observed in the role-play: " + c.Title + "."
	}
	return in
}

// Certified runs PassedWritten and PassedOral and has the vendor admin issue the certificate.
func (e *Env) Certified(slug string) (People, certificate.Certificate) {
	t := e.T
	t.Helper()
	p := e.PassedWritten(slug)
	e.PassedOral(p)
	certs, err := e.App.Certificates.Issue(context.Background(), p.AdminActor(), p.Admin, []string{p.Cand.ID})
	if err != nil || len(certs) != 1 {
		t.Fatalf("issue the certificate: %v", err)
	}
	return p, certs[0]
}
