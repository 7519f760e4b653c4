package web

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

func (h *Handlers) examHome(c *fiber.Ctx) error {
	u := httpx.User(c)
	g, err := h.Exams.Gate(c.UserContext(), u)
	if err != nil {
		return err
	}
	rs, err := h.Exams.Results(c.UserContext(), u)
	if err != nil {
		return err
	}
	p := h.page(c, "Written examination")
	p.Data = map[string]any{"Gate": g, "Results": rs}
	return h.Render.Render(c, 200, "exam", p)
}

func (h *Handlers) examStart(c *fiber.Ctx) error {
	sum, err := h.Exams.Start(c.UserContext(), httpx.Actor(c), httpx.User(c))
	if err != nil {
		return err
	}
	return c.Redirect("/exam/attempts/"+sum.ID+"/q/1", fiber.StatusSeeOther)
}

// examView loads the open attempt, or sends a finished one to its result.
func (h *Handlers) examView(c *fiber.Ctx) (*exam.AttemptView, bool, error) {
	v, err := h.Exams.View(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return nil, false, err
	}
	if v.Status != "open" {
		return nil, true, c.Redirect("/exam/attempts/"+v.ID+"/result", fiber.StatusSeeOther)
	}
	return v, false, nil
}

func (h *Handlers) examQuestion(c *fiber.Ctx) error {
	v, done, err := h.examView(c)
	if err != nil || done {
		return err
	}
	n, _ := strconv.Atoi(c.Params("n"))
	if n < 1 || n > len(v.Questions) {
		return apperr.New(apperr.NotFound, "not_found", "There is no such question in this examination.")
	}
	q := v.Questions[n-1]
	p := h.page(c, "Question "+strconv.Itoa(n))
	p.Data = map[string]any{"View": v, "Question": q, "Seq": time.Now().UnixMicro()}
	return h.Render.Render(c, 200, "exam_question", p)
}

// examAnswer saves the answer posted with a question page (the no-JavaScript path) and moves on.
func (h *Handlers) examAnswer(c *fiber.Ctx) error {
	id := c.Params("id")
	n, _ := strconv.Atoi(c.Params("n"))
	var choice []int
	for _, v := range c.Request().PostArgs().PeekMulti("choice") {
		i, err := strconv.Atoi(string(v))
		if err != nil {
			return apperr.Field("choice", "Choose one of the options shown.")
		}
		choice = append(choice, i)
	}
	seq, _ := strconv.ParseInt(c.FormValue("seq"), 10, 64)
	if seq < 1 {
		seq = time.Now().UnixMicro()
	}
	if _, err := h.Exams.SaveAnswer(c.UserContext(), httpx.User(c), id, c.FormValue("item_id"), choice, c.FormValue("flagged") == "yes", seq); err != nil {
		if errors.Is(err, exam.ErrDeadlinePassed) || errors.Is(err, exam.ErrAttemptFinished) {
			h.flash(c, "info", apperrMessage(err))
			return c.Redirect("/exam/attempts/"+id+"/result", fiber.StatusSeeOther)
		}
		return err
	}
	next := "/exam/attempts/" + id + "/review"
	switch c.FormValue("go") {
	case "next":
		next = "/exam/attempts/" + id + "/q/" + strconv.Itoa(n+1)
	case "prev":
		next = "/exam/attempts/" + id + "/q/" + strconv.Itoa(max(1, n-1))
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

func apperrMessage(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Message
	}
	return err.Error()
}

// examAutosave is the JavaScript path: one answer as JSON, with the form's CSRF token in a header.
func (h *Handlers) examAutosave(c *fiber.Ctx) error {
	var in struct {
		ItemID  string `json:"item_id"`
		Choice  []int  `json:"choice"`
		Flagged bool   `json:"flagged"`
		Seq     int64  `json:"seq"`
	}
	if err := json.Unmarshal(c.Body(), &in); err != nil {
		return apperr.New(apperr.BadRequest, "malformed_json", "The answer could not be read.")
	}
	if err := httpx.CheckStrings(&in); err != nil {
		return err
	}
	saved, err := h.Exams.SaveAnswer(c.UserContext(), httpx.User(c), c.Params("id"), in.ItemID, in.Choice, in.Flagged, in.Seq)
	if err != nil {
		return err
	}
	return c.JSON(saved)
}

func (h *Handlers) examReview(c *fiber.Ctx) error {
	v, done, err := h.examView(c)
	if err != nil || done {
		return err
	}
	p := h.page(c, "Review your answers")
	p.Data = map[string]any{"View": v}
	return h.Render.Render(c, 200, "exam_review", p)
}

func (h *Handlers) examSubmit(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := h.Exams.Submit(c.UserContext(), httpx.Actor(c), httpx.User(c), id); err != nil {
		return err
	}
	return c.Redirect("/exam/attempts/"+id+"/result", fiber.StatusSeeOther)
}

func (h *Handlers) examResult(c *fiber.Ctx) error {
	rs, err := h.Exams.Results(c.UserContext(), httpx.User(c))
	if err != nil {
		return err
	}
	for i := range rs {
		if rs[i].AttemptID == c.Params("id") {
			if !rs[i].Graded {
				// An attempt past its deadline is graded on the next look; View does that.
				if _, err := h.Exams.View(c.UserContext(), httpx.User(c), rs[i].AttemptID); err != nil {
					return err
				}
				if rs, err = h.Exams.Results(c.UserContext(), httpx.User(c)); err != nil {
					return err
				}
			}
			p := h.page(c, "Examination result")
			p.Data = map[string]any{"Result": rs[i]}
			return h.Render.Render(c, 200, "exam_result", p)
		}
	}
	return apperr.New(apperr.NotFound, "not_found", "We could not find that examination attempt.")
}

// ---- vendor administration ----

// examAdminPage renders one section of the vendor's exam administration: "settings" (settings,
// extended time, gate overrides), "results" (by cohort, with charts) or "items" (item analysis).
// The sections, their filters and paging live in exam_admin.go.
func (h *Handlers) examAdminPage(c *fiber.Ctx, p *Page, status int, section string) error {
	u := httpx.User(c)
	ctx := c.UserContext()
	data := map[string]any{"Section": section}
	var err error
	switch section {
	case "results":
		err = h.examResultsSection(c, data)
	case "items":
		err = h.examItemsSection(c, data)
	default:
		data["Section"] = "settings"
		s, err := h.Exams.Settings(ctx, u.Vendor())
		if err != nil {
			return err
		}
		for k, v := range map[string]int{"duration_minutes": s.DurationMinutes, "pass_percent": s.PassPercent, "max_attempts": s.MaxAttempts, "wait_days": s.WaitDays, "form_length": s.FormLength} {
			if _, ok := p.Form[k]; !ok {
				p.Form[k] = strconv.Itoa(v)
			}
		}
		accs, err := h.Exams.Accommodations(ctx, u)
		if err != nil {
			return err
		}
		data["Settings"], data["Accommodations"] = s, accs
	}
	if err != nil {
		return err
	}
	p.Data = data
	return h.Render.Render(c, status, "exam_admin", p)
}

func (h *Handlers) examAdmin(c *fiber.Ctx) error {
	section := c.Query("section")
	if c.Params("cohort") != "" {
		section = "results"
	}
	return h.examAdminPage(c, h.page(c, "Written examination"), 200, section)
}

func (h *Handlers) examAdminResult(c *fiber.Ctx, err error, keys ...string) error {
	if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.NotFound || e.Kind == apperr.Conflict) {
		p := h.page(c, "Written examination")
		_ = withErr(p, err, formMap(c, keys...))
		section := "settings"
		if strings.Contains(c.Path(), "/items/") {
			section = "items"
		}
		return h.examAdminPage(c, p, httpx.Status(e.Kind), section)
	}
	return err
}

func (h *Handlers) examSettings(c *fiber.Ctx) error {
	u := httpx.User(c)
	num := func(k string) int { n, _ := strconv.Atoi(strings.TrimSpace(c.FormValue(k))); return n }
	in := exam.Settings{VendorID: u.Vendor(), DurationMinutes: num("duration_minutes"), PassPercent: num("pass_percent"), MaxAttempts: num("max_attempts"), WaitDays: num("wait_days"), FormLength: num("form_length")}
	if _, err := h.Exams.UpdateSettings(c.UserContext(), httpx.Actor(c), u, in); err != nil {
		return h.examAdminResult(c, err, "duration_minutes", "pass_percent", "max_attempts", "wait_days", "form_length")
	}
	h.flash(c, "success", "Examination settings saved. They apply to attempts started from now on.")
	return c.Redirect("/vendor/exam", fiber.StatusSeeOther)
}

func (h *Handlers) candidateByEmail(c *fiber.Ctx, field, email string) (*account.User, error) {
	cand, err := h.Accounts.UserByEmail(c.UserContext(), email)
	if err != nil || cand.Role != account.RoleCandidate {
		return nil, apperr.Field(field, "No candidate account uses that email address.")
	}
	return cand, nil
}

func (h *Handlers) examAccommodation(c *fiber.Ctx) error {
	cand, err := h.candidateByEmail(c, "acc_email", c.FormValue("acc_email"))
	if err == nil {
		mins, _ := strconv.Atoi(c.FormValue("extra_minutes"))
		err = h.Exams.GrantAccommodation(c.UserContext(), httpx.Actor(c), httpx.User(c), cand.ID, mins, c.FormValue("acc_reason"))
	}
	if err != nil {
		return h.examAdminResult(c, err, "acc_email", "extra_minutes", "acc_reason")
	}
	h.flash(c, "success", "Extended time recorded.")
	return c.Redirect("/vendor/exam", fiber.StatusSeeOther)
}

func (h *Handlers) examOverride(c *fiber.Ctx) error {
	cand, err := h.candidateByEmail(c, "ovr_email", c.FormValue("ovr_email"))
	if err == nil {
		err = h.Exams.OverrideGate(c.UserContext(), httpx.Actor(c), httpx.User(c), cand.ID, c.FormValue("ovr_reason"))
	}
	if err != nil {
		return h.examAdminResult(c, err, "ovr_email", "ovr_reason")
	}
	h.flash(c, "success", "The coursework gate is overridden for that candidate.")
	return c.Redirect("/vendor/exam", fiber.StatusSeeOther)
}

func (h *Handlers) examRetire(retire bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var err error
		if retire {
			reason := strings.TrimSpace(c.FormValue("reason"))
			if reason == "" {
				return h.examAdminResult(c, apperr.Field("reason", "Say why item "+c.Params("item")+" is retired."))
			}
			err = h.Exams.RetireItem(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("item"), reason)
		} else {
			err = h.Exams.RestoreItem(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("item"))
		}
		if err != nil {
			return h.examAdminResult(c, err)
		}
		h.flash(c, "success", "Item "+c.Params("item")+" updated.")
		return c.Redirect("/vendor/exam?section=items", fiber.StatusSeeOther)
	}
}

func (h *Handlers) examCSV(c *fiber.Ctx) error {
	csvDownload(c, "exam-results-"+c.Params("cohort")+".csv")
	return h.Exams.ExportCSV(c.UserContext(), httpx.User(c), c.Params("cohort"), c.Response().BodyWriter())
}
