package exam_test

import (
	"context"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/internal/testutil/seed"
)

// courseState is what the fake coursework reports for one candidate.
type courseState struct {
	complete         bool
	vendor, cohortID string
}

// fakeCourse stands in for the cohort service's completion rule.
type fakeCourse struct {
	mu sync.Mutex
	m  map[string]courseState
}

func (c *fakeCourse) Complete(ctx context.Context, candidateID string) (bool, string, string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.m[candidateID]
	return s.complete, s.vendor, s.cohortID, nil
}

func (c *fakeCourse) set(candidateID string, s courseState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[candidateID] = s
}

type fixture struct {
	*seed.World
	t      testing.TB
	ctx    context.Context
	db     *bun.DB
	bank   *exam.Bank
	svc    *exam.Service
	course *fakeCourse

	vendor, other *account.Vendor
	admin         *account.User // vendor admin of vendor
	admin2        *account.User // vendor admin of other
	trainer       *account.User
	cohortID      string // a cohort of vendor
	cohort2ID     string // a cohort of other
}

func (f *fixture) clock() time.Time                         { return f.Clock.Now() }
func (f *fixture) setNow(t time.Time)                       { f.Clock.Set(t) }
func (f *fixture) newVendor(slug string) *account.Vendor    { return f.Vendor(slug) }
func (f *fixture) user(role, vendorID string) *account.User { return f.User(role, vendorID) }
func (f *fixture) newCohort(vendorID string) string         { return f.Cohort(vendorID).ID }
func (f *fixture) auditCount(action, subjectID string) int  { return f.AuditCount(action, subjectID) }

var (
	actor    = seed.Actor
	must     = seed.Must
	wantCode = seed.WantCode
)

func realBank(t testing.TB) *exam.Bank {
	t.Helper()
	b, ps := exam.LoadBank(content.FS)
	if len(ps) > 0 {
		t.Fatalf("bank: %v", ps)
	}
	return b
}

// smallBank has four items, all on every form: ALP-1 single (key 1 of 3), ALP-2 multiple (keys 0
// and 3 of 4), ALP-3 true/false (key 1) and BET-1 single (key 1 of 3).
func smallBank(t testing.TB) *exam.Bank {
	t.Helper()
	fsys := fstest.MapFS{
		"exams/written/blueprint.yaml": {Data: []byte("form_length: 4\ndomains:\n  - {id: alpha, day: 1, count: 3, title: \"Alpha things\"}\n  - {id: beta, day: 2, count: 1, title: \"Beta things\"}\n")},
		"exams/written/alpha.yaml": {Data: []byte(`domain: alpha
items:
  - {id: ALP-1, type: single, difficulty: easy, stem: "Which one?", options: ["a", "b", "c"], answer: [1], rationale: "RATIONALE-ALP-1"}
  - {id: ALP-2, type: multiple, difficulty: medium, stem: "Which ones?", options: ["a", "b", "c", "d"], answer: [0, 3], rationale: "RATIONALE-ALP-2"}
  - {id: ALP-3, type: truefalse, difficulty: hard, stem: "True?", options: ["True", "False"], answer: [1], rationale: "RATIONALE-ALP-3"}
`)},
		"exams/written/beta.yaml": {Data: []byte(`domain: beta
items:
  - {id: BET-1, type: single, difficulty: easy, stem: "Which beta?", options: ["x", "y", "z"], answer: [1], rationale: "RATIONALE-BET-1"}
`)},
	}
	b, ps := exam.LoadBank(fsys)
	if len(ps) > 0 {
		t.Fatalf("small bank: %v", ps)
	}
	return b
}

func newFixture(t testing.TB, d dbtest.Dialect, bank *exam.Bank) *fixture {
	t.Helper()
	w := seed.Open(t, d, time.Date(2027, 4, 5, 14, 0, 0, 0, time.UTC))
	f := &fixture{World: w, t: t, ctx: w.Ctx, db: w.DB, bank: bank, course: &fakeCourse{m: map[string]courseState{}}}
	f.svc = &exam.Service{DB: f.db, Bank: bank, Coursework: f.course, Now: f.clock}
	f.vendor = f.newVendor("recovery-works")
	f.other = f.newVendor("other-org")
	f.admin = f.user(account.RoleVendorAdmin, f.vendor.ID)
	f.admin2 = f.user(account.RoleVendorAdmin, f.other.ID)
	f.trainer = f.user(account.RoleTrainer, f.vendor.ID)
	f.cohortID = f.newCohort(f.vendor.ID)
	f.cohort2ID = f.newCohort(f.other.ID)
	return f
}

// candidate creates a candidate enrolled in the vendor's cohort, coursework complete unless told.
func (f *fixture) candidate(complete bool) *account.User {
	f.t.Helper()
	u := f.user(account.RoleCandidate, "")
	f.Enroll(f.cohortID, u.ID)
	f.course.set(u.ID, courseState{complete: complete, vendor: f.vendor.ID, cohortID: f.cohortID})
	return u
}

func (f *fixture) settings(length int) {
	f.t.Helper()
	st := exam.DefaultSettings(f.vendor.ID)
	st.FormLength = length
	if _, err := f.svc.UpdateSettings(f.ctx, actor(f.admin), f.admin, st); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) start(c *account.User) *exam.Summary {
	f.t.Helper()
	s, err := f.svc.Start(f.ctx, actor(c), c)
	if err != nil {
		f.t.Fatalf("start: %v", err)
	}
	return s
}

func (f *fixture) view(c *account.User, id string) *exam.AttemptView {
	f.t.Helper()
	v, err := f.svc.View(f.ctx, c, id)
	if err != nil {
		f.t.Fatalf("view: %v", err)
	}
	return v
}

// displayed maps ORIGINAL option indexes of a question's item to the positions View shows them at.
func (f *fixture) displayed(q exam.Question, originals []int) []int {
	f.t.Helper()
	it, ok := f.bank.Item(q.ItemID)
	if !ok {
		f.t.Fatalf("unknown item %s", q.ItemID)
	}
	out := []int{}
	for _, o := range originals {
		found := false
		for d, text := range q.Options {
			if text == it.Options[o] {
				out = append(out, d)
				found = true
			}
		}
		if !found {
			f.t.Fatalf("%s: option %d not shown", q.ItemID, o)
		}
	}
	return out
}

// answerAll saves, for every question, the choice pick returns (ORIGINAL indexes; nil skips it).
func (f *fixture) answerAll(c *account.User, id string, pick func(it *exam.Item) []int) {
	f.t.Helper()
	v := f.view(c, id)
	for _, q := range v.Questions {
		it, _ := f.bank.Item(q.ItemID)
		orig := pick(it)
		if orig == nil {
			continue
		}
		if _, err := f.svc.SaveAnswer(f.ctx, c, id, q.ItemID, f.displayed(q, orig), false, 1); err != nil {
			f.t.Fatalf("save %s: %v", q.ItemID, err)
		}
	}
}

func keyed(it *exam.Item) []int { return it.Answer }

// wrong picks an option that is not keyed.
func wrong(it *exam.Item) []int {
	for i := range it.Options {
		if i != it.Answer[0] {
			return []int{i}
		}
	}
	return nil
}
