package web

import (
	"errors"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/library"
)

type moduleLink struct {
	Slug, Title, State string
	Minutes            int
}

type dayView struct {
	Number    int
	Date      string
	Open      bool
	Modules   []moduleLink
	Timetable *curriculum.Timetable
}

// learn is the candidate's course overview: days, what is open, progress, where to resume.
func (h *Handlers) learn(c *fiber.Ctx) error {
	u := httpx.User(c)
	p := h.page(c, "Your course")
	co, err := h.Cohorts.ActiveCohort(c.UserContext(), u.ID)
	if errors.Is(err, cohort.ErrNotEnrolled) {
		p.Data = map[string]any{}
		return h.Render.Render(c, 200, "learn", p)
	}
	if err != nil {
		return err
	}
	prog, err := h.Cohorts.ProgressOf(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	status, err := h.Cohorts.StatusOf(c.UserContext(), co, u.ID)
	if err != nil {
		return err
	}
	now := h.now()
	var days []dayView
	for _, d := range h.Curriculum.Days {
		dv := dayView{Number: d.Number, Open: co.DayOpen(d.Number, now), Timetable: d.Timetable}
		if s, ok := co.Session(d.Number); ok {
			dv.Date = s.Date
		}
		for _, m := range d.Modules {
			state := ""
			if pr, ok := prog[m.Slug]; ok {
				state = "started"
				if pr.CompletedAt != nil {
					state = "completed"
				}
			}
			dv.Modules = append(dv.Modules, moduleLink{Slug: m.Slug, Title: m.Title, Minutes: m.Minutes, State: state})
		}
		days = append(days, dv)
	}
	var resume *curriculum.Module
	if slug, err := h.Cohorts.LastViewed(c.UserContext(), u.ID); err != nil {
		return err
	} else if m, ok := h.Curriculum.Module(slug); ok {
		resume = m
	}
	handouts, err := h.Library.List(c.UserContext(), co.VendorID)
	if err != nil {
		return err
	}
	p.Data = map[string]any{"Cohort": co, "Status": status, "Days": days, "Resume": resume, "Handouts": handouts}
	return h.Render.Render(c, 200, "learn", p)
}

// moduleAccess finds a module and decides whether the user may read it: an enrolled candidate once
// its day has opened; staff and admins as a preview.
func (h *Handlers) moduleAccess(c *fiber.Ctx) (*curriculum.Module, bool, error) {
	u := httpx.User(c)
	m, ok := h.Curriculum.Module(c.Params("slug"))
	if !ok {
		return nil, false, apperr.New(apperr.NotFound, "not_found", "There is no such module.")
	}
	if u.Role != account.RoleCandidate {
		return m, true, nil
	}
	if err := h.Cohorts.CanOpenModule(c.UserContext(), u.ID, m.Slug); err != nil {
		return nil, false, err
	}
	return m, false, nil
}

// moduleCtx is where a module page sits and what the reader may do there: the ten-day curriculum
// (Course nil) or a catalogue course, a preview for staff, and whether a holder marked it done.
type moduleCtx struct {
	Course  *catalog.Course
	Preview bool
	Done    bool
}

// neighbours are the modules before and after m in its curriculum or course.
func (h *Handlers) neighbours(m *curriculum.Module, mc moduleCtx) (prev, next *curriculum.Module) {
	if mc.Course != nil {
		return mc.Course.Modules.Neighbours(m.Slug)
	}
	return h.Curriculum.Neighbours(m.Slug)
}

func (h *Handlers) modulePage(c *fiber.Ctx, m *curriculum.Module, mc moduleCtx, res *curriculum.CheckResult, status int) error {
	p := h.view(c, m.Title)
	data := func() (any, error) {
		prev, next := h.neighbours(m, mc)
		fb := make([]*curriculum.ItemResult, len(m.Check))
		if res != nil {
			for i := range res.Items {
				fb[i] = &res.Items[i]
			}
		}
		frag, err := h.moduleStatic(m)
		if err != nil {
			return nil, err
		}
		return map[string]any{"Module": m, "Static": frag.Static, "Questions": frag.Questions, "Preview": mc.Preview, "Course": mc.Course,
			"Done": mc.Done, "Feedback": fb, "Result": res, "Prev": prev, "Next": next}, nil
	}
	if res == nil {
		// Before an answer the page depends only on the module, whether it is a preview and whether
		// it is marked done (module slugs are unique across all content).
		return h.Render.RenderShared(c, status, "module", m.Slug+"|"+strconv.FormatBool(mc.Preview)+"|"+strconv.FormatBool(mc.Done), p, data)
	}
	d, err := data()
	if err != nil {
		return err
	}
	p.Data = d
	return h.Render.Render(c, status, "module", p)
}

// Prerender renders every module's unchanging parts now (at start-up), so no candidate waits for it
// and a template error surfaces before the server takes traffic.
func (h *Handlers) Prerender() error {
	for _, m := range h.Curriculum.Modules() {
		if _, err := h.moduleStatic(m); err != nil {
			return fmt.Errorf("module %s: %w", m.Slug, err)
		}
	}
	return nil
}

// moduleFragments are a module's unchanging parts, rendered once: objectives, contents and body, and
// the knowledge-check questions as they stand before an answer.
type moduleFragments struct {
	Static, Questions template.HTML
}

func (h *Handlers) moduleStatic(m *curriculum.Module) (moduleFragments, error) {
	if v, ok := h.fragments.Load(m.Slug); ok {
		return v.(moduleFragments), nil
	}
	var f moduleFragments
	var err error
	if f.Static, err = h.Render.Fragment("module", "module_static", m); err != nil {
		return f, err
	}
	if f.Questions, err = h.Render.Fragment("module", "module_questions", m); err != nil {
		return f, err
	}
	h.fragments.Store(m.Slug, f)
	return f, nil
}

func (h *Handlers) module(c *fiber.Ctx) error {
	m, preview, err := h.moduleAccess(c)
	if err != nil {
		return err
	}
	if !preview {
		if err := h.Cohorts.Viewed(c.UserContext(), httpx.User(c).ID, m.Slug); err != nil {
			return err
		}
	}
	return h.modulePage(c, m, moduleCtx{Preview: preview}, checkShown(c, m, preview), 200)
}

// checkShown is the knowledge-check result to show again when the page is the GET after the check's
// POST (post, redirect, get): the answers in the address show the feedback again, so a reload repeats
// nothing; the result was recorded by the POST. nil otherwise.
func checkShown(c *fiber.Ctx, m *curriculum.Module, preview bool) *curriculum.CheckResult {
	a := c.Query("answers")
	if a == "" || preview {
		return nil
	}
	res := m.Grade(parseAnswers(m, strings.Split(a, ",")))
	return &res
}

// parseAnswers reads the chosen option of each question (-1 where none or out of range).
func parseAnswers(m *curriculum.Module, vals []string) []int {
	answers := make([]int, len(m.Check))
	for i := range m.Check {
		v := -1
		if i < len(vals) {
			if n, err := strconv.Atoi(vals[i]); err == nil && n >= 0 && n < len(m.Check[i].Options) {
				v = n
			}
		}
		answers[i] = v
	}
	return answers
}

func (h *Handlers) moduleCheck(c *fiber.Ctx) error {
	m, preview, err := h.moduleAccess(c)
	if err != nil {
		return err
	}
	if preview {
		return apperr.New(apperr.Forbidden, "forbidden", "Knowledge checks are for enrolled candidates.")
	}
	res, back := gradeCheck(c, m)
	if err := h.Cohorts.RecordCheck(c.UserContext(), httpx.Actor(c), httpx.User(c).ID, m.Slug, res.Passed); err != nil {
		return err
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// gradeCheck grades the posted knowledge check of m (fields q0, q1, ...) and gives the address to
// redirect to: the module page with the answers, at the result (#check-result), so a reload does not
// post again.
func gradeCheck(c *fiber.Ctx, m *curriculum.Module) (curriculum.CheckResult, string) {
	vals := make([]string, len(m.Check))
	for i := range m.Check {
		vals[i] = c.FormValue("q" + strconv.Itoa(i))
	}
	answers := parseAnswers(m, vals)
	chosen := make([]string, len(answers))
	for i, a := range answers {
		chosen[i] = strconv.Itoa(a)
	}
	return m.Grade(answers), m.URL() + "?answers=" + strings.Join(chosen, ",") + "#check-result"
}

// handout shows one of a module's handouts as a printable page, to whoever may read the module.
func (h *Handlers) handout(c *fiber.Ctx) error {
	m, _, err := h.moduleAccess(c)
	if err != nil {
		return err
	}
	return h.handoutPage(c, m)
}

// handoutPage renders the handout of the URL (the wildcard) of a module the user may read.
func (h *Handlers) handoutPage(c *fiber.Ctx, m *curriculum.Module) error {
	ho, ok := m.Handout(c.Params("*"))
	if !ok {
		return apperr.New(apperr.NotFound, "not_found", "This module has no such handout.")
	}
	p := h.page(c, ho.Title)
	p.Data = map[string]any{"Module": m, "Handout": ho}
	return h.Render.Render(c, 200, "handout", p)
}

// ---- media ----

// contentMedia serves curriculum media to enrolled candidates and to staff.
func (h *Handlers) contentMedia(c *fiber.Ctx) error {
	u := httpx.User(c)
	if u.Role == account.RoleCandidate {
		if _, err := h.Cohorts.ActiveCohort(c.UserContext(), u.ID); err != nil {
			return apperr.New(apperr.NotFound, "not_found", "We could not find that file.")
		}
	}
	p := c.Params("*")
	if !h.Curriculum.HasMedia(p) {
		return apperr.New(apperr.NotFound, "not_found", "We could not find that file.")
	}
	return ServeMedia(c, h.Media, library.ContentKey(p))
}

// vendorMedia serves a vendor's handout to its staff, platform admins and candidates enrolled with it.
func (h *Handlers) vendorMedia(c *fiber.Ctx) error {
	u := httpx.User(c)
	vendor := c.Params("vendor")
	allowed := u.Role == account.RolePlatformAdmin || (u.IsStaff() && u.Vendor() == vendor)
	if u.Role == account.RoleCandidate {
		if co, err := h.Cohorts.ActiveCohort(c.UserContext(), u.ID); err == nil && co.VendorID == vendor {
			allowed = true
		}
	}
	if !allowed {
		return apperr.New(apperr.NotFound, "not_found", "We could not find that file.")
	}
	f, err := h.Library.Get(c.UserContext(), vendor, c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+sanitizeFilename(f.Name)+`"`)
	return ServeMedia(c, h.Media, f.Key)
}

func sanitizeFilename(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r < 0x20 || r == '"' || r == '\\' || r > 0x7e {
			r = '_'
		}
		out = append(out, r)
	}
	return string(out)
}

func (h *Handlers) mediaPage(c *fiber.Ctx, p *Page, status int) error {
	fs, err := h.Library.List(c.UserContext(), httpx.User(c).Vendor())
	if err != nil {
		return err
	}
	p.Data = map[string]any{"Files": fs, "MaxMB": h.MaxUpload >> 20}
	return h.Render.Render(c, status, "media", p)
}

func (h *Handlers) mediaLibrary(c *fiber.Ctx) error {
	return h.mediaPage(c, h.page(c, "Handouts and media"), 200)
}

func (h *Handlers) uploadMedia(c *fiber.Ctx) error {
	fh, err := c.FormFile("file")
	if err != nil {
		p := h.page(c, "Handouts and media")
		p.Errors["file"] = "Choose a file to upload."
		p.ErrorSummary = p.Errors["file"]
		return h.mediaPage(c, p, fiber.StatusUnprocessableEntity)
	}
	if fh.Size > h.MaxUpload {
		return apperr.New(apperr.TooLarge, "too_large", "The file is larger than the upload limit.")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	file, err := h.Library.Upload(c.UserContext(), httpx.Actor(c), httpx.User(c), fh.Filename, f, h.MaxUpload)
	if err != nil {
		if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.Unsupported) {
			p := h.page(c, "Handouts and media")
			_ = withErr(p, err, nil)
			return h.mediaPage(c, p, httpx.Status(e.Kind))
		}
		return err
	}
	h.flash(c, "success", file.Name+" was uploaded.")
	return c.Redirect("/vendor/media", fiber.StatusSeeOther)
}
