package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// CourseModule is a module of a catalogue course, in the outline.
type CourseModule struct {
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	Minutes int    `json:"minutes"`
	URL     string `json:"url"`
}

// CourseView is a catalogue course: its front matter and module outline.
type CourseView struct {
	Slug          string               `json:"slug"`
	Kind          string               `json:"kind"`
	Title         string               `json:"title"`
	Summary       string               `json:"summary"`
	Hours         float64              `json:"hours"`
	CECategory    string               `json:"ce_category"`
	Prerequisites []string             `json:"prerequisites"`
	Endorsement   *catalog.Endorsement `json:"endorsement,omitempty"`
	PassPercent   int                  `json:"pass_percent"`
	FormLength    int                  `json:"form_length"`
	Modules       []CourseModule       `json:"modules"`
}

// CourseList is the catalogue beyond the ten days.
type CourseList struct {
	Courses []CourseView `json:"courses"`
}

// OfferingList is the vendor's offerings.
type OfferingList struct {
	Offerings []catalog.Offering `json:"offerings"`
}

// CourseEnrolmentList is the holder's enrolments.
type CourseEnrolmentList struct {
	Enrolments []catalog.Enrolment `json:"enrolments"`
}

// CourseProgress is an enrolment with its modules done, attempts and completion.
type CourseProgress struct {
	Enrolment   catalog.Enrolment `json:"enrolment"`
	Offering    catalog.Offering  `json:"offering"`
	ModulesDone []string          `json:"modules_done"`
	Modules     int               `json:"modules"`
	Attempts    []catalog.Attempt `json:"attempts"`
	Passed      bool              `json:"passed"`
	CanAttempt  bool              `json:"can_attempt"`
}

// CourseAnswer is an autosaved choice: displayed option indexes (empty clears it).
type CourseAnswer struct {
	Choice []int `json:"choice"`
}

func courseView(x *catalog.Course) CourseView {
	v := CourseView{Slug: x.Slug, Kind: x.Kind, Title: x.Title, Summary: x.Summary, Hours: x.Hours(), CECategory: string(x.CECategory),
		Prerequisites: append([]string{}, x.Prerequisites...), Endorsement: x.Endorsement, PassPercent: x.PassPercent, FormLength: x.FormLength,
		Modules: []CourseModule{}}
	for _, m := range x.Modules.Modules() {
		v.Modules = append(v.Modules, CourseModule{Slug: m.Slug, Title: m.Title, Minutes: m.Minutes, URL: m.URL()})
	}
	return v
}

func progressView(p *catalog.Progress) CourseProgress {
	v := CourseProgress{Enrolment: *p.Enrolment, Offering: *p.Offering, ModulesDone: []string{}, Modules: p.Modules,
		Attempts: p.Attempts, Passed: p.Passed, CanAttempt: p.CanAttempt}
	for _, m := range p.Course.Modules.Modules() {
		if p.Done[m.Slug] {
			v.ModulesDone = append(v.ModulesDone, m.Slug)
		}
	}
	return v
}

func (h *Handlers) listCourses(c *fiber.Ctx) error {
	out := CourseList{Courses: []CourseView{}}
	for _, x := range h.Courses.Catalogue.Courses {
		if x.Kind != catalog.KindCertification {
			out.Courses = append(out.Courses, courseView(x))
		}
	}
	return writeJSON(c, out)
}

func (h *Handlers) getCourse(c *fiber.Ctx) error {
	x, ok := h.Courses.Catalogue.Course(c.Params("slug"))
	if !ok || x.Kind == catalog.KindCertification {
		return apperr.New(apperr.NotFound, "not_found", "There is no such course.")
	}
	return writeJSON(c, courseView(x))
}

func (h *Handlers) listOfferings(c *fiber.Ctx) error {
	os, err := h.Courses.Offerings(c.UserContext(), httpx.User(c).Vendor())
	if err != nil {
		return err
	}
	return writeJSON(c, OfferingList{Offerings: append([]catalog.Offering{}, os...)})
}

func (h *Handlers) offerCourse(c *fiber.Ctx) error {
	var in catalog.OfferingInput
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	o, err := h.Courses.Offer(c.UserContext(), httpx.Actor(c), httpx.User(c), in)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), o)
}

func (h *Handlers) enrolCourse(c *fiber.Ctx) error {
	e, err := h.Courses.Enrol(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), e)
}

func (h *Handlers) listCourseEnrolments(c *fiber.Ctx) error {
	es, err := h.Courses.Enrolments(c.UserContext(), httpx.User(c))
	if err != nil {
		return err
	}
	return writeJSON(c, CourseEnrolmentList{Enrolments: append([]catalog.Enrolment{}, es...)})
}

func (h *Handlers) courseProgress(c *fiber.Ctx) error {
	p, err := h.Courses.ProgressOf(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, progressView(p))
}

func (h *Handlers) courseModuleDone(c *fiber.Ctx) error {
	p, err := h.Courses.MarkDone(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.Params("module"))
	if err != nil {
		return err
	}
	return writeJSON(c, progressView(p))
}

func (h *Handlers) startCourseAttempt(c *fiber.Ctx) error {
	at, err := h.Courses.Start(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), at)
}

func (h *Handlers) courseAttempt(c *fiber.Ctx) error {
	v, err := h.Courses.View(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, v)
}

func (h *Handlers) saveCourseAnswer(c *fiber.Ctx) error {
	var in CourseAnswer
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Courses.SaveAnswer(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.Params("item"), in.Choice); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) submitCourseAttempt(c *fiber.Ctx) error {
	at, err := h.Courses.Submit(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, at)
}
