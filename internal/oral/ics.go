package oral

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/notify"
)

// Summary is the title of an oral-exam calendar event.
const Summary = "Oral examination"

// UIDDomain ends every calendar UID: a booking's invitation is "<booking id>@peeracademy".
const UIDDomain = "peeracademy"

// BookingUID is the UID of a booking's calendar invitation (and of its cancellation).
func BookingUID(bookingID string) string { return bookingID + "@" + UIDDomain }

// cn writes a name as an iCalendar CN parameter value: a quoted-string (RFC 5545 section 3.1), in
// which ";", ":", "," and apostrophes stand as they are, and nothing is backslash-escaped (parameter
// values have no escapes; calendar apps would show the backslash). A double quote cannot appear in
// a quoted-string, so it becomes an apostrophe; control characters become spaces.
func cn(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r):
			return ' '
		case r == '"':
			return '\''
		}
		return r
	}, name)
	return `"` + strings.Join(strings.Fields(name), " ") + `"`
}

// partyLine writes an ORGANIZER or ATTENDEE content line, folded, with CRLF. golang-ical escapes
// parameter values with backslashes, which RFC 5545 does not allow, so these two lines are written here.
func partyLine(prop, email string, params ...string) string {
	return fold(prop + ";" + strings.Join(params, ";") + ":mailto:" + email)
}

// fold splits a content line into lines of at most 75 octets (RFC 5545 section 3.1), never inside a
// UTF-8 sequence; continuation lines start with a space.
func fold(line string) string {
	var b strings.Builder
	limit := 75
	for len(line) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut] + "\r\n ")
		line = line[cut:]
		limit = 74 // the leading space counts
	}
	b.WriteString(line + "\r\n")
	return b.String()
}

// invitation is one booking's calendar object.
type invitation struct {
	method    ics.Method // MethodRequest or MethodCancel
	uid       string
	sequence  int
	stamp     time.Time
	slot      *Slot
	organizer *account.User // the examiner
	attendee  *account.User // the candidate
	note      string
}

// build renders the invitation as text/calendar (CRLF lines). DTSTART and DTEND are in UTC.
func (inv invitation) build() []byte {
	cal := ics.NewCalendarFor("PeerAcademy")
	cal.SetMethod(inv.method)
	ev := cal.AddEvent(inv.uid)
	ev.SetDtStampTime(inv.stamp)
	ev.SetSequence(inv.sequence)
	ev.SetStartAt(inv.slot.StartsAt)
	ev.SetEndAt(inv.slot.EndsAt)
	ev.SetSummary(Summary)
	ev.SetLocation(inv.slot.Location)
	if inv.slot.Mode == ModeVirtual {
		ev.SetURL(inv.slot.Location)
	}
	if inv.note != "" {
		ev.SetDescription(inv.note)
	}
	status := ics.ParticipationStatusAccepted
	if inv.method == ics.MethodCancel {
		status = ics.ParticipationStatusDeclined
		ev.SetStatus(ics.ObjectStatusCancelled)
	} else {
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
	people := partyLine("ORGANIZER", inv.organizer.Email, "CN="+cn(inv.organizer.Name)) +
		partyLine("ATTENDEE", inv.attendee.Email, "CN="+cn(inv.attendee.Name), "PARTSTAT="+string(status), "ROLE="+string(ics.ParticipationRoleReqParticipant))
	out := cal.Serialize(ics.WithNewLineWindows)
	return []byte(strings.Replace(out, "END:VEVENT\r\n", people+"END:VEVENT\r\n", 1))
}

func (inv invitation) attachment() notify.Attachment {
	name := "oral-exam.ics"
	if inv.method == ics.MethodCancel {
		name = "oral-exam-cancelled.ics"
	}
	return notify.Attachment{Filename: name, ContentType: "text/calendar; charset=utf-8; method=" + string(inv.method), Data: inv.build()}
}

// ---- email ----

// party is everything an email about a booking needs, read in the caller's transaction.
type party struct {
	booking   *Booking
	slot      *Slot
	candidate *account.User
	trainer   *account.User
	vendor    *vendorInfo
	settings  Settings
}

func (s *Service) party(ctx context.Context, db bun.IDB, b *Booking, sl *Slot) (*party, error) {
	p := &party{booking: b, slot: sl}
	var err error
	if p.candidate, err = loadUser(ctx, db, b.CandidateID); err != nil {
		return nil, err
	}
	if p.trainer, err = loadUser(ctx, db, sl.TrainerID); err != nil {
		return nil, err
	}
	if p.vendor, err = loadVendor(ctx, db, sl.VendorID); err != nil {
		return nil, err
	}
	if p.settings, err = settingsIn(ctx, db, sl.VendorID); err != nil {
		return nil, err
	}
	return p, nil
}

// span formats the slot's time: "Tuesday, March 2, 2027, 9:00 AM to 9:45 AM EST".
func (p *party) span() string {
	st, en := p.slot.StartsAt.In(p.vendor.loc), p.slot.EndsAt.In(p.vendor.loc)
	return st.Format("Monday, January 2, 2006, 3:04 PM") + " to " + en.Format("3:04 PM MST")
}

func (p *party) where() string {
	if p.slot.Mode == ModeVirtual {
		return "Online, at " + p.slot.Location
	}
	return "In person, at " + p.slot.Location
}

func (p *party) cancelBy() time.Time {
	return p.slot.StartsAt.Add(-time.Duration(p.settings.CutoffHours) * time.Hour)
}

func (p *party) invitation(method ics.Method, stamp time.Time) invitation {
	seq := 0
	if method == ics.MethodCancel {
		seq = 1
	}
	return invitation{method: method, uid: BookingUID(p.booking.ID), sequence: seq, stamp: stamp, slot: p.slot, organizer: p.trainer, attendee: p.candidate,
		note: "PeerAcademy oral examination with " + p.vendor.Name + ". Examiner: " + p.trainer.Name + "."}
}

func (s *Service) signIn() string {
	if s.BaseURL == "" {
		return "Sign in to PeerAcademy"
	}
	return "Sign in at " + strings.TrimRight(s.BaseURL, "/")
}

func (s *Service) send(ctx context.Context, db bun.IDB, e notify.Email) error {
	if s.Outbox == nil {
		return nil
	}
	return s.Outbox.Enqueue(ctx, db, e)
}

// changeRule says until when the candidate can change the booking, or, for a booking made inside
// the cutoff, that only the training organisation can now.
func changeRule(p *party, now time.Time) string {
	if now.Before(p.cancelBy()) {
		return fmt.Sprintf("You can cancel or reschedule until %s. After that, please contact %s.", When(p.cancelBy(), p.vendor.loc), p.vendor.Name)
	}
	return fmt.Sprintf("This exam is less than %s away, so the booking can no longer be cancelled or moved online. If you cannot attend, please contact %s as soon as you can.",
		plural(p.settings.CutoffHours, "hour", "hours"), p.vendor.Name)
}

// mailBooked confirms a booking to the candidate and to the examiner, with an invitation each.
func (s *Service) mailBooked(ctx context.Context, db bun.IDB, p *party, now time.Time, moved bool) error {
	inv := p.invitation(ics.MethodRequest, now).attachment()
	verb, subj := "is booked", "Your oral exam is booked: "
	if moved {
		verb, subj = "has been moved to a new time", "Your oral exam has moved: "
	}
	body := fmt.Sprintf(`Hello %s,

Your PeerAcademy oral examination with %s %s.

When: %s
Where: %s
Examiner: %s

%s

A calendar invitation is attached. %s to see or change your booking.
`, p.candidate.Name, p.vendor.Name, verb, p.span(), p.where(), p.trainer.Name, changeRule(p, now), s.signIn())
	if err := s.send(ctx, db, notify.Email{To: p.candidate.Email, Subject: subj + When(p.slot.StartsAt, p.vendor.loc), Body: body, Attachments: []notify.Attachment{inv}}); err != nil {
		return err
	}
	tbody := fmt.Sprintf(`Hello %s,

%s has booked the oral examination you offered.

When: %s
Where: %s

A calendar invitation is attached. %s to see your exam schedule.
`, p.trainer.Name, p.candidate.Name, p.span(), p.where(), s.signIn())
	return s.send(ctx, db, notify.Email{To: p.trainer.Email, Subject: "Oral exam booked: " + When(p.slot.StartsAt, p.vendor.loc), Body: tbody, Attachments: []notify.Attachment{inv}})
}

// mailCancelled tells the candidate (and, unless the examiner cancelled, the examiner) that a
// booking is cancelled, with a calendar cancellation.
func (s *Service) mailCancelled(ctx context.Context, db bun.IDB, p *party, actor *account.User, reason string, now time.Time, moved bool) error {
	inv := p.invitation(ics.MethodCancel, now).attachment()
	var why string
	switch {
	case moved:
		why = "You moved this exam to another time; you will receive a separate confirmation of the new time."
	case actor != nil && actor.ID == p.candidate.ID:
		why = "You cancelled this booking."
	default:
		why = "Your training organisation cancelled this booking."
		if reason != "" {
			why += "\nReason: " + reason
		}
		why += "\nWe are sorry for the inconvenience. You can choose another time."
	}
	body := fmt.Sprintf(`Hello %s,

Your PeerAcademy oral examination with %s on %s is cancelled.

%s

The attached calendar update removes it from your calendar. %s to book or see your exams.
`, p.candidate.Name, p.vendor.Name, p.span(), why, s.signIn())
	subject := "Your oral exam is cancelled: "
	if moved {
		subject = "Previous oral exam time cancelled: "
	}
	if err := s.send(ctx, db, notify.Email{To: p.candidate.Email, Subject: subject + When(p.slot.StartsAt, p.vendor.loc), Body: body, Attachments: []notify.Attachment{inv}}); err != nil {
		return err
	}
	if actor != nil && actor.ID == p.trainer.ID {
		return nil
	}
	what := "cancelled their booking"
	if moved {
		what = "moved their booking to another time"
	} else if actor == nil || actor.ID != p.candidate.ID {
		what = "no longer has this booking: your training organisation cancelled it"
	}
	tbody := fmt.Sprintf(`Hello %s,

%s %s for the oral examination on %s.

The attached calendar update removes it from your calendar. %s to see your exam schedule.
`, p.trainer.Name, p.candidate.Name, what, p.span(), s.signIn())
	return s.send(ctx, db, notify.Email{To: p.trainer.Email, Subject: "Oral exam cancelled: " + When(p.slot.StartsAt, p.vendor.loc), Body: tbody, Attachments: []notify.Attachment{inv}})
}
