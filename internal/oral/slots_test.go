package oral_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// "Tuesdays 9:00-12:00, 45-minute slots, 4 weeks" from Tuesday March 2, 2027: 16 slots, always at
// 09:00, 09:45, 10:30 and 11:15 New York time, although the clocks change on March 14 (UTC-5 before,
// UTC-4 after).
func TestRecurringBlockAcrossDST(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		slots, err := f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, oral.SlotInput{Date: "2027-03-02", Start: "9:00", End: "12:00",
			SlotMinutes: 45, Weeks: 4, Mode: oral.ModeInPerson, Location: "  100 Market St, Harrisburg, PA  "})
		must(t, err)
		if len(slots) != 16 {
			t.Fatalf("%d slots, want 16", len(slots))
		}
		wantLocal := []string{"09:00", "09:45", "10:30", "11:15"}
		days := []int{2, 9, 16, 23}
		for i, sl := range slots {
			w, k := i/4, i%4
			l := sl.StartsAt.In(f.ny)
			if l.Month() != time.March || l.Day() != days[w] || l.Weekday() != time.Tuesday || l.Format("15:04") != wantLocal[k] {
				t.Errorf("slot %d starts %s local", i, l)
			}
			if got := sl.EndsAt.Sub(sl.StartsAt); got != 45*time.Minute {
				t.Errorf("slot %d lasts %s", i, got)
			}
			_, off := l.Zone()
			wantOff := -5 * 3600
			if days[w] > 14 {
				wantOff = -4 * 3600
			}
			if off != wantOff {
				t.Errorf("slot %d (%s): UTC offset %d, want %d", i, l, off, wantOff)
			}
			if sl.Location != "100 Market St, Harrisburg, PA" || sl.Mode != oral.ModeInPerson || sl.Status != oral.SlotOpen || sl.VendorID != f.vendor.ID || sl.TrainerID != f.trainer.ID {
				t.Errorf("slot %d: %+v", i, sl)
			}
		}
		// The UTC instants move by an hour: 14:00Z before the change, 13:00Z after.
		if h := slots[0].StartsAt.UTC().Hour(); h != 14 {
			t.Errorf("March 2 09:00 is %02d:00Z, want 14:00Z", h)
		}
		if h := slots[8].StartsAt.UTC().Hour(); h != 13 {
			t.Errorf("March 16 09:00 is %02d:00Z, want 13:00Z", h)
		}

		// Stored and read back the same (UTC in the database, local when shown).
		ts, err := f.svc.TrainerSlots(f.ctx, f.trainer, f.at(2027, 3, 1, 0, 0), f.at(2027, 4, 1, 0, 0))
		must(t, err)
		if len(ts) != 16 {
			t.Fatalf("TrainerSlots: %d", len(ts))
		}
		for i := range ts {
			if !ts[i].StartsAt.Equal(slots[i].StartsAt) || !ts[i].EndsAt.Equal(slots[i].EndsAt) || ts[i].Booking != nil || ts[i].TrainerName != f.trainer.Name {
				t.Errorf("read back %d: %+v vs %+v", i, ts[i].Slot, slots[i])
			}
		}
		if f.auditCount("oral.slots.create", f.trainer.ID) != 1 {
			t.Error("creating slots is not audited once")
		}
	})
}

func TestSlotValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		good := oral.SlotInput{Date: "2027-03-02", Start: "09:00", End: "10:00", Weeks: 1, Mode: oral.ModeVirtual, Location: "https://meet.example.org/x"}
		cases := []struct {
			name  string
			edit  func(*oral.SlotInput)
			field string
		}{
			{"end before start", func(in *oral.SlotInput) { in.End = "08:30" }, "end"},
			{"equal times", func(in *oral.SlotInput) { in.End = "09:00" }, "end"},
			{"single slot too short", func(in *oral.SlotInput) { in.End = "09:10" }, "end"},
			{"single slot too long", func(in *oral.SlotInput) { in.End = "13:01" }, "end"},
			{"slot length too short", func(in *oral.SlotInput) { in.SlotMinutes = 10 }, "slot_minutes"},
			{"slot length too long", func(in *oral.SlotInput) { in.End = "17:00"; in.SlotMinutes = 241 }, "slot_minutes"},
			{"not whole slots", func(in *oral.SlotInput) { in.End = "12:00"; in.SlotMinutes = 50 }, "end"},
			{"too many weeks", func(in *oral.SlotInput) { in.Weeks = 13 }, "weeks"},
			{"negative weeks", func(in *oral.SlotInput) { in.Weeks = -1 }, "weeks"},
			{"bad date", func(in *oral.SlotInput) { in.Date = "03/02/2027" }, "date"},
			{"bad time", func(in *oral.SlotInput) { in.Start = "9am" }, "start"},
			{"bad hour", func(in *oral.SlotInput) { in.Start = "24:00" }, "start"},
			{"in person without address", func(in *oral.SlotInput) { in.Mode = oral.ModeInPerson; in.Location = "  " }, "location"},
			{"virtual without link", func(in *oral.SlotInput) { in.Location = "" }, "location"},
			{"virtual with http link", func(in *oral.SlotInput) { in.Location = "http://meet.example.org/x" }, "location"},
			{"virtual with an address", func(in *oral.SlotInput) { in.Location = "100 Market St" }, "location"},
			{"unknown mode", func(in *oral.SlotInput) { in.Mode = "phone" }, "mode"},
			{"in the past", func(in *oral.SlotInput) { in.Date = "2027-02-19" }, "date"},
			{"earlier today", func(in *oral.SlotInput) { in.Date = "2027-02-20"; in.Start = "11:00"; in.End = "11:45" }, "date"},
			{"does not exist (spring forward)", func(in *oral.SlotInput) {
				in.Date = "2027-03-14"
				in.Start = "02:00"
				in.End = "03:30"
				in.SlotMinutes = 30
			}, "start"},
		}
		for _, c := range cases {
			in := good
			c.edit(&in)
			_, err := f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, in)
			e, ok := apperr.As(err)
			if !ok || e.Kind != apperr.Invalid || e.Fields[c.field] == "" {
				t.Errorf("%s: got %v (fields %v), want a message for %q", c.name, err, fieldsOf(err), c.field)
			}
		}
		var n int
		must(t, f.db.NewSelect().Table("oral_slots").ColumnExpr("COUNT(*)").Scan(f.ctx, &n))
		if n != 0 {
			t.Fatalf("%d slots made by invalid input", n)
		}

		// A whole number of slots with the remainder explained.
		in := good
		in.End, in.SlotMinutes = "12:00", 50
		_, err := f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, in)
		if e, _ := apperr.As(err); e == nil || !strings.Contains(e.Fields["end"], "End at 11:30") {
			t.Errorf("remainder message: %v", fieldsOf(err))
		}

		// Who may create slots.
		cand := f.candidate()
		_, err = f.svc.CreateSlots(f.ctx, actor(cand), cand, good)
		wantCode(t, err, apperr.Forbidden, "forbidden")
		unrec := f.newVendor("not-yet", false)
		tu := f.user(account.RoleTrainer, unrec.ID)
		_, err = f.svc.CreateSlots(f.ctx, actor(tu), tu, good)
		wantCode(t, err, apperr.Forbidden, "forbidden")
		ss, err := f.svc.CreateSlots(f.ctx, actor(f.admin), f.admin, good) // a vendor administrator examines too
		must(t, err)
		if len(ss) != 1 || ss[0].TrainerID != f.admin.ID {
			t.Fatalf("admin's slot %+v", ss)
		}
		// Weeks 0 means one date.
		in = good
		in.Date, in.Weeks = "2027-03-03", 0
		ss, err = f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, in)
		must(t, err)
		if len(ss) != 1 {
			t.Fatalf("weeks 0: %d slots", len(ss))
		}
	})
}

func fieldsOf(err error) map[string]string {
	if e, ok := apperr.As(err); ok {
		return e.Fields
	}
	return nil
}

func TestSlotOverlap(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		in := oral.SlotInput{Date: "2027-03-02", Start: "09:00", End: "12:00", SlotMinutes: 45, Weeks: 2, Mode: oral.ModeVirtual, Location: "https://meet.example.org/a"}
		_, err := f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, in)
		must(t, err)

		// Overlapping one of the block's slots (in the second week): refused, nothing made.
		over := oral.SlotInput{Date: "2027-03-09", Start: "11:00", End: "13:00", SlotMinutes: 60, Weeks: 1, Mode: oral.ModeVirtual, Location: "https://meet.example.org/b"}
		_, err = f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, over)
		e := wantCode(t, err, apperr.Conflict, "slot_overlap")
		if !strings.Contains(e.Message, "March 9, 2027 at 10:30 AM EST") {
			t.Errorf("overlap message %q", e.Message)
		}
		ts, err := f.svc.TrainerSlots(f.ctx, f.trainer, f.at(2027, 3, 1, 0, 0), f.at(2027, 4, 1, 0, 0))
		must(t, err)
		if len(ts) != 8 {
			t.Fatalf("%d slots after a refused overlap", len(ts))
		}
		// Adjacent is fine; another trainer at the same time is fine.
		adj := oral.SlotInput{Date: "2027-03-02", Start: "12:00", End: "12:45", Weeks: 1, Mode: oral.ModeVirtual, Location: "https://meet.example.org/c"}
		_, err = f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, adj)
		must(t, err)
		_, err = f.svc.CreateSlots(f.ctx, actor(f.trainer2), f.trainer2, over)
		must(t, err)
		// Cancelled slots free their time.
		must(t, f.svc.CancelSlot(f.ctx, actor(f.trainer), f.trainer, ts[6].ID, "Room unavailable"))
		must(t, f.svc.CancelSlot(f.ctx, actor(f.trainer), f.trainer, ts[7].ID, "Room unavailable"))
		_, err = f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, over)
		must(t, err)

		// Two requests for overlapping times at the same moment: exactly one wins, every round.
		for round := 0; round < 8; round++ {
			date := time.Date(2027, 4, 1+round, 0, 0, 0, 0, time.UTC).Format("2006-01-02")
			a := oral.SlotInput{Date: date, Start: "09:00", End: "10:00", Weeks: 1, Mode: oral.ModeVirtual, Location: "https://meet.example.org/r"}
			b := oral.SlotInput{Date: date, Start: "09:30", End: "10:30", Weeks: 1, Mode: oral.ModeVirtual, Location: "https://meet.example.org/r"}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			start := make(chan struct{})
			for i, in := range []oral.SlotInput{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = f.svc.CreateSlots(f.ctx, actor(f.trainer), f.trainer, in)
				}()
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Conflict):
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d of 2 overlapping requests succeeded (%v)", round, ok, errs)
			}
			day, _ := time.ParseInLocation("2006-01-02", date, f.ny)
			ts, err := f.svc.TrainerSlots(f.ctx, f.trainer, day, day.AddDate(0, 0, 1))
			must(t, err)
			if len(ts) != 1 {
				t.Fatalf("round %d: %d slots on %s", round, len(ts), date)
			}
		}
	})
}

// An unbooked slot can be withdrawn without a reason: nobody is told anything.
func TestCancelUnbookedSlotNeedsNoReason(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		sl := f.slot(f.trainer, f.at(2027, 3, 2, 9, 0), 45)
		must(t, f.svc.CancelSlot(f.ctx, actor(f.trainer), f.trainer, sl.ID, ""))
		err := f.svc.CancelSlot(f.ctx, actor(f.trainer), f.trainer, sl.ID, "")
		wantCode(t, err, apperr.Conflict, "slot_cancelled")
	})
}

func TestCancelSlotCancelsBooking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		sl := f.slot(f.trainer, f.at(2027, 3, 2, 9, 0), 45)
		c := f.candidate()
		b := f.book(c, sl.ID)
		err := f.svc.CancelSlot(f.ctx, actor(f.trainer), f.trainer, sl.ID, "")
		if e, _ := apperr.As(err); e == nil || e.Fields["reason"] == "" {
			t.Fatalf("no reason: %v", err)
		}
		err = f.svc.CancelSlot(f.ctx, actor(f.otherTrainer), f.otherTrainer, sl.ID, "x")
		wantCode(t, err, apperr.NotFound, "not_found")
		must(t, f.svc.CancelSlot(f.ctx, actor(f.admin), f.admin, sl.ID, "The examiner is ill"))
		got, err := f.svc.GetBooking(f.ctx, c, b.ID)
		must(t, err)
		if got.Status != oral.BookingCancelled || got.CancelReason != "The examiner is ill" {
			t.Fatalf("booking after slot cancel: %+v", got.Booking)
		}
		m := f.mails(c.Email)[0]
		cal, _ := calendarOf(t, &m)
		if calProp(cal, "METHOD") != "CANCEL" || !strings.Contains(m.Body, "The examiner is ill") {
			t.Fatalf("cancellation mail %q: %s", m.Subject, m.Body)
		}
		err = f.svc.CancelSlot(f.ctx, actor(f.admin), f.admin, sl.ID, "again")
		wantCode(t, err, apperr.Conflict, "slot_cancelled")
		left, err := f.svc.OpenSlots(f.ctx, c, f.vendor.ID, time.Time{}, time.Time{})
		must(t, err)
		if len(left) != 0 {
			t.Fatalf("cancelled slot still open: %+v", left)
		}
	})
}
