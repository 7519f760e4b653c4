package api

import (
	"sort"
	"strings"

	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/page"
)

// CohortList lists cohorts.
type CohortList struct {
	Cohorts []cohort.Cohort `json:"cohorts"`
	Next    string          `json:"next,omitempty"`
	Paging
}

// EnrollRequest enrols a candidate by email.
type EnrollRequest struct {
	Email string `json:"email"`
}

// AttendanceRequest records a day's register.
type AttendanceRequest struct {
	Marks []cohort.Mark `json:"marks"`
}

// CohortProgress is the coursework standing of a cohort's candidates.
type CohortProgress struct {
	CohortID string          `json:"cohort_id"`
	Statuses []cohort.Status `json:"statuses"` // one page (limit, cursor)
	Paging
}

var progressOrder = page.Order{List: "progress", Keys: []page.Key{{Col: "name"}, {Col: "candidate_id"}}}

func (h *Handlers) listCohorts(c *fiber.Ctx) error {
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, err := h.Cohorts.ListPage(c.UserContext(), httpx.User(c), r)
	if err != nil {
		return err
	}
	return writeJSON(c, CohortList{Cohorts: p.Items, Next: p.Next, Paging: paging(c, p.Next)})
}

func (h *Handlers) createCohort(c *fiber.Ctx) error {
	var in cohort.CreateInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	co, err := h.Cohorts.Create(c.UserContext(), httpx.Actor(c), httpx.User(c), in)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), co)
}

func (h *Handlers) getCohort(c *fiber.Ctx) error {
	co, err := h.Cohorts.GetFor(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, co)
}

func (h *Handlers) enroll(c *fiber.Ctx) error {
	var in EnrollRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	e, err := h.Cohorts.Enroll(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in.Email)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), e)
}

func (h *Handlers) withdraw(c *fiber.Ctx) error {
	if err := h.Cohorts.Withdraw(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.Params("candidate")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) recordAttendance(c *fiber.Ctx) error {
	var in AttendanceRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	day, _ := strconv.Atoi(c.Params("day"))
	if err := h.Cohorts.RecordAttendance(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), day, in.Marks); err != nil {
		return err
	}
	reg, err := h.Cohorts.Register(c.UserContext(), c.Params("id"), day)
	if err != nil {
		return err
	}
	out := make([]cohort.Attendance, 0, len(reg))
	for _, a := range reg {
		out = append(out, a)
	}
	return writeJSON(c, out)
}

func (h *Handlers) addMakeup(c *fiber.Ctx) error {
	var in cohort.MakeupInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	m, err := h.Cohorts.AddMakeup(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), m)
}

func (h *Handlers) cohortProgress(c *fiber.Ctx) error {
	co, err := h.Cohorts.GetFor(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	// Standing is computed in Go from attendance, make-up work and checks, so this list is cut
	// after it is built (page.Slice), in its order (name, then candidate id).
	sts, err := h.Cohorts.Statuses(c.UserContext(), co)
	if err != nil {
		return err
	}
	sort.SliceStable(sts, func(i, j int) bool {
		a, b := sts[i], sts[j]
		if la, lb := strings.ToLower(a.Name), strings.ToLower(b.Name); la != lb {
			return la < lb
		}
		return a.CandidateID < b.CandidateID
	})
	p, err := page.Slice(sts, r, progressOrder, func(s cohort.Status) []any { return []any{strings.ToLower(s.Name), s.CandidateID} })
	if err != nil {
		return err
	}
	return writeJSON(c, CohortProgress{CohortID: co.ID, Statuses: p.Items, Paging: paging(c, p.Next)})
}
