package api

import (
	"sort"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/page"
)

// SlotList lists oral-exam slots.
type SlotList struct {
	Slots []oral.TrainerSlot `json:"slots,omitempty"`
	Open  []oral.OpenSlot    `json:"open,omitempty"`
	Gate  *oral.Gate         `json:"gate,omitempty"`
	Paging
}

// BookRequest books a slot.
type BookRequest struct {
	SlotID string `json:"slot_id"`
}

// ReasonRequest carries a reason (required when staff cancel).
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// AmendRequest amends a submitted grade.
type AmendRequest struct {
	Reason string          `json:"reason"`
	Grade  oral.GradeInput `json:"grade"`
}

// GradingView is whether the caller may grade a booking now (and why not), with the grades they
// may see.
type GradingView struct {
	Status *oral.GradingStatus `json:"status"`
	Grades []oral.Grade        `json:"grades"`
}

// ExceptionList lists a vendor's examiner exceptions.
type ExceptionList struct {
	Exceptions []oral.Exception `json:"exceptions"`
	Paging
}

// AwaitingList lists exams waiting for another examiner.
type AwaitingList struct {
	Awaiting []oral.Awaiting `json:"awaiting"`
	Paging
}

// Whether an exam waits for another examiner is decided from all its grades in Go, so this list is
// cut after it is built (page.Slice), earliest exam first.
var awaitingOrder = page.Order{List: "awaiting", Keys: []page.Key{{Col: "starts_at", Time: true}, {Col: "booking_id"}}}

// OralStatus is a candidate's bookings and result.
type OralStatus struct {
	Gate     *oral.Gate         `json:"gate"`
	Bookings []oral.BookingView `json:"bookings"` // one page (limit, cursor), newest first
	Result   *oral.Result       `json:"result,omitempty"`
	Paging
}

func (h *Handlers) oralSlots(c *fiber.Ctx) error {
	u := httpx.User(c)
	from, to, err := h.slotWindow(c, u)
	if err != nil {
		return err
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	switch u.Role {
	case account.RoleCandidate:
		g, err := h.Oral.Gate(c.UserContext(), u)
		if err != nil {
			return err
		}
		out := SlotList{Gate: g, Open: []oral.OpenSlot{}}
		if err := oral.SlotsOrder.Check(r); err != nil {
			return err
		}
		if g.CanBook {
			p, err := h.Oral.OpenSlotsPage(c.UserContext(), u, g.VendorID, from, to, r)
			if err != nil {
				return err
			}
			out.Open, out.Paging = p.Items, paging(c, p.Next)
		}
		return writeJSON(c, out)
	case account.RoleVendorAdmin:
		p, err := h.Oral.VendorSlotsPage(c.UserContext(), u, from, to, r)
		if err != nil {
			return err
		}
		return writeJSON(c, SlotList{Slots: p.Items, Paging: paging(c, p.Next)})
	}
	p, err := h.Oral.TrainerSlotsPage(c.UserContext(), u, from, to, r)
	if err != nil {
		return err
	}
	return writeJSON(c, SlotList{Slots: p.Items, Paging: paging(c, p.Next)})
}

func (h *Handlers) createSlots(c *fiber.Ctx) error {
	var in oral.SlotInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	s, err := h.Oral.CreateSlots(c.UserContext(), httpx.Actor(c), httpx.User(c), in)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), s)
}

func (h *Handlers) bookSlot(c *fiber.Ctx) error {
	var in BookRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	b, err := h.Oral.Book(c.UserContext(), httpx.Actor(c), httpx.User(c), in.SlotID)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), b)
}

func (h *Handlers) cancelBooking(c *fiber.Ctx) error {
	var in ReasonRequest
	if len(c.Body()) > 0 {
		if err := httpx.DecodeJSON(c, &in); err != nil {
			return err
		}
	}
	if err := h.Oral.Cancel(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in.Reason); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) reschedule(c *fiber.Ctx) error {
	var in BookRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	b, err := h.Oral.Reschedule(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in.SlotID)
	if err != nil {
		return err
	}
	return writeJSON(c, b)
}

func (h *Handlers) noShow(c *fiber.Ctx) error {
	if err := h.Oral.MarkNoShow(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) grade(c *fiber.Ctx) error {
	var in oral.GradeInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	g, err := h.Oral.Grade(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), g)
}

func (h *Handlers) amend(c *fiber.Ctx) error {
	var in AmendRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	g, err := h.Oral.Amend(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in.Reason, in.Grade)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), g)
}

func (h *Handlers) oralStatus(c *fiber.Ctx) error {
	u := httpx.User(c)
	g, err := h.Oral.Gate(c.UserContext(), u)
	if err != nil {
		return err
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	bs, err := h.Oral.BookingsPage(c.UserContext(), u, r)
	if err != nil {
		return err
	}
	out := OralStatus{Gate: g, Bookings: bs.Items, Paging: paging(c, bs.Next)}
	if r, err := h.Oral.Result(c.UserContext(), u); err == nil {
		out.Result = r
	} else if !apperr.Is(err, apperr.NotFound) {
		return err
	}
	return writeJSON(c, out)
}

func (h *Handlers) grading(c *fiber.Ctx) error {
	u := httpx.User(c)
	st, err := h.Oral.GradingStatus(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	gs, err := h.Oral.Grades(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(GradingView{Status: st, Grades: gs})
}

func (h *Handlers) awaiting(c *fiber.Ctx) error {
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	as, err := h.Oral.AwaitingGrades(c.UserContext(), httpx.User(c))
	if err != nil {
		return err
	}
	key := func(a oral.Awaiting) []any { return []any{a.StartsAt, a.BookingID} }
	sort.SliceStable(as, func(i, j int) bool { return page.Less(key(as[i]), key(as[j])) })
	p, err := page.Slice(as, r, awaitingOrder, key)
	if err != nil {
		return err
	}
	return writeJSON(c, AwaitingList{Awaiting: p.Items, Paging: paging(c, p.Next)})
}

func (h *Handlers) addException(c *fiber.Ctx) error {
	var in oral.ExceptionInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	e, err := h.Oral.AddException(c.UserContext(), httpx.Actor(c), httpx.User(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(e)
}

func (h *Handlers) exceptions(c *fiber.Ctx) error {
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, err := h.Oral.ExceptionsPage(c.UserContext(), httpx.User(c), r)
	if err != nil {
		return err
	}
	return writeJSON(c, ExceptionList{Exceptions: p.Items, Paging: paging(c, p.Next)})
}

func (h *Handlers) oralSettings(c *fiber.Ctx) error {
	s, err := h.Oral.Settings(c.UserContext(), httpx.User(c).Vendor())
	if err != nil {
		return err
	}
	return c.JSON(s)
}

func (h *Handlers) oralUpdateSettings(c *fiber.Ctx) error {
	var in oral.Settings
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	s, err := h.Oral.UpdateSettings(c.UserContext(), httpx.Actor(c), httpx.User(c), in)
	if err != nil {
		return err
	}
	return c.JSON(s)
}
