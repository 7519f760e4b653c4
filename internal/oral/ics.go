package oral

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	ics "github.com/arran4/golang-ical"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/urls"
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

// signIn is the calendar feed's pointer to the site (the emails say it in their templates).
func (s *Service) signIn() string {
	if s.BaseURL == "" {
		return "Sign in to PeerAcademy"
	}
	return "Sign in at " + urls.Base(s.BaseURL).Home()
}

// mailData is what every email about a booking shows: who, with whom, when and where (the words
// are in the oral_* templates of internal/notify). SiteURL is empty without a base URL.
func (s *Service) mailData(p *party) map[string]any {
	site := ""
	if s.BaseURL != "" {
		site = urls.Base(s.BaseURL).Home()
	}
	st, en := p.slot.StartsAt.In(p.vendor.loc), p.slot.EndsAt.In(p.vendor.loc)
	return map[string]any{"Candidate": p.candidate.Name, "Trainer": p.trainer.Name, "Vendor": p.vendor.Name,
		"When": When(p.slot.StartsAt, p.vendor.loc), "Day": Day(p.slot.StartsAt, p.vendor.loc),
		"Starts": st.Format("Monday, January 2, 2006, 3:04 PM"), "Ends": en.Format("3:04 PM MST"),
		"Online": p.slot.Mode == ModeVirtual, "Location": p.slot.Location, "SiteURL": site}
}

// send renders the template name with data (mailData plus the mail's own values) to one address
// and enqueues it with the attachments and dedupe key of extra.
func (s *Service) send(ctx context.Context, db bun.IDB, to, name string, data map[string]any, extra notify.Email) error {
	if s.Outbox == nil {
		return nil
	}
	m, err := notify.Compose(to, name, data)
	if err != nil {
		return err
	}
	m.Attachments, m.DedupeKey = extra.Attachments, extra.DedupeKey
	return s.Outbox.Enqueue(ctx, db, m)
}

// mailBooked confirms a booking to the candidate and to the examiner, with an invitation each. The
// candidate is told until when they can change it, or, for a booking made inside the cutoff, that
// only the training organisation can now.
func (s *Service) mailBooked(ctx context.Context, db bun.IDB, p *party, now time.Time, moved bool) error {
	inv := notify.Email{Attachments: []notify.Attachment{p.invitation(ics.MethodRequest, now).attachment()}}
	data := s.mailData(p)
	data["Moved"] = moved
	data["CanChange"] = now.Before(p.cancelBy())
	data["CancelBy"] = When(p.cancelBy(), p.vendor.loc)
	data["CutoffHours"] = p.settings.CutoffHours
	if err := s.send(ctx, db, p.candidate.Email, "oral_booked", data, inv); err != nil {
		return err
	}
	return s.send(ctx, db, p.trainer.Email, "oral_booked_trainer", data, inv)
}

// mailCancelled tells the candidate (and, unless the examiner cancelled, the examiner) that a
// booking is cancelled, with a calendar cancellation.
func (s *Service) mailCancelled(ctx context.Context, db bun.IDB, p *party, actor *account.User, reason string, now time.Time, moved bool) error {
	inv := notify.Email{Attachments: []notify.Attachment{p.invitation(ics.MethodCancel, now).attachment()}}
	data := s.mailData(p)
	data["Moved"] = moved
	data["ByCandidate"] = actor != nil && actor.ID == p.candidate.ID
	data["Reason"] = reason
	if err := s.send(ctx, db, p.candidate.Email, "oral_cancelled", data, inv); err != nil {
		return err
	}
	if actor != nil && actor.ID == p.trainer.ID {
		return nil
	}
	return s.send(ctx, db, p.trainer.Email, "oral_cancelled_trainer", data, inv)
}
