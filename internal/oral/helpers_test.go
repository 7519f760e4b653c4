package oral_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/internal/testutil/seed"
)

// fakeWritten stands in for the written-exam service: candidate id -> vendor passed with.
type fakeWritten struct {
	mu sync.Mutex
	m  map[string]string
}

func (w *fakeWritten) Passed(ctx context.Context, candidateID string) (string, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.m[candidateID]
	return v, ok, nil
}

func (w *fakeWritten) pass(candidateID, vendorID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.m[candidateID] = vendorID
}

type fixture struct {
	*seed.World
	t       *testing.T
	ctx     context.Context
	db      *bun.DB
	svc     *oral.Service
	rubric  *oral.Rubric
	written *fakeWritten

	vendor, other *account.Vendor
	ny            *time.Location
	admin         *account.User // vendor admin of vendor
	trainer       *account.User // trainer of vendor
	trainer2      *account.User // another trainer of vendor
	otherTrainer  *account.User // trainer of other
}

func (f *fixture) clock() time.Time                         { return f.Clock.Now() }
func (f *fixture) setNow(t time.Time)                       { f.Clock.Set(t.UTC()) }
func (f *fixture) user(role, vendorID string) *account.User { return f.User(role, vendorID) }
func (f *fixture) auditCount(action, subjectID string) int  { return f.AuditCount(action, subjectID) }
func (f *fixture) mails(addr string) []notify.Message       { return f.Mails(addr) }

func (f *fixture) newVendor(slug string, recognised bool) *account.Vendor {
	return f.Vendor(slug, seed.Recognised(recognised))
}

var (
	actor    = seed.Actor
	must     = seed.Must
	wantCode = seed.WantCode
)

func realRubric(t testing.TB) *oral.Rubric {
	t.Helper()
	r, ps := oral.LoadRubric(content.FS)
	if len(ps) > 0 {
		t.Fatalf("rubric: %v", ps)
	}
	return r
}

// newFixture: a recognised vendor in America/New_York (and another one), the clock at
// 2027-02-20 12:00 New York time.
func newFixture(t *testing.T, d dbtest.Dialect) *fixture {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	w := seed.Open(t, d, time.Date(2027, 2, 20, 12, 0, 0, 0, ny).UTC())
	f := &fixture{World: w, t: t, ctx: w.Ctx, db: w.DB, rubric: realRubric(t), written: &fakeWritten{m: map[string]string{}}, ny: ny}
	f.svc = &oral.Service{DB: f.db, Rubric: f.rubric, Written: f.written, Outbox: notify.Outbox{Mode: "log"}, BaseURL: "http://peeracademy.test", Now: f.clock}
	f.vendor = f.newVendor("recovery-works", true)
	f.other = f.newVendor("other-org", true)
	f.admin = f.user(account.RoleVendorAdmin, f.vendor.ID)
	f.trainer = f.user(account.RoleTrainer, f.vendor.ID)
	f.trainer2 = f.user(account.RoleTrainer, f.vendor.ID)
	f.otherTrainer = f.user(account.RoleTrainer, f.other.ID)
	return f
}

// candidate makes a candidate who passed the written exam with the vendor.
func (f *fixture) candidate() *account.User {
	f.t.Helper()
	u := f.user(account.RoleCandidate, "")
	f.written.pass(u.ID, f.vendor.ID)
	return u
}

// at is a wall-clock time in New York.
func (f *fixture) at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, f.ny)
}

// slot creates one slot for the trainer at a New York wall-clock time.
func (f *fixture) slot(trainer *account.User, start time.Time, minutes int) oral.Slot {
	f.t.Helper()
	l := start.In(f.ny)
	end := l.Add(time.Duration(minutes) * time.Minute)
	ss, err := f.svc.CreateSlots(f.ctx, actor(trainer), trainer, oral.SlotInput{Date: l.Format("2006-01-02"), Start: l.Format("15:04"), End: end.Format("15:04"),
		Weeks: 1, Mode: oral.ModeVirtual, Location: "https://meet.example.org/oral-" + uuid.NewString()[:6]})
	if err != nil {
		f.t.Fatalf("create slot: %v", err)
	}
	if len(ss) != 1 {
		f.t.Fatalf("%d slots", len(ss))
	}
	return ss[0]
}

func (f *fixture) book(c *account.User, slotID string) *oral.BookingView {
	f.t.Helper()
	b, err := f.svc.Book(f.ctx, actor(c), c, slotID)
	if err != nil {
		f.t.Fatalf("book: %v", err)
	}
	return b
}

// scores gives every competency of the rubric the same score.
func (f *fixture) scores(v int) map[string]int {
	m := map[string]int{}
	for _, c := range f.rubric.Competencies {
		m[c.ID] = v
	}
	return m
}

// calendarOf parses the .ics attachment of a message.
func calendarOf(t *testing.T, m *notify.Message) (*ics.Calendar, notify.Attachment) {
	t.Helper()
	atts, err := m.AttachmentsOf()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range atts {
		if strings.HasPrefix(a.ContentType, "text/calendar") {
			cal, err := ics.ParseCalendar(bytes.NewReader(a.Data))
			if err != nil {
				t.Fatalf("parse %s: %v\n%s", a.Filename, err, a.Data)
			}
			return cal, a
		}
	}
	t.Fatalf("no calendar attachment in %q", m.Subject)
	return nil, notify.Attachment{}
}

func calProp(cal *ics.Calendar, p ics.Property) string {
	for _, cp := range cal.CalendarProperties {
		if cp.IANAToken == string(p) {
			return cp.Value
		}
	}
	return ""
}

func evProp(ev *ics.VEvent, p ics.ComponentProperty) string {
	if pr := ev.GetProperty(p); pr != nil {
		return pr.Value
	}
	return ""
}

func (f *fixture) activeBookings(slotID string) int {
	f.t.Helper()
	n, err := f.db.NewSelect().Model((*oral.Booking)(nil)).Where("slot_id = ?", slotID).Where("status = ?", oral.BookingActive).Count(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return int(n)
}

// ok completes a grade input with what every valid grade needs and the test does not care about:
// the first scenario of the rubric, and an evidence note for each score at either end of the scale.
func (f *fixture) ok(in oral.GradeInput) oral.GradeInput {
	if in.Scenario == "" {
		in.Scenario = f.rubric.Scenarios[0].ID
	}
	notes := map[string]string{}
	for k, v := range in.Notes {
		notes[k] = v
	}
	for id, v := range in.Scores {
		if f.rubric.AtEnd(v) && notes[id] == "" {
			notes[id] = "Evidence: what the candidate said for " + id
		}
	}
	in.Notes = notes
	return in
}
