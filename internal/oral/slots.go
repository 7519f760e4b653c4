package oral

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/page"
)

// Limits on slots.
const (
	MinSlotMinutes = 15
	MaxSlotMinutes = 240
	MaxWeeks       = 12
	MaxSlotsAtOnce = 400 // slots one CreateSlots call may make
	MaxListSpan    = 366 * 24 * time.Hour
)

// span is one planned slot.
type span struct{ start, end time.Time }

// parseClock reads "H:MM" or "HH:MM" as minutes after midnight.
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || strings.ContainsAny(h+m, "+-") {
		return 0, false
	}
	return hh*60 + mm, true
}

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// cleanLocation validates the location for the mode and returns it trimmed.
func cleanLocation(f apperr.Fields, mode, loc string) string {
	loc = strings.TrimSpace(loc)
	switch {
	case utf8.RuneCountInString(loc) > 500:
		f.Add("location", "Use at most 500 characters.")
	case strings.IndexFunc(loc, unicode.IsControl) >= 0:
		f.Add("location", "Remove the line breaks or special characters.")
	}
	switch mode {
	case ModeInPerson:
		if loc == "" {
			f.Add("location", "Give the address where the exam takes place.")
		}
	case ModeVirtual:
		u, err := url.Parse(loc)
		if loc == "" || err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || strings.ContainsAny(loc, " \t") {
			f.Add("location", "Give the meeting link, starting with https://.")
		}
	default:
		f.Add("mode", "Choose in person or online (virtual).")
	}
	return loc
}

// plan validates the input and lays out the slots in loc: each date's times are built with
// time.Date in the vendor's zone, so a 09:00 slot stays at 09:00 local time across a DST change.
func plan(in SlotInput, loc *time.Location, now time.Time) ([]span, SlotInput, error) {
	f := apperr.Fields{}
	in.Mode = strings.TrimSpace(in.Mode)
	in.Location = cleanLocation(f, in.Mode, in.Location)
	date, err := time.Parse("2006-01-02", strings.TrimSpace(in.Date))
	if err != nil {
		f.Add("date", "Enter the date as YYYY-MM-DD, such as 2027-03-02.")
	}
	start, okStart := parseClock(in.Start)
	if !okStart {
		f.Add("start", "Enter the start time as HH:MM, such as 09:00.")
	}
	end, okEnd := parseClock(in.End)
	if !okEnd {
		f.Add("end", "Enter the end time as HH:MM, such as 12:00.")
	}
	if in.Weeks == 0 {
		in.Weeks = 1
	}
	if in.Weeks < 1 || in.Weeks > MaxWeeks {
		f.Add("weeks", fmt.Sprintf("Repeat the block for 1 to %d weeks.", MaxWeeks))
	}
	length := in.SlotMinutes
	if okStart && okEnd {
		switch {
		case end <= start:
			f.Add("end", "The end time must be after the start time.")
		case in.SlotMinutes == 0:
			length = end - start
			if length < MinSlotMinutes || length > MaxSlotMinutes {
				f.Add("end", fmt.Sprintf("An exam slot lasts between %d and %d minutes; %s to %s is %d minutes.", MinSlotMinutes, MaxSlotMinutes, clock(start), clock(end), length))
			}
		case in.SlotMinutes < MinSlotMinutes || in.SlotMinutes > MaxSlotMinutes:
			f.Add("slot_minutes", fmt.Sprintf("An exam slot lasts between %d and %d minutes.", MinSlotMinutes, MaxSlotMinutes))
		case (end-start)%in.SlotMinutes != 0:
			n := (end - start) / in.SlotMinutes
			f.Add("end", fmt.Sprintf("%s to %s is not a whole number of %d-minute slots: %s fit, with %d minutes left over. End at %s instead.",
				clock(start), clock(end), in.SlotMinutes, plural(n, "slot", "slots"), (end-start)%in.SlotMinutes, clock(start+n*in.SlotMinutes)))
		}
	} else if in.SlotMinutes != 0 && (in.SlotMinutes < MinSlotMinutes || in.SlotMinutes > MaxSlotMinutes) {
		f.Add("slot_minutes", fmt.Sprintf("An exam slot lasts between %d and %d minutes.", MinSlotMinutes, MaxSlotMinutes))
	}
	if err := f.Err(); err != nil {
		return nil, in, err
	}
	perDay := (end - start) / length
	if perDay*in.Weeks > MaxSlotsAtOnce {
		return nil, in, apperr.Field("slot_minutes", fmt.Sprintf("That would make %d slots; make at most %d at once.", perDay*in.Weeks, MaxSlotsAtOnce))
	}
	at := func(day time.Time, min int) (time.Time, error) {
		t := time.Date(day.Year(), day.Month(), day.Day(), min/60, min%60, 0, 0, loc)
		l := t.In(loc)
		if l.Hour()*60+l.Minute() != min || l.Day() != day.Day() {
			return t, apperr.Field("start", fmt.Sprintf("%s does not exist on %s in %s (the clocks change that night); choose other times.", clock(min), day.Format("January 2, 2006"), loc))
		}
		return t.UTC(), nil
	}
	var out []span
	for w := 0; w < in.Weeks; w++ {
		day := date.AddDate(0, 0, 7*w)
		for i := 0; i < perDay; i++ {
			st, err := at(day, start+i*length)
			if err != nil {
				return nil, in, err
			}
			en, err := at(day, start+(i+1)*length)
			if err != nil {
				return nil, in, err
			}
			out = append(out, span{st, en})
		}
	}
	if !out[0].start.After(now) {
		return nil, in, apperr.Field("date", "Choose a date and time in the future.")
	}
	return out, in, nil
}

// CreateSlots offers exam slots for the trainer (a trainer or vendor administrator of a recognised
// vendor), who becomes their examiner. The input is a block on one date, cut into slots of
// SlotMinutes (or one slot when 0), repeated weekly for Weeks weeks. Times are wall-clock times in
// the vendor's zone. Slots that overlap one of the trainer's open slots are refused (none is
// made), also when two requests race: the check and the insert run in one transaction that first
// locks the trainer's row.
func (s *Service) CreateSlots(ctx context.Context, a audit.Actor, trainer *account.User, in SlotInput) ([]Slot, error) {
	if !isStaff(trainer) {
		return nil, errStaffOnly
	}
	v, err := loadVendor(ctx, s.DB, trainer.Vendor())
	if err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errStaffOnly
		}
		return nil, err
	}
	if !v.Recognised() {
		return nil, errStaffOnly
	}
	now := s.now()
	spans, in, err := plan(in, v.loc, now)
	if err != nil {
		return nil, err
	}
	slots := make([]Slot, len(spans))
	for i, sp := range spans {
		slots[i] = Slot{ID: newID(), VendorID: v.ID, TrainerID: trainer.ID, StartsAt: sp.start, EndsAt: sp.end, Mode: in.Mode,
			Location: in.Location, Status: SlotOpen, CreatedBy: &trainer.ID, CreatedAt: now}
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if err := account.LockUser(ctx, tx, trainer.ID); err != nil {
			return err
		}
		var existing []Slot
		err := tx.NewSelect().Model(&existing).Where("trainer_id = ?", trainer.ID).Where("status = ?", SlotOpen).
			Where("starts_at < ?", spans[len(spans)-1].end).Where("ends_at > ?", spans[0].start).Order("starts_at").Scan(ctx)
		if err != nil && !database.ErrIsNotFound(err) {
			return err
		}
		for _, e := range existing {
			for _, sp := range spans {
				if e.StartsAt.Before(sp.end) && e.EndsAt.After(sp.start) {
					return apperr.New(apperr.Conflict, "slot_overlap", fmt.Sprintf("These times overlap your exam slot from %s to %s. Nothing was added.",
						When(e.StartsAt, v.loc), e.EndsAt.In(v.loc).Format("3:04 PM")))
				}
			}
		}
		if _, err := tx.NewInsert().Model(&slots).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.slots.create", SubjectType: "user", SubjectID: trainer.ID, VendorID: v.ID,
			Details: map[string]any{"slots": len(slots), "first": slots[0].ID, "first_starts_at": slots[0].StartsAt, "weeks": in.Weeks,
				"slot_minutes": in.SlotMinutes, "mode": in.Mode}})
	})
	if err != nil {
		return nil, err
	}
	return slots, nil
}

// CancelSlot withdraws an open slot that has not started: the slot's trainer or an administrator
// of its vendor. An active booking of the slot is cancelled too, and then a reason is required: the
// candidate is emailed it (with a calendar cancellation).
func (s *Service) CancelSlot(ctx context.Context, a audit.Actor, actor *account.User, slotID, reason string) error {
	reason = strings.TrimSpace(reason)
	now := s.now()
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		sl, err := getSlot(ctx, tx, slotID, "UPDATE")
		if err != nil {
			return err
		}
		if !canExamine(actor, sl) {
			return errSlotNotFound
		}
		if utf8.RuneCountInString(reason) > 1000 {
			return apperr.Field("reason", "Use at most 1000 characters for the reason.")
		}
		if sl.Status != SlotOpen {
			return apperr.New(apperr.Conflict, "slot_cancelled", "This slot is already cancelled.")
		}
		if !sl.StartsAt.After(now) {
			return apperr.New(apperr.Conflict, "slot_started", "This slot has already started; record the exam or a no-show instead.")
		}
		// The slot row is locked, so nobody can book it meanwhile: the bookings read now are all of them.
		var bs []Booking
		if err := tx.NewSelect().Model(&bs).Where("slot_id = ?", sl.ID).Where("status = ?", BookingActive).Scan(ctx); err != nil && !database.ErrIsNotFound(err) {
			return err
		}
		if len(bs) > 0 && reason == "" {
			return apperr.Field("reason", "Give the reason for cancelling the slot; the booked candidate will read it.")
		}
		res, err := tx.NewUpdate().Model((*Slot)(nil)).Set("status = ?", SlotCancelled).Set("cancel_reason = ?", reason).
			Set("cancelled_at = ?", now).Set("cancelled_by = ?", actor.ID).Where("id = ?", sl.ID).Where("status = ?", SlotOpen).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "slot_cancelled", "This slot is already cancelled.")
		}
		for i := range bs {
			if err := s.cancelBooking(ctx, tx, a, actor, &bs[i], sl, reason, now, true); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.slot.cancel", SubjectType: "oral_slot", SubjectID: sl.ID, VendorID: sl.VendorID,
			Details: map[string]any{"bookings_cancelled": len(bs)}})
	})
}

// window clamps a listing's range: to defaults to three months after from, and the span is at most
// a year.
func window(from, to time.Time) (time.Time, time.Time) {
	if to.IsZero() {
		to = from.AddDate(0, 3, 0)
	}
	if to.Sub(from) > MaxListSpan {
		to = from.Add(MaxListSpan)
	}
	return from.UTC(), to.UTC()
}

// OpenSlots lists the vendor's slots a candidate could book, starting in [from, to) and in the
// future, earliest first. (Whether this candidate may book at all is Gate's answer.)
func (s *Service) OpenSlots(ctx context.Context, candidate *account.User, vendorID string, from, to time.Time) ([]OpenSlot, error) {
	p, err := s.OpenSlotsPage(ctx, candidate, vendorID, from, to, page.Request{Limit: 1000})
	return p.Items, err
}

// SlotsOrder is the order of slot lists: earliest first.
var SlotsOrder = page.Order{List: "slots", Keys: []page.Key{{Col: "starts_at", Time: true}, {Col: "id"}}}

// OpenSlotsPage is one page of OpenSlots.
func (s *Service) OpenSlotsPage(ctx context.Context, candidate *account.User, vendorID string, from, to time.Time, r page.Request) (page.Page[OpenSlot], error) {
	if !isCandidate(candidate) {
		return page.Page[OpenSlot]{}, errCandidateOnly
	}
	now := s.now()
	if from.Before(now) {
		from = now
	}
	from, to = window(from, to)
	out := []OpenSlot{}
	if !to.After(from) {
		return page.Page[OpenSlot]{Items: out}, nil
	}
	var slots []Slot
	pg, err := page.Fetch(ctx, s.DB.NewSelect().Model(&slots).Where("vendor_id = ?", vendorID).Where("status = ?", SlotOpen).
		Where("starts_at > ?", now).Where("starts_at >= ?", from).Where("starts_at < ?", to).
		Where("NOT EXISTS (SELECT 1 FROM oral_bookings AS b WHERE b.slot_id = slot.id AND b.status = ?)", BookingActive), &slots, r, SlotsOrder, slotKey)
	if err != nil {
		return page.Page[OpenSlot]{}, err
	}
	slots = pg.Items
	names, err := s.names(ctx, s.DB, slotTrainers(slots))
	if err != nil {
		return page.Page[OpenSlot]{}, err
	}
	for _, sl := range slots {
		out = append(out, OpenSlot{Slot: sl, TrainerName: names[sl.TrainerID].Name})
	}
	return page.Page[OpenSlot]{Items: out, Next: pg.Next}, nil
}

func slotKey(sl Slot) []any { return []any{sl.StartsAt, sl.ID} }

func slotTrainers(slots []Slot) []string {
	ids := make([]string, 0, len(slots))
	for _, sl := range slots {
		ids = append(ids, sl.TrainerID)
	}
	return ids
}

// names loads users' names and emails by id.
func (s *Service) names(ctx context.Context, db bun.IDB, ids []string) (map[string]account.User, error) {
	m := map[string]account.User{}
	if len(ids) == 0 {
		return m, nil
	}
	us, err := account.UsersByID(ctx, db, dedupe(ids), "", "id", "name", "email")
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	for _, u := range us {
		m[u.ID] = u
	}
	return m, nil
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// TrainerSlots lists the trainer's own slots (open and cancelled) starting in [from, to), earliest
// first, each with its booking if it has one.
func (s *Service) TrainerSlots(ctx context.Context, trainer *account.User, from, to time.Time) ([]TrainerSlot, error) {
	p, err := s.TrainerSlotsPage(ctx, trainer, from, to, page.Request{Limit: 2000})
	return p.Items, err
}

// TrainerSlotsPage is one page of TrainerSlots.
func (s *Service) TrainerSlotsPage(ctx context.Context, trainer *account.User, from, to time.Time, r page.Request) (page.Page[TrainerSlot], error) {
	if !isStaff(trainer) {
		return page.Page[TrainerSlot]{}, errStaffOnly
	}
	return s.staffSlots(ctx, func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("trainer_id = ?", trainer.ID).Where("vendor_id = ?", trainer.Vendor())
	}, from, to, r)
}

// VendorSlots lists every slot of the administrator's vendor starting in [from, to), like TrainerSlots.
func (s *Service) VendorSlots(ctx context.Context, admin *account.User, from, to time.Time) ([]TrainerSlot, error) {
	p, err := s.VendorSlotsPage(ctx, admin, from, to, page.Request{Limit: 2000})
	return p.Items, err
}

// VendorSlotsPage is one page of VendorSlots.
func (s *Service) VendorSlotsPage(ctx context.Context, admin *account.User, from, to time.Time, r page.Request) (page.Page[TrainerSlot], error) {
	if admin == nil || !isAdminOf(admin, admin.Vendor()) || admin.Vendor() == "" {
		return page.Page[TrainerSlot]{}, errStaffOnly
	}
	return s.staffSlots(ctx, func(q *bun.SelectQuery) *bun.SelectQuery { return q.Where("vendor_id = ?", admin.Vendor()) }, from, to, r)
}

func (s *Service) staffSlots(ctx context.Context, scope func(*bun.SelectQuery) *bun.SelectQuery, from, to time.Time, r page.Request) (page.Page[TrainerSlot], error) {
	from, to = window(from, to)
	out := []TrainerSlot{}
	if !to.After(from) {
		return page.Page[TrainerSlot]{Items: out}, nil
	}
	var slots []Slot
	pg, err := page.Fetch(ctx, scope(s.DB.NewSelect().Model(&slots)).Where("starts_at >= ?", from).Where("starts_at < ?", to), &slots, r, SlotsOrder, slotKey)
	if err != nil {
		return page.Page[TrainerSlot]{}, err
	}
	slots = pg.Items
	if len(slots) == 0 {
		return page.Page[TrainerSlot]{Items: out}, nil
	}
	ids := make([]string, len(slots))
	for i, sl := range slots {
		ids[i] = sl.ID
	}
	bookings, err := currentBookings(ctx, s.DB, ids)
	if err != nil {
		return page.Page[TrainerSlot]{}, err
	}
	users := slotTrainers(slots)
	var bids []string
	for _, b := range bookings {
		users = append(users, b.CandidateID)
		bids = append(bids, b.ID)
	}
	names, err := s.names(ctx, s.DB, users)
	if err != nil {
		return page.Page[TrainerSlot]{}, err
	}
	graded, err := gradedSet(ctx, s.DB, bids)
	if err != nil {
		return page.Page[TrainerSlot]{}, err
	}
	for _, sl := range slots {
		ts := TrainerSlot{Slot: sl, TrainerName: names[sl.TrainerID].Name}
		if b, ok := bookings[sl.ID]; ok {
			c := names[b.CandidateID]
			d, isGraded := graded[b.ID]
			ts.Booking = &BookingInfo{ID: b.ID, CandidateID: b.CandidateID, CandidateName: c.Name, CandidateEmail: c.Email, Status: b.Status, BookedAt: b.BookedAt, Graded: isGraded}
			if isGraded && !d.Decided {
				ts.Booking.AwaitingSeat = d.NextSeat
			}
		}
		out = append(out, ts)
	}
	return page.Page[TrainerSlot]{Items: out, Next: pg.Next}, nil
}

// currentBookings returns, per slot, its booking that is not cancelled (active, completed or
// no-show); there is at most one that is active, and a slot is booked again only while it is in the
// future, so at most one of any of these.
func currentBookings(ctx context.Context, db bun.IDB, slotIDs []string) (map[string]Booking, error) {
	var bs []Booking
	err := db.NewSelect().Model(&bs).Where("slot_id IN (?)", bun.In(slotIDs)).Where("status <> ?", BookingCancelled).OrderExpr("booked_at ASC").Scan(ctx)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	m := map[string]Booking{}
	for _, b := range bs {
		if cur, ok := m[b.SlotID]; ok && cur.Status == BookingActive {
			continue
		}
		m[b.SlotID] = b
	}
	return m, nil
}

// gradedSet returns the decisions of the graded bookings among bookingIDs.
func gradedSet(ctx context.Context, db bun.IDB, bookingIDs []string) (map[string]Decision, error) {
	m := map[string]Decision{}
	if len(bookingIDs) == 0 {
		return m, nil
	}
	ds, err := decisions(ctx, db, "g.booking_id IN (?)", bun.In(bookingIDs))
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		m[d.BookingID] = d.Decision
	}
	return m, nil
}
