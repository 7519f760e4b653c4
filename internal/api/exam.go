package api

import (
	"github.com/gofiber/fiber/v2"
	"sort"
	"strings"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/page"
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
	Results []exam.AttemptResult `json:"results"` // one page (limit, cursor), oldest first
	Paging
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
	Paging
}

// CohortExamResults lists a cohort's finished attempts.
type CohortExamResults struct {
	Results []exam.CohortResult `json:"results"`
	Next    string              `json:"next,omitempty"`
	Paging
}

// Item statistics (discrimination needs every attempt's score; the items come from the embedded
// bank) and a cohort's results (attempt numbers and names from several tables) are computed in Go,
// so these two lists are cut after they are built (page.Slice), in their documented order.
var (
	itemsOrder         = page.Order{List: "items", Keys: []page.Key{{Col: "item_id"}}}
	cohortResultsOrder = page.Order{List: "cohort-results", Keys: []page.Key{{Col: "name"}, {Col: "email"}, {Col: "number"}, {Col: "attempt_id"}}}
)

func (h *Handlers) examResults(c *fiber.Ctx) error {
	u := httpx.User(c)
	g, err := h.Exams.Gate(c.UserContext(), u)
	if err != nil {
		return err
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, err := h.Exams.ResultsPage(c.UserContext(), u, r)
	if err != nil {
		return err
	}
	return writeJSON(c, ExamResults{Gate: g, Results: p.Items, Paging: paging(c, p.Next)})
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
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	items, err := h.Exams.ItemAnalysis(c.UserContext(), httpx.User(c))
	if err != nil {
		return err
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].ItemID < items[j].ItemID })
	p, err := page.Slice(items, r, itemsOrder, func(s exam.ItemStat) []any { return []any{s.ItemID} })
	if err != nil {
		return err
	}
	return writeJSON(c, ItemAnalysis{Items: p.Items, Next: p.Next, Paging: paging(c, p.Next)})
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
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	rs, err := h.Exams.CohortResults(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	key := func(x exam.CohortResult) []any { return []any{strings.ToLower(x.Name), x.Email, x.Number, x.AttemptID} }
	sort.SliceStable(rs, func(i, j int) bool { return page.Less(key(rs[i]), key(rs[j])) })
	p, err := page.Slice(rs, r, cohortResultsOrder, key)
	if err != nil {
		return err
	}
	return writeJSON(c, CohortExamResults{Results: p.Items, Next: p.Next, Paging: paging(c, p.Next)})
}
