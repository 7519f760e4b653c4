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
	v, err := s.GetBooking(ctx, actor, bookingID)
	if err != nil {
		return nil, err
	}
	if v.Status != BookingActive {
		return nil, errBookingNotFound
	}
	p, err := s.party(ctx, s.DB, &v.Booking, &v.Slot)
	if err != nil {
		return nil, err
	}
	return p.invitation(ics.MethodPublish, s.now()).build(), nil
}
