package web

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/urls"
)

func (h *Handlers) vendorTZ(c *fiber.Ctx, vendorID string) string {
	if v, err := h.Accounts.VendorByID(c.UserContext(), vendorID); err == nil && v.Timezone != "" {
		return v.Timezone
	}
	return oral.DefaultTimezone
}

// ---- trainers ----

func (h *Handlers) oralTrainerPage(c *fiber.Ctx, p *Page, status int, newFeed string) error {
	u := httpx.User(c)
	now := h.now()
	slots, err := h.Oral.TrainerSlots(c.UserContext(), u, now.Add(-7*24*time.Hour), now.Add(oral.Horizon))
	if err != nil {
		return err
	}
	hasFeed, err := h.Oral.HasFeed(c.UserContext(), u)
	if err != nil {
		return err
	}
	if newFeed != "" {
		newFeed = urls.Base(h.BaseURL).OralFeed(newFeed)
	}
	awaiting, err := h.Oral.AwaitingGrades(c.UserContext(), u)
	if err != nil {
		return err
	}
	p.Data = map[string]any{"Slots": slots, "TZ": h.vendorTZ(c, u.Vendor()), "HasFeed": hasFeed, "NewFeed": newFeed, "Awaiting": awaiting}
	return h.Render.Render(c, status, "oral_trainer", p)
}

func (h *Handlers) oralHome(c *fiber.Ctx) error {
	switch httpx.User(c).Role {
	case account.RoleCandidate:
		return h.oralCandidatePage(c, h.page(c, "Oral examination"), 200)
	case account.RoleVendorAdmin:
		return h.oralAdminPage(c, h.page(c, "Oral examinations"), 200)
	}
	return h.oralTrainerPage(c, h.page(c, "Oral examinations"), 200, "")
}

func (h *Handlers) createSlots(c *fiber.Ctx) error {
	num := func(k string) int { n, _ := strconv.Atoi(strings.TrimSpace(c.FormValue(k))); return n }
	in := oral.SlotInput{Date: c.FormValue("date"), Start: c.FormValue("start"), End: c.FormValue("end"), SlotMinutes: num("slot_minutes"),
		Weeks: num("weeks"), Mode: c.FormValue("mode"), Location: c.FormValue("location")}
	slots, err := h.Oral.CreateSlots(c.UserContext(), httpx.Actor(c), httpx.User(c), in)
	if err != nil {
		if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.Conflict) {
			p := h.page(c, "Oral examinations")
			_ = withErr(p, err, formMap(c, "date", "start", "end", "slot_minutes", "weeks", "mode", "location"))
			return h.oralTrainerPage(c, p, httpx.Status(e.Kind), "")
		}
		return err
	}
	h.flash(c, "success", plural(len(slots), "slot")+" published.")
	return c.Redirect("/oral", fiber.StatusSeeOther)
}

func (h *Handlers) cancelSlot(c *fiber.Ctx) error {
	if err := h.Oral.CancelSlot(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.FormValue("reason")); err != nil {
		return err
	}
	h.flash(c, "success", "The slot was removed.")
	return c.Redirect("/oral", fiber.StatusSeeOther)
}

func (h *Handlers) cancelBooking(c *fiber.Ctx) error {
	if err := h.Oral.Cancel(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.FormValue("reason")); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
			h.flash(c, "error", e.Message)
			return c.Redirect("/oral", fiber.StatusSeeOther)
		}
		return err
	}
	h.flash(c, "success", "The booking was cancelled and the candidate was told.")
	if httpx.User(c).Role == account.RoleCandidate {
		h.takeFlashes(c)
		h.flash(c, "success", "Your booking was cancelled.")
	}
	return c.Redirect("/oral", fiber.StatusSeeOther)
}

func (h *Handlers) noShow(c *fiber.Ctx) error {
	if err := h.Oral.MarkNoShow(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id")); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Conflict {
			h.flash(c, "error", e.Message)
			return c.Redirect("/oral", fiber.StatusSeeOther)
		}
		return err
	}
	h.flash(c, "success", "Recorded as a no-show.")
	return c.Redirect("/oral", fiber.StatusSeeOther)
}

func (h *Handlers) feedCreate(c *fiber.Ctx) error {
	tok, err := h.Oral.CreateFeed(c.UserContext(), httpx.Actor(c), httpx.User(c))
	if err != nil {
		return err
	}
	return h.oralTrainerPage(c, h.page(c, "Oral examinations"), 200, tok)
}

func (h *Handlers) feedRevoke(c *fiber.Ctx) error {
	if err := h.Oral.RevokeFeed(c.UserContext(), httpx.Actor(c), httpx.User(c)); err != nil {
		return err
	}
	h.flash(c, "success", "The calendar feed was revoked.")
	return c.Redirect("/oral", fiber.StatusSeeOther)
}

// feed serves a trainer's private calendar to calendar apps (no session: the token is the secret).
func (h *Handlers) feed(c *fiber.Ctx) error {
	b, err := h.Oral.Feed(c.UserContext(), strings.TrimSuffix(c.Params("token"), ".ics"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, oral.FeedContentType)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("X-Robots-Tag", "noindex")
	return c.Send(b)
}

// ---- grading ----

// conflictView is an examiner of the vendor who taught the candidate, for administrators.
type conflictView struct {
	ID, Name string
	Cohorts  string
}

func (h *Handlers) gradePage(c *fiber.Ctx, bookingID string, p *Page, status int) error {
	u := httpx.User(c)
	ctx := c.UserContext()
	b, err := h.Oral.GetBooking(ctx, u, bookingID)
	if err != nil {
		return err
	}
	st, err := h.Oral.GradingStatus(ctx, u, b.ID)
	if err != nil {
		return err
	}
	grades, err := h.Oral.Grades(ctx, u, b.ID)
	if err != nil {
		return err
	}
	cand, err := h.Accounts.UserByID(ctx, b.CandidateID)
	if err != nil {
		return err
	}
	r := h.Oral.Rubric
	desc := map[string]string{}
	for _, comp := range r.Competencies {
		for score, d := range comp.Descriptors {
			desc[fmt.Sprintf("%s/%d", comp.ID, score)] = d
		}
	}
	// The form grades a new seat, or amends the user's own latest grade (one examiner: the
	// booking's latest), or is not offered.
	action := ""
	switch {
	case st.CanGrade || st.Code == "not_started":
		action = "/oral/bookings/" + b.ID + "/grade"
	default:
		for i := len(grades) - 1; i >= 0; i-- {
			if st.Decision.Panel < 2 || grades[i].TrainerID == u.ID {
				action = "/oral/grades/" + grades[i].ID + "/amend"
				break
			}
		}
	}
	var conflicts []conflictView
	for _, id := range slices.Sorted(maps.Keys(st.Conflicts)) {
		ex, err := h.Accounts.UserByID(ctx, id)
		if err != nil {
			return err
		}
		if ex.Vendor() == b.Slot.VendorID {
			conflicts = append(conflicts, conflictView{ID: id, Name: ex.Name, Cohorts: strings.Join(st.Conflicts[id], ", ")})
		}
	}
	if _, ok := p.Form["scenario"]; !ok && len(grades) > 0 && strings.Contains(action, "/amend") {
		p.Form["scenario"] = grades[len(grades)-1].ScenarioID
	}
	p.Data = map[string]any{"Booking": b, "Grades": grades, "Rubric": r, "Descriptors": desc, "Action": action, "Amend": strings.Contains(action, "/amend"),
		"CandidateName": cand.Name, "Status": st, "TaughtIn": strings.Join(st.TaughtIn, ", "), "Conflicts": conflicts}
	p.Data.(map[string]any)["NotStarted"] = h.now().Before(b.Slot.StartsAt) // the form says when grading opens
	return h.Render.Render(c, status, "oral_grade", p)
}

func (h *Handlers) gradeForm(c *fiber.Ctx) error {
	return h.gradePage(c, c.Params("id"), h.page(c, "Grade the oral examination"), 200)
}

func (h *Handlers) gradeInput(c *fiber.Ctx) (oral.GradeInput, []string) {
	seat, _ := strconv.Atoi(c.FormValue("seat"))
	in := oral.GradeInput{Scenario: c.FormValue("scenario"), Scores: map[string]int{}, Notes: map[string]string{}, Feedback: c.FormValue("feedback"), Seat: seat}
	keys := []string{"scenario", "feedback", "reason"}
	for _, comp := range h.Oral.Rubric.Competencies {
		if v := c.FormValue("score_" + comp.ID); v != "" {
			n, _ := strconv.Atoi(v)
			in.Scores[comp.ID] = n
		}
		if v := strings.TrimSpace(c.FormValue("note_" + comp.ID)); v != "" {
			in.Notes[comp.ID] = v
		}
		keys = append(keys, "score_"+comp.ID, "note_"+comp.ID)
	}
	return in, keys
}

func (h *Handlers) submitGrade(amend bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		in, keys := h.gradeInput(c)
		var g *oral.Grade
		var err error
		if amend {
			g, err = h.Oral.Amend(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.FormValue("reason"), in)
		} else {
			g, err = h.Oral.Grade(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in)
		}
		if err != nil {
			if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.Conflict || e.Kind == apperr.Forbidden) {
				p := h.page(c, "Grade the oral examination")
				_ = withErr(p, err, formMap(c, keys...))
				booking := c.Params("id")
				if amend {
					booking = c.FormValue("booking_id")
				}
				return h.gradePage(c, booking, p, httpx.Status(e.Kind))
			}
			return err
		}
		h.flash(c, "success", gradeFlash(g))
		return c.Redirect("/oral", fiber.StatusSeeOther)
	}
}

// gradeFlash says what a recorded grade means for the candidate's result.
func gradeFlash(g *oral.Grade) string {
	result := func(passed bool) string {
		if passed {
			return "passed"
		}
		return "did not pass"
	}
	msg := fmt.Sprintf("Grade recorded: total %d, %s.", g.Total, result(g.Passed))
	d := g.Decision
	switch {
	case d == nil || d.By == oral.DecidedSingle:
		return msg + " The candidate can now see the result."
	case d.Decided && d.By == oral.DecidedAgreement:
		return msg + fmt.Sprintf(" Both examiners agree: the candidate %s, and can now see the result.", result(d.Passed))
	case d.Decided:
		return msg + fmt.Sprintf(" The deciding examiner's grade settles it: the candidate %s, and can now see the result.", result(d.Passed))
	case d.NextSeat == oral.SeatDeciding:
		return msg + " The two examiners disagree on pass or fail: a third examiner decides."
	}
	return msg + " The result waits for the second examiner's independent grade."
}

// addException records, for an administrator, that an examiner who taught the candidate may grade
// this exam (or every exam of the candidate).
func (h *Handlers) addException(c *fiber.Ctx) error {
	u := httpx.User(c)
	bookingID := c.Params("id")
	b, err := h.Oral.GetBooking(c.UserContext(), u, bookingID)
	if err != nil {
		return err
	}
	in := oral.ExceptionInput{ExaminerID: c.FormValue("examiner_id"), Reason: c.FormValue("exception_reason"), BookingID: b.ID}
	if c.FormValue("scope") == "candidate" {
		in.BookingID, in.CandidateID = "", b.CandidateID
	}
	if _, err := h.Oral.AddException(c.UserContext(), httpx.Actor(c), u, in); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
			p := h.page(c, "Grade the oral examination")
			_ = withErr(p, err, formMap(c, "examiner_id", "scope", "exception_reason"))
			if msg, ok := p.Errors["reason"]; ok {
				p.Errors["exception_reason"] = msg
			}
			return h.gradePage(c, b.ID, p, fiber.StatusUnprocessableEntity)
		}
		return err
	}
	h.flash(c, "success", "Exception recorded. The examiner may now grade this candidate.")
	return c.Redirect("/oral/bookings/"+b.ID+"/grade", fiber.StatusSeeOther)
}

// ---- candidates ----

func (h *Handlers) oralCandidatePage(c *fiber.Ctx, p *Page, status int) error {
	u := httpx.User(c)
	ctx := c.UserContext()
	g, err := h.Oral.Gate(ctx, u)
	if err != nil {
		return err
	}
	bookings, err := h.Oral.Bookings(ctx, u)
	if err != nil {
		return err
	}
	res, err := h.Oral.Result(ctx, u)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		return err
	}
	active := false
	data := map[string]any{"Gate": g, "Bookings": bookings, "Result": res, "TZ": oral.DefaultTimezone}
	for _, b := range bookings {
		if b.Status != oral.BookingActive {
			continue
		}
		active = true
		// The vendor's other open times: offered when the booking can still be moved, counted when
		// it cannot (inside the cutoff only the training organisation can change it).
		now := h.now()
		slots, err := h.Oral.OpenSlots(ctx, u, b.Slot.VendorID, now, now.Add(oral.Horizon))
		if err != nil {
			return err
		}
		data["OtherOpen"] = len(slots)
		if b.CancelBy != nil && now.Before(*b.CancelBy) {
			data["Movable"] = true
			data["MoveSlots"], data["MoveTZ"] = slots, b.Timezone
		}
	}
	data["HasActive"] = active
	if g.CanBook {
		now := h.now()
		slots, err := h.Oral.OpenSlots(ctx, u, g.VendorID, now, now.Add(oral.Horizon))
		if err != nil {
			return err
		}
		data["Slots"], data["TZ"] = slots, h.vendorTZ(c, g.VendorID)
	}
	p.Data = data
	return h.Render.Render(c, status, "oral_candidate", p)
}

// bookingCalendar downloads a booking's calendar invitation (the one its confirmation email carried).
func (h *Handlers) bookingCalendar(c *fiber.Ctx) error {
	b, err := h.Oral.BookingCalendar(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="oral-exam.ics"`)
	return c.Send(b)
}

// reschedule moves the candidate's booking to another open slot, in one step (the old time is kept
// if the new one cannot be had).
func (h *Handlers) reschedule(c *fiber.Ctx) error {
	if c.FormValue("slot_id") == "" {
		p := h.page(c, "Oral examination")
		p.ErrorSummary = "Choose the time to move your booking to."
		return h.oralCandidatePage(c, p, fiber.StatusUnprocessableEntity)
	}
	b, err := h.Oral.Reschedule(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.FormValue("slot_id"))
	if err != nil {
		if e, ok := apperr.As(err); ok && (e.Kind == apperr.Conflict || e.Kind == apperr.Invalid || e.Kind == apperr.Forbidden) {
			p := h.page(c, "Oral examination")
			p.ErrorSummary = e.Message
			return h.oralCandidatePage(c, p, httpx.Status(e.Kind))
		}
		return err
	}
	h.flash(c, "success", "Moved to "+b.When()+". An updated calendar invitation is on its way.")
	return c.Redirect("/oral", fiber.StatusSeeOther)
}

func (h *Handlers) book(c *fiber.Ctx) error {
	if c.FormValue("slot_id") == "" {
		p := h.page(c, "Oral examination")
		p.ErrorSummary = "Choose one of the open slots."
		return h.oralCandidatePage(c, p, fiber.StatusUnprocessableEntity)
	}
	b, err := h.Oral.Book(c.UserContext(), httpx.Actor(c), httpx.User(c), c.FormValue("slot_id"))
	if err != nil {
		if e, ok := apperr.As(err); ok && (e.Kind == apperr.Conflict || e.Kind == apperr.Invalid) {
			p := h.page(c, "Oral examination")
			p.ErrorSummary = e.Message
			return h.oralCandidatePage(c, p, httpx.Status(e.Kind))
		}
		return err
	}
	h.flash(c, "success", "Booked for "+b.When()+". A confirmation with a calendar invitation is on its way.")
	return c.Redirect("/oral", fiber.StatusSeeOther)
}

// ---- vendor admins ----

func (h *Handlers) oralAdminPage(c *fiber.Ctx, p *Page, status int) error {
	u := httpx.User(c)
	s, err := h.Oral.Settings(c.UserContext(), u.Vendor())
	if err != nil {
		return err
	}
	if _, ok := p.Form["cutoff_hours"]; !ok {
		p.Form["cutoff_hours"], p.Form["retake_wait_days"] = strconv.Itoa(s.CutoffHours), strconv.Itoa(s.RetakeWaitDays)
		if s.TwoExaminers {
			p.Form["two_examiners"] = "yes"
		}
	}
	now := h.now()
	slots, err := h.Oral.VendorSlots(c.UserContext(), u, now.Add(-7*24*time.Hour), now.Add(oral.Horizon))
	if err != nil {
		return err
	}
	awaiting, err := h.Oral.AwaitingGrades(c.UserContext(), u)
	if err != nil {
		return err
	}
	exceptions, err := h.Oral.Exceptions(c.UserContext(), u)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, e := range exceptions {
		for _, id := range []string{e.ExaminerID, e.CandidateID} {
			if _, ok := names[id]; !ok {
				if x, err := h.Accounts.UserByID(c.UserContext(), id); err == nil {
					names[id] = x.Name
				}
			}
		}
	}
	p.Data = map[string]any{"Slots": slots, "TZ": h.vendorTZ(c, u.Vendor()), "Awaiting": awaiting, "Exceptions": exceptions, "Names": names}
	return h.Render.Render(c, status, "oral_admin", p)
}

func (h *Handlers) oralSettings(c *fiber.Ctx) error {
	u := httpx.User(c)
	cut, _ := strconv.Atoi(c.FormValue("cutoff_hours"))
	wait, _ := strconv.Atoi(c.FormValue("retake_wait_days"))
	in := oral.Settings{VendorID: u.Vendor(), CutoffHours: cut, RetakeWaitDays: wait, TwoExaminers: c.FormValue("two_examiners") == "yes"}
	if _, err := h.Oral.UpdateSettings(c.UserContext(), httpx.Actor(c), u, in); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
			p := h.page(c, "Oral examinations")
			_ = withErr(p, err, formMap(c, "cutoff_hours", "retake_wait_days", "two_examiners"))
			return h.oralAdminPage(c, p, fiber.StatusUnprocessableEntity)
		}
		return err
	}
	h.flash(c, "success", "Oral examination rules saved.")
	return c.Redirect("/oral", fiber.StatusSeeOther)
}
