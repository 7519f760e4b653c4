package web

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

func dayNumbers() []int {
	d := make([]int, cohort.Days)
	for i := range d {
		d[i] = i + 1
	}
	return d
}

func (h *Handlers) cohortsPage(c *fiber.Ctx, p *Page, status int) error {
	u := httpx.User(c)
	cs, err := h.Cohorts.List(c.UserContext(), u)
	if err != nil {
		return err
	}
	first, last := map[string]string{}, map[string]string{}
	for _, co := range cs {
		full, err := h.Cohorts.Get(c.UserContext(), co.ID)
		if err != nil {
			return err
		}
		if n := len(full.Sessions); n > 0 {
			first[co.ID], last[co.ID] = full.Sessions[0].Date, full.Sessions[n-1].Date
		}
	}
	var trainers []account.User
	if u.Role == account.RoleVendorAdmin {
		if trainers, _, err = h.Accounts.ListUsers(c.UserContext(), u, account.UserFilter{Role: account.RoleTrainer, Limit: 100}); err != nil {
			return err
		}
	}
	p.Data = map[string]any{"Cohorts": cs, "First": first, "Last": last, "DayNumbers": dayNumbers(), "Trainers": trainers}
	return h.Render.Render(c, status, "cohorts", p)
}

func (h *Handlers) cohorts(c *fiber.Ctx) error { return h.cohortsPage(c, h.page(c, "Cohorts"), 200) }

func (h *Handlers) createCohort(c *fiber.Ctx) error {
	capacity, _ := strconv.Atoi(c.FormValue("capacity"))
	in := cohort.CreateInput{Name: c.FormValue("name"), Timezone: c.FormValue("timezone"), Delivery: c.FormValue("delivery"), Location: c.FormValue("location"), Capacity: capacity}
	keys := []string{"name", "timezone", "delivery", "location", "capacity"}
	for i := 1; i <= cohort.Days; i++ {
		k := fmt.Sprintf("date%d", i)
		in.Dates = append(in.Dates, c.FormValue(k))
		keys = append(keys, k)
	}
	if args := c.Request().PostArgs(); args != nil {
		for _, v := range args.PeekMulti("trainer_ids") {
			in.TrainerIDs = append(in.TrainerIDs, string(v))
		}
	}
	co, err := h.Cohorts.Create(c.UserContext(), httpx.Actor(c), httpx.User(c), in)
	if err != nil {
		p := h.page(c, "Cohorts")
		if err := withErr(p, err, formMap(c, keys...)); err != nil {
			return err
		}
		return h.cohortsPage(c, p, fiber.StatusUnprocessableEntity)
	}
	h.flash(c, "success", "The cohort "+co.Name+" was created. Enrol candidates below.")
	return c.Redirect("/teach/cohorts/"+co.ID, fiber.StatusSeeOther)
}

func (h *Handlers) cohortPage(c *fiber.Ctx, id string, p *Page, status int) error {
	u := httpx.User(c)
	co, err := h.Cohorts.GetFor(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	sts, err := h.Cohorts.Statuses(c.UserContext(), co)
	if err != nil {
		return err
	}
	p.Title = co.Name
	p.Data = map[string]any{"Cohort": co, "Statuses": sts, "CanManage": cohort.CanManage(u, co), "Now": h.now()}
	return h.Render.Render(c, status, "cohort", p)
}

func (h *Handlers) cohortDetail(c *fiber.Ctx) error {
	return h.cohortPage(c, c.Params("id"), h.page(c, "Cohort"), 200)
}

func (h *Handlers) enroll(c *fiber.Ctx) error {
	id := c.Params("id")
	if _, err := h.Cohorts.Enroll(c.UserContext(), httpx.Actor(c), httpx.User(c), id, c.FormValue("email")); err != nil {
		if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.Conflict) {
			p := h.page(c, "Cohort")
			_ = withErr(p, err, formMap(c, "email"))
			if e.Kind == apperr.Conflict {
				p.Errors["email"] = e.Message
			}
			return h.cohortPage(c, id, p, Status(e))
		}
		return err
	}
	h.flash(c, "success", "Enrolled "+account.NormalizeEmail(c.FormValue("email"))+".")
	return c.Redirect("/teach/cohorts/"+id, fiber.StatusSeeOther)
}

// Status is the HTTP status of a safe error.
func Status(e *apperr.Error) int { return httpx.Status(e.Kind) }

func (h *Handlers) withdraw(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := h.Cohorts.Withdraw(c.UserContext(), httpx.Actor(c), httpx.User(c), id, c.Params("candidate")); err != nil {
		return err
	}
	h.flash(c, "success", "The candidate was withdrawn from the cohort.")
	return c.Redirect("/teach/cohorts/"+id, fiber.StatusSeeOther)
}

func (h *Handlers) addMakeup(c *fiber.Ctx) error {
	id := c.Params("id")
	day, _ := strconv.Atoi(c.FormValue("day"))
	minutes, _ := strconv.Atoi(c.FormValue("minutes"))
	in := cohort.MakeupInput{CandidateID: c.FormValue("candidate_id"), Day: day, Description: c.FormValue("description"), Minutes: minutes}
	if _, err := h.Cohorts.AddMakeup(c.UserContext(), httpx.Actor(c), httpx.User(c), id, in); err != nil {
		p := h.page(c, "Cohort")
		if err := withErr(p, err, formMap(c, "description", "minutes")); err != nil {
			return err
		}
		return h.cohortPage(c, id, p, fiber.StatusUnprocessableEntity)
	}
	h.flash(c, "success", "Make-up work recorded.")
	return c.Redirect("/teach/cohorts/"+id, fiber.StatusSeeOther)
}

func (h *Handlers) attendancePage(c *fiber.Ctx, p *Page, status int) error {
	u := httpx.User(c)
	co, err := h.Cohorts.GetFor(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	day, _ := strconv.Atoi(c.Params("day"))
	sess, ok := co.Session(day)
	if !ok {
		return apperr.New(apperr.NotFound, "not_found", "There is no such session day.")
	}
	roster, err := h.Cohorts.Roster(c.UserContext(), co.ID)
	if err != nil {
		return err
	}
	reg, err := h.Cohorts.Register(c.UserContext(), co.ID, day)
	if err != nil {
		return err
	}
	allPresent := c.Query("all") == cohort.Present && status == fiber.StatusOK
	if allPresent { // "Mark everyone present": the form comes back filled in, nothing is saved yet
		for _, r := range roster {
			if _, marked := reg[r.ID]; !marked {
				reg[r.ID] = cohort.Attendance{Status: cohort.Present}
			}
		}
	}
	p.Title = fmt.Sprintf("Attendance, day %d", day)
	p.Data = map[string]any{"Cohort": co, "Session": sess, "Roster": roster, "Register": reg, "AllPresent": allPresent,
		"Statuses": []string{cohort.Present, cohort.Late, cohort.Absent, cohort.Excused}, "Timetable": h.Curriculum.Timetable(day)}
	return h.Render.Render(c, status, "attendance", p)
}

func (h *Handlers) attendance(c *fiber.Ctx) error {
	return h.attendancePage(c, h.page(c, "Attendance"), 200)
}

func (h *Handlers) saveAttendance(c *fiber.Ctx) error {
	u := httpx.User(c)
	co, err := h.Cohorts.GetFor(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	day, _ := strconv.Atoi(c.Params("day"))
	roster, err := h.Cohorts.Roster(c.UserContext(), co.ID)
	if err != nil {
		return err
	}
	var marks []cohort.Mark
	for _, r := range roster {
		mins, _ := strconv.Atoi(c.FormValue("minutes_" + r.ID))
		marks = append(marks, cohort.Mark{CandidateID: r.ID, Status: c.FormValue("status_" + r.ID), MinutesAttended: mins, Note: c.FormValue("note_" + r.ID)})
	}
	if err := h.Cohorts.RecordAttendance(c.UserContext(), httpx.Actor(c), u, co.ID, day, marks); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
			p := h.page(c, "Attendance")
			_ = withErr(p, err, nil)
			return h.attendancePage(c, p, fiber.StatusUnprocessableEntity)
		}
		return err
	}
	h.flash(c, "success", fmt.Sprintf("The register for day %d is saved.", day))
	return c.Redirect("/teach/cohorts/"+co.ID, fiber.StatusSeeOther)
}
