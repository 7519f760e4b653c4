package oral

import (
	"context"
	"strings"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
)

// FeedContentType is the media type of Feed's output.
const FeedContentType = "text/calendar; charset=utf-8"

var errFeedNotFound = apperr.New(apperr.NotFound, "not_found", "This calendar link is not valid. Create a new one in PeerAcademy.")

// CreateFeed gives the trainer (or vendor administrator) a secret calendar-subscription token and
// revokes any earlier one. Only the token's SHA-256 is stored: show the token once, in the feed URL.
func (s *Service) CreateFeed(ctx context.Context, a audit.Actor, trainer *account.User) (string, error) {
	if !isStaff(trainer) {
		return "", errStaffOnly
	}
	token := account.NewSecret()
	now := s.now()
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if err := account.LockUser(ctx, tx, trainer.ID); err != nil {
			return err
		}
		revoked, err := revokeFeeds(ctx, tx, trainer.ID, now)
		if err != nil {
			return err
		}
		f := &feed{ID: newID(), TrainerID: trainer.ID, TokenHash: account.HashSecret(token), CreatedAt: now}
		if _, err := tx.NewInsert().Model(f).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.feed.create", SubjectType: "user", SubjectID: trainer.ID, VendorID: trainer.Vendor(),
			Details: map[string]any{"feed": f.ID, "revoked": revoked}})
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

func revokeFeeds(ctx context.Context, tx bun.IDB, trainerID string, now time.Time) (int64, error) {
	res, err := tx.NewUpdate().Model((*feed)(nil)).Set("revoked_at = ?", now).Where("trainer_id = ?", trainerID).Where("revoked_at IS NULL").Exec(ctx)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// RevokeFeed revokes the trainer's calendar link (if any): its URL stops working at once.
func (s *Service) RevokeFeed(ctx context.Context, a audit.Actor, trainer *account.User) error {
	if !isStaff(trainer) {
		return errStaffOnly
	}
	now := s.now()
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		n, err := revokeFeeds(ctx, tx, trainer.ID, now)
		if err != nil || n == 0 {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "oral.feed.revoke", SubjectType: "user", SubjectID: trainer.ID, VendorID: trainer.Vendor(),
			Details: map[string]any{"revoked": n}})
	})
}

// HasFeed reports whether the trainer has a live calendar link.
func (s *Service) HasFeed(ctx context.Context, trainer *account.User) (bool, error) {
	n, err := s.DB.NewSelect().Model((*feed)(nil)).Where("trainer_id = ?", trainer.ID).Where("revoked_at IS NULL").Count(ctx)
	return n > 0, err
}

// Feed renders the calendar of a feed token (text/calendar, METHOD:PUBLISH): the trainer's open
// slots that have not ended, booked or not. Events name no candidate (a feed is often synced to
// third-party calendars); the UID is "slot-<slot id>@peeracademy", so an event keeps its identity
// when its slot is booked. An unknown or revoked token, or a trainer no longer active, is NotFound.
func (s *Service) Feed(ctx context.Context, token string) ([]byte, error) {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 200 {
		return nil, errFeedNotFound
	}
	f := new(feed)
	err := s.DB.NewSelect().Model(f).Where("token_hash = ?", account.HashSecret(token)).Where("revoked_at IS NULL").Scan(ctx)
	if err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errFeedNotFound
		}
		return nil, err
	}
	trainer, err := loadUser(ctx, s.DB, f.TrainerID)
	if err != nil {
		return nil, err
	}
	if !isStaff(trainer) {
		return nil, errFeedNotFound
	}
	v, err := loadVendor(ctx, s.DB, trainer.Vendor())
	if err != nil {
		return nil, err
	}
	now := s.now()
	var slots []Slot
	err = s.DB.NewSelect().Model(&slots).Where("trainer_id = ?", trainer.ID).Where("vendor_id = ?", v.ID).Where("status = ?", SlotOpen).
		Where("ends_at > ?", now).OrderExpr("starts_at ASC, id ASC").Limit(2000).Scan(ctx)
	if err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	booked := map[string]Booking{}
	if len(slots) > 0 {
		ids := make([]string, len(slots))
		for i, sl := range slots {
			ids[i] = sl.ID
		}
		if booked, err = currentBookings(ctx, s.DB, ids); err != nil {
			return nil, err
		}
	}
	cal := ics.NewCalendarFor("PeerAcademy")
	cal.SetMethod(ics.MethodPublish)
	cal.SetName("PeerAcademy oral exams")
	cal.SetXWRCalName("PeerAcademy oral exams")
	cal.SetXWRTimezone(v.loc.String())
	cal.SetRefreshInterval("PT1H")
	cal.SetXPublishedTTL("PT1H")
	for _, sl := range slots {
		ev := cal.AddEvent("slot-" + sl.ID + "@" + UIDDomain)
		ev.SetDtStampTime(now)
		ev.SetStartAt(sl.StartsAt)
		ev.SetEndAt(sl.EndsAt)
		ev.SetLocation(sl.Location)
		if sl.Mode == ModeVirtual {
			ev.SetURL(sl.Location)
		}
		b, ok := booked[sl.ID]
		switch {
		case ok && b.Status == BookingActive:
			ev.SetSummary(Summary + " (booked)")
			ev.SetStatus(ics.ObjectStatusConfirmed)
			ev.SetDescription("A candidate has booked this oral exam. " + s.signIn() + " to see who.")
		case ok:
			ev.SetSummary(Summary + " (held)")
			ev.SetStatus(ics.ObjectStatusConfirmed)
		default:
			ev.SetSummary(Summary + " (open slot)")
			ev.SetStatus(ics.ObjectStatusTentative)
			ev.SetDescription("Not booked yet.")
		}
	}
	return []byte(cal.Serialize(ics.WithNewLineWindows)), nil
}
