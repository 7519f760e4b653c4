package oral

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
)

// ReminderBatch is how many reminders one SendReminders call sends at most.
const ReminderBatch = 500

// SendReminders emails the candidate of each active booking whose exam starts within the next
// ReminderWindow (24 hours) after now, once. Each booking is claimed with one conditional UPDATE of
// reminded_at (from NULL) in the transaction that enqueues the email with the dedupe key
// "oral-reminder:<booking id>", so workers running at the same time send each reminder once. It
// returns how many reminders this call sent.
func (s *Service) SendReminders(ctx context.Context, now time.Time) (int, error) {
	if now.IsZero() {
		now = s.now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	var ids []string
	err := s.DB.NewRaw(`SELECT b.id FROM oral_bookings AS b JOIN oral_slots AS s ON s.id = b.slot_id
WHERE b.status = ? AND b.reminded_at IS NULL AND s.status = ? AND s.starts_at > ? AND s.starts_at <= ?
ORDER BY s.starts_at ASC LIMIT ?`, BookingActive, SlotOpen, now, now.Add(ReminderWindow), ReminderBatch).Scan(ctx, &ids)
	if err != nil && !database.ErrIsNotFound(err) {
		return 0, err
	}
	sent := 0
	for _, id := range ids {
		claimed := false
		err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.NewUpdate().Model((*Booking)(nil)).Set("reminded_at = ?", now).
				Where("id = ?", id).Where("status = ?", BookingActive).Where("reminded_at IS NULL").Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // another worker has it, or it was cancelled meanwhile
			}
			b, err := getBooking(ctx, tx, id, false)
			if err != nil {
				return err
			}
			sl, err := getSlot(ctx, tx, b.SlotID, "")
			if err != nil {
				return err
			}
			p, err := s.party(ctx, tx, b, sl)
			if err != nil {
				return err
			}
			if err := s.send(ctx, tx, p.candidate.Email, "oral_reminder", s.mailData(p), notify.Email{DedupeKey: "oral-reminder:" + b.ID}); err != nil {
				return err
			}
			claimed = true
			return audit.Record(ctx, tx, audit.System, audit.Entry{Action: "oral.booking.remind", SubjectType: "oral_booking", SubjectID: b.ID, VendorID: sl.VendorID})
		})
		if err != nil {
			return sent, err
		}
		if claimed {
			sent++
		}
	}
	return sent, nil
}
