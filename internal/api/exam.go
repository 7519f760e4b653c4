package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// AnswerRequest saves one answer: displayed option indexes ([] clears), the review flag and a
// client sequence number that must grow with each save of the same question.
type AnswerRequest struct {
	Choice  []int `json:"choice"`
	Flagged bool  `json:"flagged"`
	Seq     int64 `json:"seq"`
}

// ExamResults lists the caller's attempts.
type ExamResults struct {
	Gate    *exam.Gate           `json:"gate"`
	Results []exam.AttemptResult `json:"results"`
}

// RetireRequest retires an item from future forms.
type RetireRequest struct {
	Reason string `json:"reason"`
}

// AccommodationRequest grants extra time.
type AccommodationRequest struct {
	CandidateID  string `json:"candidate_id"`
	ExtraMinutes int    `json:"extra_minutes"`
	Reason       string `json:"reason"`
}

// OverrideRequest lets a candidate sit the exam before coursework is complete.
type OverrideRequest struct {
	CandidateID string `json:"candidate_id"`
	Reason      string `json:"reason"`
}

// ItemAnalysis is the vendor's item statistics.
type ItemAnalysis struct {
	Items []exam.ItemStat `json:"items"`
	Next  string          `json:"next,omitempty"`
}

// CohortExamResults lists a cohort's finished attempts.
type CohortExamResults struct {
	Results []exam.CohortResult `json:"results"`
	Next    string              `json:"next,omitempty"`
}

func (h *Handlers) examResults(c *fiber.Ctx) error {
	u := httpx.User(c)
	g, err := h.Exams.Gate(c.UserContext(), u)
	if err != nil {
		return err
	}
	rs, err := h.Exams.Results(c.UserContext(), u)
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []exam.AttemptResult{}
	}
	return writeJSON(c, ExamResults{Gate: g, Results: rs})
}

func (h *Handlers) examStart(c *fiber.Ctx) error {
	sum, err := h.Exams.Start(c.UserContext(), httpx.Actor(c), httpx.User(c))
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if sum.Resumed {
		status = fiber.StatusOK
	}
	return writeJSON(c.Status(status), sum)
}

func (h *Handlers) examView(c *fiber.Ctx) error {
	v, err := h.Exams.View(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, v)
}

func (h *Handlers) examAnswer(c *fiber.Ctx) error {
	var in AnswerRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	saved, err := h.Exams.SaveAnswer(c.UserContext(), httpx.User(c), c.Params("id"), c.Params("item"), in.Choice, in.Flagged, in.Seq)
	if err != nil {
		return err
	}
	return writeJSON(c, saved)
}

func (h *Handlers) examSubmit(c *fiber.Ctx) error {
	r, err := h.Exams.Submit(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, r)
}

func (h *Handlers) examSettings(c *fiber.Ctx) error {
	s, err := h.Exams.Settings(c.UserContext(), httpx.User(c).Vendor())
	if err != nil {
		return err
	}
	return writeJSON(c, s)
}

func (h *Handlers) examUpdateSettings(c *fiber.Ctx) error {
	var in exam.Settings
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	in.VendorID = httpx.User(c).Vendor()
	s, err := h.Exams.UpdateSettings(c.UserContext(), httpx.Actor(c), httpx.User(c), in)
	if err != nil {
		return err
	}
	return writeJSON(c, s)
}

func (h *Handlers) examAccommodation(c *fiber.Ctx) error {
	var in AccommodationRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Exams.GrantAccommodation(c.UserContext(), httpx.Actor(c), httpx.User(c), in.CandidateID, in.ExtraMinutes, in.Reason); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) examOverride(c *fiber.Ctx) error {
	var in OverrideRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Exams.OverrideGate(c.UserContext(), httpx.Actor(c), httpx.User(c), in.CandidateID, in.Reason); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) itemAnalysis(c *fiber.Ctx) error {
	items, err := h.Exams.ItemAnalysis(c.UserContext(), httpx.User(c))
	if err != nil {
		return err
	}
	page, next, err := paginate(c, items, func(s exam.ItemStat) string { return s.ItemID })
	if err != nil {
		return err
	}
	return writeJSON(c, ItemAnalysis{Items: page, Next: next})
}

func (h *Handlers) retireItem(c *fiber.Ctx) error {
	var in RetireRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if in.Reason == "" {
		return apperr.Field("reason", "Say why the item is retired.")
	}
	if err := h.Exams.RetireItem(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("item"), in.Reason); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) cohortExamResults(c *fiber.Ctx) error {
	if c.Query("format") == "csv" {
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		return h.Exams.ExportCSV(c.UserContext(), httpx.User(c), c.Params("id"), c.Response().BodyWriter())
	}
	rs, err := h.Exams.CohortResults(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	page, next, err := paginate(c, rs, func(r exam.CohortResult) string { return r.AttemptID })
	if err != nil {
		return err
	}
	return writeJSON(c, CohortExamResults{Results: page, Next: next})
}
