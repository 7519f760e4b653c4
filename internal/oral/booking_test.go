package oral_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// 200 candidates who passed the written exam book the same slot at the same moment: exactly one
// booking is made; everyone else is told the slot was just taken.
func TestBookingRace(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		sl := f.slot(f.trainer, f.at(2027, 3, 2, 9, 0), 45)
		const n = 200
		cands := make([]*account.User, n)
		for i := range cands {
			cands[i] = f.candidate()
		}
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range cands {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = f.svc.Book(f.ctx, actor(cands[i]), cands[i], sl.ID)
			}()
		}
		close(start)
		wg.Wait()
		ok, taken := 0, 0
		winner := -1
		for i, err := range errs {
			switch e, _ := apperr.As(err); {
			case err == nil:
				ok++
				winner = i
			case e != nil && e.Kind == apperr.Conflict && e.Code == "slot_taken" && e.Message == "That slot was just taken; choose another.":
				taken++
			default:
				t.Fatalf("candidate %d: %v", i, err)
			}
		}
		if ok != 1 || taken != n-1 {
			t.Fatalf("%d bookings succeeded and %d were refused, want 1 and %d", ok, taken, n-1)
		}
		if got := f.activeBookings(sl.ID); got != 1 {
			t.Fatalf("%d active bookings of the slot", got)
		}
		// Only the winner was emailed, and the examiner once.
		if len(f.mails(cands[winner].Email)) != 1 || len(f.mails(f.trainer.Email)) != 1 {
			t.Fatalf("mails: winner %d, trainer %d", len(f.mails(cands[winner].Email)), len(f.mails(f.trainer.Email)))
		}
		for i, c := range cands {
			if i != winner && len(f.mails(c.Email)) != 0 {
				t.Fatalf("loser %d was emailed", i)
			}
		}
	})
}

// A candidate holds one active booking at a time, also when booking several slots at once.
func TestOneActiveBookingPerCandidate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		c := f.candidate()
		a := f.slot(f.trainer, f.at(2027, 3, 2, 9, 0), 45)
		b := f.slot(f.trainer, f.at(2027, 3, 2, 10, 0), 45)
		f.book(c, a.ID)
		_, err := f.svc.Book(f.ctx, actor(c), c, b.ID)
		e := wantCode(t, err, apperr.Conflict, "already_booked")
		if e.Message != "You already have a booking; cancel or reschedule it first." {
			t.Fatalf("message %q", e.Message)
		}
		g, err := f.svc.Gate(f.ctx, c)
		must(t, err)
		if g.CanBook || g.Code != "already_booked" || g.ActiveBookingID == "" {
			t.Fatalf("gate %+v", g)
		}

		// Twenty slots at once for one candidate: exactly one booking.
		c2 := f.candidate()
		var slots []oral.Slot
		for i := 0; i < 20; i++ {
			slots = append(slots, f.slot(f.trainer2, f.at(2027, 3, 3+i, 9, 0), 30))
		}
		errs := make([]error, len(slots))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range slots {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = f.svc.Book(f.ctx, actor(c2), c2, slots[i].ID)
			}()
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if e, _ := apperr.As(err); e == nil || e.Code != "already_booked" {
				t.Fatalf("unexpected %v", err)
			}
		}
		n, err := f.db.NewSelect().Model((*oral.Booking)(nil)).Where("candidate_id = ?", c2.ID).Where("status = ?", oral.BookingActive).Count(f.ctx)
		must(t, err)
		if ok != 1 || n != 1 {
			t.Fatalf("%d succeeded, %d active", ok, n)
		}
	})
}

func TestBookingRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		sl := f.slot(f.trainer, f.at(2027, 3, 2, 9, 0), 45)
		otherSlot := f.slot(f.otherTrainer, f.at(2027, 3, 2, 9, 0), 45)

		// No written exam: refused.
		c := f.user(account.RoleCandidate, "")
		_, err := f.svc.Book(f.ctx, actor(c), c, sl.ID)
		wantCode(t, err, apperr.Forbidden, "written_exam_required")
		g, err := f.svc.Gate(f.ctx, c)
		must(t, err)
		if g.CanBook || g.Code != "written_exam_required" {
			t.Fatalf("gate %+v", g)
		}
		// Passed with the vendor: its slots only.
		f.written.pass(c.ID, f.vendor.ID)
		_, err = f.svc.Book(f.ctx, actor(c), c, otherSlot.ID)
		wantCode(t, err, apperr.NotFound, "not_found")
		_, err = f.svc.Book(f.ctx, actor(c), c, "no-such-slot")
		wantCode(t, err, apperr.NotFound, "not_found")
		// Staff do not book.
		_, err = f.svc.Book(f.ctx, actor(f.trainer), f.trainer, sl.ID)
		wantCode(t, err, apperr.Forbidden, "forbidden")

		open, err := f.svc.OpenSlots(f.ctx, c, f.vendor.ID, f.at(2027, 3, 1, 0, 0), f.at(2027, 3, 31, 0, 0))
		must(t, err)
		if len(open) != 1 || open[0].ID != sl.ID || open[0].TrainerName != f.trainer.Name {
			t.Fatalf("open slots %+v", open)
		}
		b := f.book(c, sl.ID)
		if b.Status != oral.BookingActive || b.Slot.ID != sl.ID || b.CancelBy == nil || !b.CancelBy.Equal(sl.StartsAt.Add(-24*time.Hour)) {
			t.Fatalf("booking %+v", b)
		}
		open, err = f.svc.OpenSlots(f.ctx, c, f.vendor.ID, time.Time{}, time.Time{})
		must(t, err)
		if len(open) != 0 {
			t.Fatalf("booked slot still listed: %+v", open)
		}
		ts, err := f.svc.TrainerSlots(f.ctx, f.trainer, f.at(2027, 3, 1, 0, 0), f.at(2027, 3, 31, 0, 0))
		must(t, err)
		if len(ts) != 1 || ts[0].Booking == nil || ts[0].Booking.CandidateID != c.ID || ts[0].Booking.CandidateName != c.Name || ts[0].Booking.Status != oral.BookingActive {
			t.Fatalf("trainer slots %+v", ts)
		}
		vs, err := f.svc.VendorSlots(f.ctx, f.admin, f.at(2027, 3, 1, 0, 0), f.at(2027, 3, 31, 0, 0))
		must(t, err)
		if len(vs) != 1 || vs[0].Booking == nil {
			t.Fatalf("vendor slots %+v", vs)
		}
		if f.auditCount("oral.booking.create", b.ID) != 1 {
			t.Fatal("booking not audited")
		}

		// A slot in the past cannot be booked.
		past := f.slot(f.trainer2, f.at(2027, 2, 21, 9, 0), 45)
		c2 := f.candidate()
		f.setNow(f.at(2027, 2, 21, 9, 1))
		_, err = f.svc.Book(f.ctx, actor(c2), c2, past.ID)
		wantCode(t, err, apperr.Conflict, "slot_past")
		// Nor another candidate's booking seen or cancelled.
		_, err = f.svc.GetBooking(f.ctx, c2, b.ID)
		wantCode(t, err, apperr.NotFound, "not_found")
		err = f.svc.Cancel(f.ctx, actor(c2), c2, b.ID, "")
		wantCode(t, err, apperr.NotFound, "not_found")
		err = f.svc.Cancel(f.ctx, actor(f.otherTrainer), f.otherTrainer, b.ID, "reason")
		wantCode(t, err, apperr.NotFound, "not_found")
	})
}

// The confirmation email carries an invitation that parses, with the booking's UID, the slot's
// start and end in UTC, the location, the summary, and the examiner and candidate.
func TestConfirmationInvitation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		start := f.at(2027, 3, 16, 9, 0) // after the DST change: 13:00Z
		ss, err := f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, oral.SlotInput{Date: "2027-03-16", Start: "09:00", End: "09:45", Weeks: 1,
			Mode: oral.ModeInPerson, Location: "100 Market St, Suite 4; Harrisburg, PA"})
		must(t, err)
		sl := ss[0]
		c := f.candidate()
		b := f.book(c, sl.ID)

		ms := f.mails(c.Email)
		if len(ms) != 1 || !strings.Contains(ms[0].Subject, "Tuesday, March 16, 2027 at 9:00 AM EDT") {
			t.Fatalf("candidate mails %+v", ms)
		}
		if !strings.Contains(ms[0].Body, "9:00 AM to 9:45 AM EDT") || !strings.Contains(ms[0].Body, "until Monday, March 15, 2027 at 9:00 AM EDT") {
			t.Errorf("body:\n%s", ms[0].Body)
		}
		cal, att := calendarOf(t, &ms[0])
		if !strings.Contains(att.ContentType, "method=REQUEST") || !strings.HasSuffix(att.Filename, ".ics") {
			t.Errorf("attachment %s %s", att.Filename, att.ContentType)
		}
		if !strings.Contains(string(att.Data), "\r\n") {
			t.Error("the invitation's lines do not end in CRLF")
		}
		if calProp(cal, "METHOD") != "REQUEST" {
			t.Errorf("METHOD %q", calProp(cal, "METHOD"))
		}
		evs := cal.Events()
		if len(evs) != 1 {
			t.Fatalf("%d events", len(evs))
		}
		ev := evs[0]
		if ev.Id() != b.ID+"@peeracademy" {
			t.Errorf("UID %q, want %s@peeracademy", ev.Id(), b.ID)
		}
		st, err := ev.GetStartAt()
		must(t, err)
		en, err := ev.GetEndAt()
		must(t, err)
		if !st.Equal(start) || !en.Equal(start.Add(45*time.Minute)) || evProp(ev, ics.ComponentPropertyDtStart) != "20270316T130000Z" {
			t.Errorf("DTSTART %s (%s) DTEND %s", st, evProp(ev, ics.ComponentPropertyDtStart), en)
		}
		if loc := ics.FromText(evProp(ev, ics.ComponentPropertyLocation)); loc != "100 Market St, Suite 4; Harrisburg, PA" {
			t.Errorf("LOCATION %q", loc)
		}
		if evProp(ev, ics.ComponentPropertySummary) != "Oral examination" {
			t.Errorf("SUMMARY %q", evProp(ev, ics.ComponentPropertySummary))
		}
		if org := evProp(ev, ics.ComponentPropertyOrganizer); org != "mailto:"+f.trainer.Email {
			t.Errorf("ORGANIZER %q", org)
		}
		atts := ev.Attendees()
		if len(atts) != 1 || atts[0].Email() != c.Email {
			t.Errorf("ATTENDEE %+v", atts)
		}
		// The examiner gets the same invitation.
		tm := f.mails(f.trainer.Email)
		if len(tm) != 1 || !strings.Contains(tm[0].Body, c.Name) {
			t.Fatalf("trainer mails %+v", tm)
		}
		tcal, _ := calendarOf(t, &tm[0])
		if tcal.Events()[0].Id() != b.ID+"@peeracademy" {
			t.Error("trainer's invitation has another UID")
		}
	})
}

// A candidate may cancel up to 24 hours before the exam; after that only staff can, with a reason.
func TestCancelCutoff(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		start := f.at(2027, 3, 2, 9, 0)
		sl := f.slot(f.trainer, start, 45)
		c := f.candidate()

		b := f.book(c, sl.ID)
		f.setNow(start.Add(-25 * time.Hour))
		must(t, f.svc.Cancel(f.ctx, actor(c), c, b.ID, ""))
		got, err := f.svc.GetBooking(f.ctx, c, b.ID)
		must(t, err)
		if got.Status != oral.BookingCancelled || got.CancelledAt == nil {
			t.Fatalf("after cancel: %+v", got.Booking)
		}
		err = f.svc.Cancel(f.ctx, actor(c), c, b.ID, "")
		wantCode(t, err, apperr.Conflict, "booking_inactive")
		m := f.mails(c.Email)[0]
		cal, att := calendarOf(t, &m)
		if calProp(cal, "METHOD") != "CANCEL" || !strings.Contains(att.ContentType, "method=CANCEL") || cal.Events()[0].Id() != b.ID+"@peeracademy" {
			t.Fatalf("cancellation: %s %s", calProp(cal, "METHOD"), cal.Events()[0].Id())
		}
		if evProp(cal.Events()[0], ics.ComponentPropertyStatus) != "CANCELLED" {
			t.Error("cancellation without STATUS:CANCELLED")
		}
		if ms := f.mails(f.trainer.Email); !strings.Contains(ms[0].Subject, "cancelled") {
			t.Errorf("trainer not told: %q", ms[0].Subject)
		}

		// The slot is free again. 23 hours before: the candidate is refused, with the deadline.
		b = f.book(c, sl.ID)
		f.setNow(start.Add(-23 * time.Hour))
		err = f.svc.Cancel(f.ctx, actor(c), c, b.ID, "")
		e := wantCode(t, err, apperr.Forbidden, "cancel_deadline")
		if !strings.Contains(e.Message, "Monday, March 1, 2027 at 9:00 AM EST") || !strings.Contains(e.Message, "24 hours") {
			t.Errorf("deadline message %q", e.Message)
		}
		// The trainer may, but must give a reason.
		err = f.svc.Cancel(f.ctx, actor(f.trainer), f.trainer, b.ID, "  ")
		if e, _ := apperr.As(err); e == nil || e.Kind != apperr.Invalid || e.Fields["reason"] == "" {
			t.Fatalf("trainer without reason: %v", err)
		}
		must(t, f.svc.Cancel(f.ctx, actor(f.trainer), f.trainer, b.ID, "Family emergency"))
		m = f.mails(c.Email)[0]
		cal, _ = calendarOf(t, &m)
		if calProp(cal, "METHOD") != "CANCEL" || !strings.Contains(m.Body, "Family emergency") {
			t.Fatalf("candidate not told the reason: %s", m.Body)
		}
		// An administrator may too, even after the start.
		b = f.book(c, sl.ID)
		f.setNow(start.Add(5 * time.Minute))
		must(t, f.svc.Cancel(f.ctx, actor(f.admin), f.admin, b.ID, "Building closed"))
		// Audit: who and whether a reason was given, never the reason.
		var details []string
		must(t, f.db.NewSelect().Table("audit_events").Column("details").Where("action = ?", "oral.booking.cancel").Scan(f.ctx, &details))
		if len(details) != 3 {
			t.Fatalf("%d cancel events", len(details))
		}
		for _, d := range details {
			if strings.Contains(d, "emergency") || strings.Contains(d, "Building") || !strings.Contains(d, "reason_given") {
				t.Errorf("audit details %s", d)
			}
		}
	})
}

func TestReschedule(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		start := f.at(2027, 3, 2, 9, 0)
		a := f.slot(f.trainer, start, 45)
		b2 := f.slot(f.trainer2, f.at(2027, 3, 4, 9, 0), 45)
		taken := f.slot(f.trainer2, f.at(2027, 3, 5, 9, 0), 45)
		c, other := f.candidate(), f.candidate()
		f.book(other, taken.ID)
		b := f.book(c, a.ID)

		// Atomic: moving to a taken slot changes nothing.
		_, err := f.svc.Reschedule(f.ctx, actor(c), c, b.ID, taken.ID)
		wantCode(t, err, apperr.Conflict, "slot_taken")
		if got, _ := f.svc.GetBooking(f.ctx, c, b.ID); got.Status != oral.BookingActive {
			t.Fatalf("old booking %s after a failed reschedule", got.Status)
		}
		_, err = f.svc.Reschedule(f.ctx, actor(c), c, b.ID, a.ID)
		if e, _ := apperr.As(err); e == nil || e.Fields["slot_id"] == "" {
			t.Fatalf("same slot: %v", err)
		}
		_, err = f.svc.Reschedule(f.ctx, actor(other), other, b.ID, b2.ID)
		wantCode(t, err, apperr.NotFound, "not_found")

		// After the cutoff: refused.
		f.setNow(start.Add(-23 * time.Hour))
		_, err = f.svc.Reschedule(f.ctx, actor(c), c, b.ID, b2.ID)
		wantCode(t, err, apperr.Forbidden, "cancel_deadline")

		// Before the cutoff: the old booking is cancelled and the new one made, together.
		f.setNow(start.Add(-25 * time.Hour))
		nb, err := f.svc.Reschedule(f.ctx, actor(c), c, b.ID, b2.ID)
		must(t, err)
		if nb.Slot.ID != b2.ID || nb.Status != oral.BookingActive || nb.ID == b.ID {
			t.Fatalf("new booking %+v", nb)
		}
		if got, _ := f.svc.GetBooking(f.ctx, c, b.ID); got.Status != oral.BookingCancelled || got.CancelReason != "rescheduled" {
			t.Fatalf("old booking %+v", got.Booking)
		}
		if f.activeBookings(a.ID) != 0 || f.activeBookings(b2.ID) != 1 {
			t.Fatal("slots' bookings wrong after reschedule")
		}
		ms := f.mails(c.Email)
		methods := map[string]string{}
		for _, m := range ms[:2] {
			cal, _ := calendarOf(t, &m)
			methods[cal.Events()[0].Id()] = calProp(cal, "METHOD")
		}
		if methods[b.ID+"@peeracademy"] != "CANCEL" || methods[nb.ID+"@peeracademy"] != "REQUEST" {
			t.Fatalf("reschedule invitations %v", methods)
		}
		if f.auditCount("oral.booking.reschedule", nb.ID) != 1 {
			t.Fatal("reschedule not audited")
		}
		// The old examiner is told, the new one invited.
		if !strings.Contains(f.mails(f.trainer.Email)[0].Subject, "cancelled") || !strings.Contains(f.mails(f.trainer2.Email)[0].Subject, "booked") {
			t.Fatal("examiners not told")
		}
	})
}

func TestNoShow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		start := f.at(2027, 3, 2, 9, 0)
		sl := f.slot(f.trainer, start, 45)
		c := f.candidate()
		b := f.book(c, sl.ID)
		err := f.svc.MarkNoShow(f.ctx, actor(f.trainer), f.trainer, b.ID)
		wantCode(t, err, apperr.Conflict, "not_started")
		f.setNow(start.Add(10 * time.Minute))
		// A candidate whose exam time has passed unrecorded cannot book another.
		g, err := f.svc.Gate(f.ctx, c)
		must(t, err)
		if g.CanBook || g.Code != "result_pending" {
			t.Fatalf("gate %+v", g)
		}
		err = f.svc.MarkNoShow(f.ctx, actor(f.trainer2), f.trainer2, b.ID)
		wantCode(t, err, apperr.NotFound, "not_found")
		must(t, f.svc.MarkNoShow(f.ctx, actor(f.trainer), f.trainer, b.ID))
		err = f.svc.MarkNoShow(f.ctx, actor(f.trainer), f.trainer, b.ID)
		wantCode(t, err, apperr.Conflict, "booking_inactive")
		_, err = f.svc.Grade(f.ctx, actor(f.trainer), f.trainer, b.ID, f.ok(oral.GradeInput{Scores: f.scores(3)}))
		wantCode(t, err, apperr.Conflict, "no_show")
		// No wait after a no-show.
		next := f.slot(f.trainer, f.at(2027, 3, 9, 9, 0), 45)
		f.book(c, next.ID)
		if f.auditCount("oral.booking.no_show", b.ID) != 1 {
			t.Fatal("no-show not audited")
		}
	})
}

// Reminders go out once per booking starting in the next 24 hours, with two workers at once.
func TestRemindersOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		now := f.at(2027, 3, 1, 8, 0)
		var due, later []*account.User
		for _, h := range []int{2, 10, 23} {
			sl := f.slot(f.trainer, now.Add(time.Duration(h)*time.Hour), 30)
			c := f.candidate()
			f.book(c, sl.ID)
			due = append(due, c)
		}
		for _, h := range []int{25, 49} {
			sl := f.slot(f.trainer, now.Add(time.Duration(h)*time.Hour), 30)
			c := f.candidate()
			f.book(c, sl.ID)
			later = append(later, c)
		}
		// A cancelled booking inside the window gets nothing.
		sl := f.slot(f.trainer2, now.Add(3*time.Hour), 30)
		gone := f.candidate()
		gb := f.book(gone, sl.ID)
		must(t, f.svc.Cancel(f.ctx, actor(f.admin), f.admin, gb.ID, "Examiner unavailable"))

		for round := 0; round < 3; round++ {
			var wg sync.WaitGroup
			counts := make([]int, 2)
			errs := make([]error, 2)
			start := make(chan struct{})
			for i := 0; i < 2; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					counts[i], errs[i] = f.svc.SendReminders(f.ctx, now)
				}()
			}
			close(start)
			wg.Wait()
			must(t, errs[0])
			must(t, errs[1])
			want := 0
			if round == 0 {
				want = len(due)
			}
			if counts[0]+counts[1] != want {
				t.Fatalf("round %d: %d + %d reminders, want %d", round, counts[0], counts[1], want)
			}
		}
		reminders := func(c *account.User) int {
			n := 0
			for _, m := range f.mails(c.Email) {
				if strings.HasPrefix(m.Subject, "Reminder:") {
					n++
				}
			}
			return n
		}
		for _, c := range due {
			if reminders(c) != 1 {
				t.Errorf("%s got %d reminders", c.Email, reminders(c))
			}
		}
		for _, c := range append(later, gone) {
			if reminders(c) != 0 {
				t.Errorf("%s got a reminder too early or after cancelling", c.Email)
			}
		}
		// A day later the next ones are due, once.
		n, err := f.svc.SendReminders(f.ctx, now.Add(24*time.Hour))
		must(t, err)
		if n != 1 {
			t.Fatalf("next day: %d reminders, want 1", n)
		}
		var keys []string
		must(t, f.db.NewSelect().Table("outbox_emails").Column("dedupe_key").Where("dedupe_key IS NOT NULL").Scan(f.ctx, &keys))
		if len(keys) != 4 || !strings.HasPrefix(keys[0], "oral-reminder:") {
			t.Fatalf("dedupe keys %v", keys)
		}
	})
}

func TestFeed(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		a := f.slot(f.trainer, f.at(2027, 3, 2, 9, 0), 45)
		bsl := f.slot(f.trainer, f.at(2027, 3, 2, 10, 0), 45)
		f.slot(f.trainer2, f.at(2027, 3, 2, 9, 0), 45) // someone else's
		c := f.candidate()
		f.book(c, bsl.ID)

		_, err := f.svc.CreateFeed(f.ctx, actor(c), c)
		wantCode(t, err, apperr.Forbidden, "forbidden")
		tok, err := f.svc.CreateFeed(f.ctx, actor(f.trainer), f.trainer)
		must(t, err)
		data, err := f.svc.Feed(f.ctx, tok)
		must(t, err)
		cal, err := ics.ParseCalendar(strings.NewReader(string(data)))
		must(t, err)
		evs := cal.Events()
		if len(evs) != 2 {
			t.Fatalf("%d events:\n%s", len(evs), data)
		}
		byUID := map[string]*ics.VEvent{}
		for _, ev := range evs {
			byUID[ev.Id()] = ev
		}
		open, booked := byUID["slot-"+a.ID+"@peeracademy"], byUID["slot-"+bsl.ID+"@peeracademy"]
		if open == nil || booked == nil {
			t.Fatalf("UIDs %v", byUID)
		}
		if st, _ := open.GetStartAt(); !st.Equal(a.StartsAt) {
			t.Errorf("open slot starts %s", st)
		}
		if !strings.Contains(evProp(booked, ics.ComponentPropertySummary), "booked") || !strings.Contains(evProp(open, ics.ComponentPropertySummary), "open") {
			t.Errorf("summaries %q / %q", evProp(booked, ics.ComponentPropertySummary), evProp(open, ics.ComponentPropertySummary))
		}
		if strings.Contains(string(data), c.Name) || strings.Contains(string(data), c.Email) {
			t.Error("the feed names the candidate")
		}

		// A new link revokes the old; revoking ends the new one; unknown tokens are not found.
		tok2, err := f.svc.CreateFeed(f.ctx, actor(f.trainer), f.trainer)
		must(t, err)
		_, err = f.svc.Feed(f.ctx, tok)
		wantCode(t, err, apperr.NotFound, "not_found")
		_, err = f.svc.Feed(f.ctx, tok2)
		must(t, err)
		must(t, f.svc.RevokeFeed(f.ctx, actor(f.trainer), f.trainer))
		_, err = f.svc.Feed(f.ctx, tok2)
		wantCode(t, err, apperr.NotFound, "not_found")
		_, err = f.svc.Feed(f.ctx, "not-a-token")
		wantCode(t, err, apperr.NotFound, "not_found")
		has, err := f.svc.HasFeed(f.ctx, f.trainer)
		must(t, err)
		if has {
			t.Fatal("revoked feed still live")
		}
		var stored []string
		must(t, f.db.NewSelect().Table("oral_feeds").Column("token_hash").Scan(f.ctx, &stored))
		for _, h := range stored {
			if h == tok || h == tok2 {
				t.Fatal("a token is stored in clear")
			}
		}
		if f.auditCount("oral.feed.create", f.trainer.ID) != 2 || f.auditCount("oral.feed.revoke", f.trainer.ID) != 1 {
			t.Fatal("feeds not audited")
		}
	})
}
