package oral

import (
	"context"

	ics "github.com/arran4/golang-ical"

	"github.com/peeracademy/peeracademy/internal/account"
)

// BookingCalendar is the calendar invitation of an active booking, the same one its confirmation
// email carried, for the candidate (or its examiners) to download from the oral exam page. Others get
// not found.
func (s *Service) BookingCalendar(ctx context.Context, actor *account.User, bookingID string) ([]byte, error) {
	b, err := getBooking(ctx, s.DB, bookingID, false)
	if err != nil {
		return nil, err
	}
	sl, err := getSlot(ctx, s.DB, b.SlotID, "")
	if err != nil {
		return nil, err
	}
	if !(isCandidate(actor) && actor.ID == b.CandidateID) && !canExamine(actor, sl) || b.Status != BookingActive {
		return nil, errBookingNotFound
	}
	p, err := s.party(ctx, s.DB, b, sl)
	if err != nil {
		return nil, err
	}
	return p.invitation(ics.MethodPublish, s.now()).build(), nil
}
