package api

import (
	"strconv"
	"time"

	ics "github.com/arran4/golang-ical"
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/urls"
)

// RubricView is the oral-exam rubric as examiners score it.
type RubricView struct {
	Title        string           `json:"title"`
	Version      string           `json:"version"`
	Scale        []RubricLevel    `json:"scale"`
	MinEach      int              `json:"min_each"`
	MinTotal     int              `json:"min_total"`
	MaxTotal     int              `json:"max_total"`
	Competencies []RubricCriteria `json:"competencies"`
}

// RubricLevel is one point of the scoring scale.
type RubricLevel struct {
	Score int    `json:"score"`
	Label string `json:"label"`
}

// RubricCriteria is one scored competency with the evidence expected at each score.
type RubricCriteria struct {
	ID          string            `json:"id"`
	Title       string            `json:"title"`
	Description string            `json:"description"`
	Descriptors map[string]string `json:"descriptors"`
}

// FeedLink is a trainer's private calendar feed address (shown once).
type FeedLink struct {
	URL string `json:"url"`
}

func (h *Handlers) rubric(c *fiber.Ctx) error {
	r := h.Oral.Rubric
	out := RubricView{Title: r.Title, Version: r.Version(), MinEach: r.MinEach, MinTotal: r.MinTotal, MaxTotal: r.MaxTotal(),
		Scale: []RubricLevel{}, Competencies: []RubricCriteria{}}
	for _, l := range r.Scale {
		out.Scale = append(out.Scale, RubricLevel{Score: l.Score, Label: l.Label})
	}
	for _, comp := range r.Competencies {
		d := map[string]string{}
		for score, text := range comp.Descriptors {
			d[strconv.Itoa(score)] = text
		}
		out.Competencies = append(out.Competencies, RubricCriteria{ID: comp.ID, Title: comp.Title, Description: comp.Description, Descriptors: d})
	}
	return writeJSON(c, out)
}

func (h *Handlers) bookingICS(c *fiber.Ctx) error {
	u := httpx.User(c)
	b, err := h.Oral.GetBooking(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	cal := ics.NewCalendarFor("PeerAcademy")
	cal.SetMethod(ics.MethodPublish)
	ev := cal.AddEvent(oral.BookingUID(b.ID))
	ev.SetDtStampTime(b.BookedAt)
	ev.SetStartAt(b.Slot.StartsAt)
	ev.SetEndAt(b.Slot.EndsAt)
	ev.SetSummary(oral.Summary)
	ev.SetLocation(b.Slot.Location)
	if b.Status == oral.BookingCancelled {
		ev.SetStatus(ics.ObjectStatusCancelled)
	} else {
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
	ev.SetDescription("PeerAcademy oral examination with " + b.VendorName + ". Examiner: " + b.TrainerName + ".")
	return sendFile(c, "text/calendar; charset=utf-8", "oral-exam.ics", []byte(cal.Serialize(ics.WithNewLineWindows)))
}

func (h *Handlers) createFeed(c *fiber.Ctx) error {
	tok, err := h.Oral.CreateFeed(c.UserContext(), httpx.Actor(c), httpx.User(c))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return writeJSON(c.Status(fiber.StatusCreated), FeedLink{URL: urls.Base(h.Oral.BaseURL).OralFeed(tok)})
}

func (h *Handlers) revokeFeed(c *fiber.Ctx) error {
	if err := h.Oral.RevokeFeed(c.UserContext(), httpx.Actor(c), httpx.User(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// slotWindow reads from and to (RFC 3339 times or YYYY-MM-DD dates). Staff see from seven days
// back by default, so a slot being examined (or just examined) is still listed; candidates from now.
func (h *Handlers) slotWindow(c *fiber.Ctx, u *account.User) (time.Time, time.Time, error) {
	now := h.now()
	from, to := now, now.Add(oral.Horizon)
	if u.Role != account.RoleCandidate {
		from = now.Add(-7 * 24 * time.Hour)
	}
	parse := func(name string, def time.Time) (time.Time, error) {
		v := c.Query(name)
		if v == "" {
			return def, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.DateOnly, v); err == nil {
			return t, nil
		}
		return time.Time{}, apperr.New(apperr.BadRequest, "bad_parameter", name+" must be a date (YYYY-MM-DD) or an RFC 3339 time.")
	}
	var err error
	if from, err = parse("from", from); err != nil {
		return from, to, err
	}
	if to, err = parse("to", to); err != nil {
		return from, to, err
	}
	if !to.After(from) || to.Sub(from) > 366*24*time.Hour {
		return from, to, apperr.New(apperr.BadRequest, "bad_parameter", "to must be after from, and at most a year later.")
	}
	return from, to, nil
}
