package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// courseOffer is one vendor's offering of a course, for the course page.
type courseOffer struct {
	Offering   catalog.Offering
	VendorName string
}

// catalogue lists the courses beyond the ten days, with the signed-in holder's enrolments.
func (h *Handlers) catalogue(c *fiber.Ctx) error {
	u := httpx.User(c)
	p := h.page(c, "Courses")
	enrolled := map[string]*catalog.Enrolment{}
	if u.Role == account.RoleCandidate {
		es, err := h.Courses.Enrolments(c.UserContext(), u)
		if err != nil {
			return err
		}
		for i := range es {
			enrolled[es[i].CourseSlug] = &es[i]
		}
	}
	var courses []*catalog.Course
	for _, x := range h.Courses.Catalogue.Courses {
		if x.Kind != catalog.KindCertification {
			courses = append(courses, x)
		}
	}
	p.Data = map[string]any{"Courses": courses, "Enrolled": enrolled}
	return h.Render.Render(c, 200, "courses", p)
}

func (h *Handlers) catalogueCourse(c *fiber.Ctx) (*catalog.Course, error) {
	x, ok := h.Courses.Catalogue.Course(c.Params("slug"))
	if !ok || x.Kind == catalog.KindCertification {
		return nil, apperr.New(apperr.NotFound, "not_found", "There is no such course.")
	}
	return x, nil
}

// holderEnrolment finds the signed-in holder's enrolment in a course (nil when not enrolled).
func (h *Handlers) holderEnrolment(c *fiber.Ctx, slug string) (*catalog.Enrolment, error) {
	u := httpx.User(c)
	if u.Role != account.RoleCandidate {
		return nil, nil
	}
	es, err := h.Courses.Enrolments(c.UserContext(), u)
	if err != nil {
		return nil, err
	}
	for i := range es {
		if es[i].CourseSlug == slug {
			return &es[i], nil
		}
	}
	return nil, nil
}

// enrolledIn finds the course of the URL and the signed-in holder's enrolment in it.
func (h *Handlers) enrolledIn(c *fiber.Ctx) (*catalog.Course, *catalog.Enrolment, error) {
	x, err := h.catalogueCourse(c)
	if err != nil {
		return nil, nil, err
	}
	e, err := h.holderEnrolment(c, x.Slug)
	if err == nil && e == nil {
		err = apperr.New(apperr.Forbidden, "not_enrolled", "Enrol in the course first.")
	}
	return x, e, err
}

// coursePage shows a course: summary, modules, the vendors offering it (to enrol) or the holder's
// progress, the assessment and the completion.
func (h *Handlers) coursePage(c *fiber.Ctx) error {
	x, err := h.catalogueCourse(c)
	if err != nil {
		return err
	}
	p := h.page(c, x.Title)
	e, err := h.holderEnrolment(c, x.Slug)
	if err != nil {
		return err
	}
	data := map[string]any{"Course": x, "Modules": x.Modules.Modules()}
	if e != nil {
		pr, err := h.Courses.ProgressOf(c.UserContext(), httpx.User(c), e.ID)
		if err != nil {
			return err
		}
		data["Progress"] = pr
	} else {
		os, err := h.Courses.AllOfferings(c.UserContext(), x.Slug)
		if err != nil {
			return err
		}
		var offers []courseOffer
		for _, o := range os {
			v, err := h.Accounts.VendorByID(c.UserContext(), o.VendorID)
			if err != nil {
				return err
			}
			offers = append(offers, courseOffer{Offering: o, VendorName: v.Name})
		}
		data["Offers"] = offers
	}
	p.Data = data
	return h.Render.Render(c, 200, "course", p)
}

// courseEnrol enrols the holder in a vendor's offering of the course.
func (h *Handlers) courseEnrol(c *fiber.Ctx) error {
	x, err := h.catalogueCourse(c)
	if err != nil {
		return err
	}
	if _, err := h.Courses.Enrol(c.UserContext(), httpx.Actor(c), httpx.User(c), c.FormValue("offering")); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Conflict {
			h.flash(c, "error", e.Message)
			return c.Redirect(x.URL(), fiber.StatusSeeOther)
		}
		return err
	}
	h.flash(c, "success", "You are enrolled in "+x.Title+". Work through the modules at your own pace.")
	return c.Redirect(x.URL(), fiber.StatusSeeOther)
}

// courseModuleAccess finds the course and module of the URL and decides whether the user may read
// it: a holder enrolled in the course (e, not nil); staff and admins as a preview.
func (h *Handlers) courseModuleAccess(c *fiber.Ctx) (*curriculum.Module, moduleCtx, *catalog.Enrolment, error) {
	x, err := h.catalogueCourse(c)
	if err != nil {
		return nil, moduleCtx{}, nil, err
	}
	m, ok := x.Modules.Module(c.Params("module"))
	if !ok {
		return nil, moduleCtx{}, nil, apperr.New(apperr.NotFound, "not_found", "There is no such module.")
	}
	e, err := h.holderEnrolment(c, x.Slug)
	if err != nil {
		return nil, moduleCtx{}, nil, err
	}
	if httpx.User(c).Role == account.RoleCandidate && e == nil {
		return nil, moduleCtx{}, nil, apperr.New(apperr.Forbidden, "not_enrolled", "Enrol in the course to read its modules.")
	}
	return m, moduleCtx{Course: x, Preview: e == nil}, e, nil
}

// courseModule shows a module of a course to an enrolled holder (staff and admins preview it), with
// its knowledge check, like a module of the ten days.
func (h *Handlers) courseModule(c *fiber.Ctx) error {
	m, mc, e, err := h.courseModuleAccess(c)
	if err != nil {
		return err
	}
	if e != nil {
		pr, err := h.Courses.ProgressOf(c.UserContext(), httpx.User(c), e.ID)
		if err != nil {
			return err
		}
		mc.Done = pr.Done[m.Slug]
	}
	return h.modulePage(c, m, mc, checkShown(c, m, mc.Preview), 200)
}

// courseModuleCheck grades a course module's knowledge check; all correct marks the module done.
func (h *Handlers) courseModuleCheck(c *fiber.Ctx) error {
	m, _, e, err := h.courseModuleAccess(c)
	if err != nil {
		return err
	}
	if e == nil {
		return apperr.New(apperr.Forbidden, "forbidden", "Knowledge checks are for enrolled holders.")
	}
	res, back := gradeCheck(c, m)
	if res.Passed {
		if _, err := h.Courses.MarkDone(c.UserContext(), httpx.Actor(c), httpx.User(c), e.ID, m.Slug); err != nil {
			return err
		}
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// courseHandout shows a course module's handout as a printable page, to whoever may read the module.
func (h *Handlers) courseHandout(c *fiber.Ctx) error {
	m, _, _, err := h.courseModuleAccess(c)
	if err != nil {
		return err
	}
	return h.handoutPage(c, m)
}

// courseModuleDone marks a module done.
func (h *Handlers) courseModuleDone(c *fiber.Ctx) error {
	x, e, err := h.enrolledIn(c)
	if err != nil {
		return err
	}
	pr, err := h.Courses.MarkDone(c.UserContext(), httpx.Actor(c), httpx.User(c), e.ID, c.Params("module"))
	if err != nil {
		return err
	}
	if pr.Enrolment.Completed() {
		h.flash(c, "success", "Course complete.")
	} else {
		h.flash(c, "success", "Module marked done.")
	}
	return c.Redirect(x.URL(), fiber.StatusSeeOther)
}

// courseAssessmentStart starts (or resumes) the holder's attempt at the assessment.
func (h *Handlers) courseAssessmentStart(c *fiber.Ctx) error {
	x, e, err := h.enrolledIn(c)
	if err != nil {
		return err
	}
	at, err := h.Courses.Start(c.UserContext(), httpx.Actor(c), httpx.User(c), e.ID)
	if err != nil {
		if ae, ok := apperr.As(err); ok && ae.Kind == apperr.Conflict {
			h.flash(c, "error", ae.Message)
			return c.Redirect(x.URL(), fiber.StatusSeeOther)
		}
		return err
	}
	return c.Redirect("/courses/attempts/"+at.ID, fiber.StatusSeeOther)
}

// courseAttempt shows an attempt: every question on one page while open, the result once graded.
func (h *Handlers) courseAttempt(c *fiber.Ctx) error {
	v, err := h.Courses.View(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	x, _ := h.Courses.Catalogue.Course(v.Course)
	p := h.view(c, "Assessment: "+x.Title)
	p.Data = map[string]any{"View": v, "Course": x}
	return h.Render.Render(c, 200, "course_attempt", p)
}

// courseAttemptSave saves the answers of the attempt form (q-<item id> fields), and submits the
// attempt when the submit button was used. Autosave uses the API, one answer at a time.
func (h *Handlers) courseAttemptSave(c *fiber.Ctx) error {
	u, id := httpx.User(c), c.Params("id")
	v, err := h.Courses.View(c.UserContext(), httpx.Actor(c), u, id)
	if err != nil {
		return err
	}
	for _, q := range v.Questions {
		var choice []int
		if args := c.Request().PostArgs(); args != nil {
			for _, b := range args.PeekMulti("q-" + q.ItemID) {
				n, err := strconv.Atoi(string(b))
				if err != nil {
					return apperr.Field("q-"+q.ItemID, "Choose one of the options.")
				}
				choice = append(choice, n)
			}
		}
		if err := h.Courses.SaveAnswer(c.UserContext(), httpx.Actor(c), u, id, q.ItemID, choice); err != nil {
			return err
		}
	}
	if c.FormValue("action") == "submit" {
		if _, err := h.Courses.Submit(c.UserContext(), httpx.Actor(c), u, id); err != nil {
			return err
		}
	} else {
		h.flash(c, "success", "Answers saved.")
	}
	return c.Redirect("/courses/attempts/"+id, fiber.StatusSeeOther)
}

// courseAutosave saves one answer of the assessment the moment the holder chooses it: the written
// exam's script (static/js/exam.js) posts here from the attempt page.
func (h *Handlers) courseAutosave(c *fiber.Ctx) error {
	var in struct {
		ItemID  string `json:"item_id"`
		Choice  []int  `json:"choice"`
		Flagged bool   `json:"flagged"` // sent by the script; an assessment has no flags
		Seq     int64  `json:"seq"`     // sent by the script; the last save of an item wins
	}
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Courses.SaveAnswer(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), in.ItemID, in.Choice); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// vendorCourses is the vendor's offering page: the catalogue with its settings, and enrolments.
func (h *Handlers) vendorCourses(c *fiber.Ctx) error {
	return h.vendorCoursesPage(c, h.page(c, "Courses offered"), 200)
}

func (h *Handlers) vendorCoursesPage(c *fiber.Ctx, p *Page, status int) error {
	u := httpx.User(c)
	os, err := h.Courses.Offerings(c.UserContext(), u.Vendor())
	if err != nil {
		return err
	}
	offered := map[string]catalog.Offering{}
	for _, o := range os {
		offered[o.CourseSlug] = o
	}
	es, err := h.Courses.VendorEnrolments(c.UserContext(), u)
	if err != nil {
		return err
	}
	cohorts, err := h.Cohorts.List(c.UserContext(), u)
	if err != nil {
		return err
	}
	var courses []*catalog.Course
	for _, x := range h.Courses.Catalogue.Courses {
		if x.Kind != catalog.KindCertification {
			courses = append(courses, x)
		}
	}
	p.Data = map[string]any{"Courses": courses, "Offered": offered, "Enrolments": es, "Cohorts": cohorts}
	return h.Render.Render(c, status, "courses_admin", p)
}

// offerCourse offers a course (or changes its settings).
func (h *Handlers) offerCourse(c *fiber.Ctx) error {
	atoi := func(k string) int { n, _ := strconv.Atoi(c.FormValue(k)); return n }
	in := catalog.OfferingInput{Course: c.FormValue("course"), PassPercent: atoi("pass_percent"),
		AttemptsAllowed: atoi("attempts_allowed"), TimeLimitMinutes: atoi("time_limit_minutes")}
	if _, err := h.Courses.Offer(c.UserContext(), httpx.Actor(c), httpx.User(c), in); err != nil {
		p := h.page(c, "Courses offered")
		if werr := withErr(p, err, formMap(c, "course", "pass_percent", "attempts_allowed", "time_limit_minutes")); werr != nil {
			return werr
		}
		return h.vendorCoursesPage(c, p, httpx.Status(apperr.Invalid))
	}
	h.flash(c, "success", "Offering saved.")
	return c.Redirect("/vendor/courses", fiber.StatusSeeOther)
}

// enrolCohort enrols a cohort's certified candidates in an offering.
func (h *Handlers) enrolCohort(c *fiber.Ctx) error {
	res, err := h.Courses.EnrolCohort(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.FormValue("cohort"))
	if err != nil {
		return err
	}
	h.flash(c, "success", strconv.Itoa(len(res.Enrolled))+" enrolled, "+strconv.Itoa(res.Already)+" already enrolled, "+
		strconv.Itoa(res.Skipped)+" without a current certificate skipped.")
	return c.Redirect("/vendor/courses", fiber.StatusSeeOther)
}
