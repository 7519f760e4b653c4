package api

import (
	"errors"
	"html/template"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// ModuleSummary lists a module in the course outline.
type ModuleSummary struct {
	Slug      string `json:"slug"`
	Title     string `json:"title"`
	Day       int    `json:"day"`
	Order     int    `json:"order"`
	Minutes   int    `json:"minutes"`
	Open      bool   `json:"open"`
	Completed bool   `json:"completed"`
}

// CourseOutline is the curriculum as the caller sees it.
type CourseOutline struct {
	Version string          `json:"curriculum_version"`
	Modules []ModuleSummary `json:"modules"`
	Status  *cohort.Status  `json:"status,omitempty"`
}

// CheckQuestion is a knowledge-check item without its key.
type CheckQuestion struct {
	Prompt  string   `json:"prompt"`
	Options []string `json:"options"`
}

// ModuleView is one module's content.
type ModuleView struct {
	Slug       string               `json:"slug"`
	Title      string               `json:"title"`
	Day        int                  `json:"day"`
	Minutes    int                  `json:"minutes"`
	Objectives []string             `json:"objectives"`
	HTML       template.HTML        `json:"html"`
	TOC        []curriculum.Heading `json:"toc"`
	Check      []CheckQuestion      `json:"check"`
}

// CheckRequest answers a knowledge check: one option index per question.
type CheckRequest struct {
	Answers []int `json:"answers"`
}

func (h *Handlers) outline(c *fiber.Ctx) error {
	u := httpx.User(c)
	out := CourseOutline{Version: h.Curriculum.Version, Modules: []ModuleSummary{}}
	var co *cohort.Cohort
	done := map[string]bool{}
	if u.Role == account.RoleCandidate {
		var err error
		co, err = h.Cohorts.ActiveCohort(c.UserContext(), u.ID)
		if err != nil && !errors.Is(err, cohort.ErrNotEnrolled) {
			return err
		}
		prog, err := h.Cohorts.ProgressOf(c.UserContext(), u.ID)
		if err != nil {
			return err
		}
		for slug, p := range prog {
			done[slug] = p.CompletedAt != nil
		}
		if co != nil {
			if out.Status, err = h.Cohorts.StatusOf(c.UserContext(), co, u.ID); err != nil {
				return err
			}
		}
	}
	for _, m := range h.Curriculum.Modules() {
		open := u.Role != account.RoleCandidate || (co != nil && co.DayOpen(m.Day, h.now()))
		out.Modules = append(out.Modules, ModuleSummary{Slug: m.Slug, Title: m.Title, Day: m.Day, Order: m.Order, Minutes: m.Minutes, Open: open, Completed: done[m.Slug]})
	}
	return writeJSON(c, out)
}

func (h *Handlers) moduleFor(c *fiber.Ctx) (*curriculum.Module, error) {
	u := httpx.User(c)
	m, ok := h.Curriculum.Module(c.Params("slug"))
	if !ok {
		return nil, apperr.New(apperr.NotFound, "not_found", "There is no such module.")
	}
	if u.Role == account.RoleCandidate {
		if err := h.Cohorts.CanOpenModule(c.UserContext(), u.ID, m.Slug); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (h *Handlers) module(c *fiber.Ctx) error {
	m, err := h.moduleFor(c)
	if err != nil {
		return err
	}
	if u := httpx.User(c); u.Role == account.RoleCandidate {
		if err := h.Cohorts.Viewed(c.UserContext(), u.ID, m.Slug); err != nil {
			return err
		}
	}
	v := ModuleView{Slug: m.Slug, Title: m.Title, Day: m.Day, Minutes: m.Minutes, Objectives: m.Objectives, HTML: m.HTML, TOC: m.TOC}
	for _, q := range m.Check {
		v.Check = append(v.Check, CheckQuestion{Prompt: q.Prompt, Options: q.Options})
	}
	return writeJSON(c, v)
}

func (h *Handlers) check(c *fiber.Ctx) error {
	if httpx.User(c).Role != account.RoleCandidate {
		return apperr.New(apperr.Forbidden, "forbidden", "Knowledge checks are for enrolled candidates.")
	}
	m, err := h.moduleFor(c)
	if err != nil {
		return err
	}
	var in CheckRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if len(in.Answers) != len(m.Check) {
		return apperr.Field("answers", "Give one answer (an option index) for each of the module's questions.")
	}
	res := m.Grade(in.Answers)
	if err := h.Cohorts.RecordCheck(c.UserContext(), httpx.Actor(c), httpx.User(c).ID, m.Slug, res.Passed); err != nil {
		return err
	}
	return writeJSON(c, res)
}
