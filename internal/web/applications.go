package web

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// Rows shown for positions and courses: what was entered plus a few blank ones.
const (
	maxFormRows   = 20
	blankFormRows = 2
	minFormRows   = 3
)

func (h *Handlers) applications(c *fiber.Ctx) error {
	u := httpx.User(c)
	apps, err := h.Eligibility.Mine(c.UserContext(), u)
	if err != nil {
		return err
	}
	vs, err := h.Accounts.ListVendors(c.UserContext(), true)
	if err != nil {
		return err
	}
	p := h.page(c, "Your applications")
	p.Data = map[string]any{"Apps": apps, "Vendors": vs}
	return h.Render.Render(c, 200, "applications", p)
}

func (h *Handlers) startApplication(c *fiber.Ctx) error {
	v, err := h.Eligibility.Start(c.UserContext(), httpx.Actor(c), httpx.User(c), c.FormValue("vendor_id"))
	if err != nil {
		return err
	}
	h.flash(c, "success", "Your application to "+v.VendorName+" is started. Fill it in and save; nothing is sent until you submit.")
	return c.Redirect("/applications/"+v.ID+"/edit", fiber.StatusSeeOther)
}

// applicationPage shows an application to its candidate or, for reviewers, to the vendor's admins.
func (h *Handlers) applicationPage(c *fiber.Ctx, id string, reviewer bool, p *Page, status int) error {
	v, err := h.Eligibility.Load(c.UserContext(), httpx.Actor(c), httpx.User(c), id)
	if err != nil {
		return err
	}
	res := h.Eligibility.Evaluate(c.UserContext(), v)
	base := "/applications/" + v.ID + "/documents"
	if reviewer {
		base = "/review/" + v.ID + "/documents"
	}
	p.Title = "Application"
	p.Data = map[string]any{"App": v, "Result": res, "Reviewer": reviewer, "DocBase": base, "Kinds": eligibility.Kinds, "DraftDays": h.Eligibility.DraftRetentionDays(),
		"WorkMonths": monthsLabel(res.WorkDays), "Credits": eligibility.FormatNumber(res.Credits)}
	return h.Render.Render(c, status, "application", p)
}

func monthsLabel(days int) string {
	m := float64(days) / (365.0 / 12)
	return fmt.Sprintf("%.1f months", math.Floor(m*10)/10)
}

func (h *Handlers) application(c *fiber.Ctx) error {
	return h.applicationPage(c, c.Params("id"), false, h.page(c, "Application"), 200)
}

func (h *Handlers) reviewApplication(c *fiber.Ctx) error {
	return h.applicationPage(c, c.Params("id"), true, h.page(c, "Application"), 200)
}

func (h *Handlers) editApplicationPage(c *fiber.Ctx, id string, d eligibility.Draft, p *Page, status int) error {
	pos := append([]eligibility.PositionInput(nil), d.Positions...)
	for len(pos) < max(minFormRows, len(d.Positions)+blankFormRows) && len(pos) < maxFormRows {
		pos = append(pos, eligibility.PositionInput{})
	}
	cs := append([]eligibility.CourseInput(nil), d.Courses...)
	for len(cs) < max(minFormRows, len(d.Courses)+blankFormRows) && len(cs) < maxFormRows {
		cs = append(cs, eligibility.CourseInput{})
	}
	p.Data = map[string]any{"ID": id, "Draft": d, "Positions": pos, "Courses": cs}
	return h.Render.Render(c, status, "application_edit", p)
}

func (h *Handlers) editApplication(c *fiber.Ctx) error {
	v, err := h.Eligibility.Load(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	if !v.Editable() {
		h.flash(c, "info", "This application can no longer be changed.")
		return c.Redirect("/applications/"+v.ID, fiber.StatusSeeOther)
	}
	return h.editApplicationPage(c, v.ID, v.Draft(), h.page(c, "Your application"), 200)
}

// draftFromForm reads the application form. Empty position and course rows are dropped, so the rows
// re-shown after an error line up with the field names in the error messages.
func draftFromForm(c *fiber.Ctx) eligibility.Draft {
	yes := func(k string) bool { return c.FormValue(k) == "yes" }
	d := eligibility.Draft{LegalName: c.FormValue("legal_name"), PreferredName: c.FormValue("preferred_name"), Email: c.FormValue("email"),
		Phone: c.FormValue("phone"), DateOfBirth: c.FormValue("dob"), Education: c.FormValue("education"), EducationYear: c.FormValue("education_year"),
		SelfIdentifies: yes("self_identifies"), Attestation: c.FormValue("attestation"), Consent: yes("consent")}
	for i := 0; i < maxFormRows; i++ {
		k := fmt.Sprintf("positions[%d].", i)
		p := eligibility.PositionInput{Title: c.FormValue(k + "title"), Organisation: c.FormValue(k + "organisation"), Paid: yes(k + "paid"),
			Start: c.FormValue(k + "start"), End: c.FormValue(k + "end"), Hours: c.FormValue(k + "hours")}
		if strings.TrimSpace(p.Title+p.Organisation+p.Start+p.End+p.Hours) != "" {
			d.Positions = append(d.Positions, p)
		}
		k = fmt.Sprintf("courses[%d].", i)
		co := eligibility.CourseInput{Institution: c.FormValue(k + "institution"), Course: c.FormValue(k + "course"), Completed: c.FormValue(k + "completed"), Credits: c.FormValue(k + "credits")}
		if strings.TrimSpace(co.Institution+co.Course+co.Completed+co.Credits) != "" {
			d.Courses = append(d.Courses, co)
		}
	}
	return d
}

func (h *Handlers) saveApplication(c *fiber.Ctx) error {
	id := c.Params("id")
	d := draftFromForm(c)
	if err := h.Eligibility.SaveDraft(c.UserContext(), httpx.Actor(c), httpx.User(c), id, d); err != nil {
		e, ok := apperr.As(err)
		if !ok || e.Kind != apperr.Invalid {
			return err
		}
		p := h.page(c, "Your application")
		for k, v := range e.Fields {
			p.Errors[k] = v
		}
		p.ErrorSummary = "Nothing was saved yet. " + e.Message
		// The posted values go back into the form: nothing the candidate typed is lost.
		return h.editApplicationPage(c, id, d, p, fiber.StatusUnprocessableEntity)
	}
	h.flash(c, "success", "Saved. Check the requirements below, then submit when you are ready.")
	return c.Redirect("/applications/"+id, fiber.StatusSeeOther)
}

func (h *Handlers) applicationAction(action string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, u, a := c.Params("id"), httpx.User(c), httpx.Actor(c)
		var err error
		var msg string
		switch action {
		case "submit":
			err, msg = h.Eligibility.Submit(c.UserContext(), a, u, id), "Your application was submitted. We have emailed you a confirmation; the organisation will review it."
		case "withdraw":
			err, msg = h.Eligibility.Withdraw(c.UserContext(), a, u, id), "Your application was withdrawn."
		case "delete":
			err, msg = h.Eligibility.RequestDeletion(c.UserContext(), a, u, id), "Your application was withdrawn and your personal details and documents were deleted."
		}
		if err != nil {
			if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
				p := h.page(c, "Application")
				p.ErrorSummary = e.Message
				return h.applicationPage(c, id, false, p, fiber.StatusUnprocessableEntity)
			}
			return err
		}
		h.flash(c, "success", msg)
		return c.Redirect("/applications/"+id, fiber.StatusSeeOther)
	}
}

func (h *Handlers) uploadDocument(c *fiber.Ctx) error {
	id := c.Params("id")
	fh, err := c.FormFile("file")
	if err != nil {
		p := h.page(c, "Application")
		p.Errors["file"] = "Choose a PDF, JPEG or PNG file to upload."
		p.ErrorSummary = p.Errors["file"]
		return h.applicationPage(c, id, false, p, fiber.StatusUnprocessableEntity)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := h.Eligibility.UploadDocument(c.UserContext(), httpx.Actor(c), httpx.User(c), id, c.FormValue("kind"), fh.Filename, f); err != nil {
		if e, ok := apperr.As(err); ok && (e.Kind == apperr.Invalid || e.Kind == apperr.Unsupported || e.Kind == apperr.TooLarge) {
			p := h.page(c, "Application")
			p.Errors["file"] = e.Message
			if m := e.Fields["file"]; m != "" {
				p.Errors["file"] = m
			}
			p.ErrorSummary = p.Errors["file"]
			return h.applicationPage(c, id, false, p, httpx.Status(e.Kind))
		}
		return err
	}
	h.flash(c, "success", "The document was uploaded.")
	return c.Redirect("/applications/"+id, fiber.StatusSeeOther)
}

func (h *Handlers) deleteDocument(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := h.Eligibility.DeleteDocument(c.UserContext(), httpx.Actor(c), httpx.User(c), id, c.Params("doc")); err != nil {
		return err
	}
	h.flash(c, "success", "The document was removed.")
	return c.Redirect("/applications/"+id, fiber.StatusSeeOther)
}

// document streams a private document after the eligibility service has checked (and, for staff,
// logged) the viewer. Documents are never cached and never run as active content.
func (h *Handlers) document(c *fiber.Ctx) error {
	obj, name, err := h.Eligibility.OpenDocumentFile(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), c.Params("doc"))
	if err != nil {
		return err
	}
	ext := map[string]string{"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}[obj.ContentType]
	c.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	c.Set(fiber.HeaderContentDisposition, httpx.Attachment(name, "document-"+c.Params("doc")+ext))
	return serveMedia(c, h.Media, obj.Key, "private, no-store")
}

// ---- vendor review ----

func (h *Handlers) reviewQueue(c *fiber.Ctx) error {
	offset, _ := strconv.Atoi(c.Query("offset"))
	f := eligibility.QueueFilter{Status: c.Query("status"), Query: c.Query("q"), Limit: 25, Offset: max(offset, 0)}
	q, err := h.Eligibility.Queue(c.UserContext(), httpx.User(c), f)
	if err != nil {
		return err
	}
	p := h.page(c, "Eligibility review")
	statuses := []string{eligibility.StatusNeedsInfo, eligibility.StatusApproved, eligibility.StatusRejected, eligibility.StatusWithdrawn}
	p.Data = map[string]any{"Queue": q, "Counts": q.Counts, "Status": f.Status, "Query": f.Query, "Statuses": statuses, "Pager": pager(c, f.Offset, f.Limit, q.Total)}
	return h.Render.Render(c, 200, "review", p)
}

func (h *Handlers) decide(c *fiber.Ctx) error {
	id := c.Params("id")
	if err := h.Eligibility.Decide(c.UserContext(), httpx.Actor(c), httpx.User(c), id, c.FormValue("decision"), c.FormValue("reason")); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
			p := h.page(c, "Application")
			_ = withErr(p, err, formMap(c, "reason"))
			if len(e.Fields) == 0 {
				p.Errors["decision"] = e.Message
			}
			return h.applicationPage(c, id, true, p, fiber.StatusUnprocessableEntity)
		}
		return err
	}
	h.flash(c, "success", "The decision was recorded and the candidate was emailed.")
	return c.Redirect("/review?"+url.Values{}.Encode(), fiber.StatusSeeOther)
}
