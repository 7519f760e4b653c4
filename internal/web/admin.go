package web

import (
	"context"
	"errors"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/report"
	"github.com/peeracademy/peeracademy/internal/standing"
)

// Pager links to the neighbouring pages of a listing.
type Pager struct{ PrevURL, NextURL string }

func pager(c *fiber.Ctx, offset, limit, total int) Pager {
	mk := func(off int) string {
		q := url.Values{}
		c.Context().QueryArgs().VisitAll(func(k, v []byte) { q.Set(string(k), string(v)) })
		q.Set("offset", strconv.Itoa(off))
		return c.Path() + "?" + q.Encode()
	}
	var p Pager
	if offset > 0 {
		p.PrevURL = mk(max(0, offset-limit))
	}
	if offset+limit < total {
		p.NextURL = mk(offset + limit)
	}
	return p
}

func (h *Handlers) dashboard(c *fiber.Ctx) error {
	u := httpx.User(c)
	data := map[string]any{}
	if v := u.Vendor(); v != "" {
		vendor, err := h.Accounts.VendorByID(c.UserContext(), v)
		if err != nil {
			return err
		}
		data["Vendor"] = vendor
	}
	if u.Role == account.RoleCandidate {
		steps, err := h.candidateSteps(c.UserContext(), u)
		if err != nil {
			return err
		}
		data["Steps"] = steps
	}
	if u.Role == account.RoleVendorAdmin {
		if err := h.vendorQueues(c, u, data); err != nil {
			return err
		}
	}
	if u.Role == account.RoleTrainer {
		q, err := report.ForTrainerQueues(c.UserContext(), h.DB, u.ID, h.now())
		if err != nil {
			return err
		}
		data["TrainerQueues"], data["Now"] = q, h.now()
	}
	if u.Role == account.RolePlatformAdmin {
		vs, err := h.Accounts.ListVendors(c.UserContext(), false)
		if err != nil {
			return err
		}
		pending := 0
		for _, v := range vs {
			if !v.Recognised() {
				pending++
			}
		}
		data["VendorCount"], data["PendingVendors"] = len(vs), pending
	}
	p := h.page(c, "Dashboard")
	p.Data = data
	return h.Render.Render(c, 200, "dashboard", p)
}

// ---- vendors (platform admin) ----

func (h *Handlers) vendorsPage(c *fiber.Ctx, p *Page, status int) error {
	vs, err := h.Accounts.ListVendors(c.UserContext(), false)
	if err != nil {
		return err
	}
	p.Data = map[string]any{"Vendors": vs}
	return h.Render.Render(c, status, "vendors", p)
}

func (h *Handlers) vendors(c *fiber.Ctx) error {
	return h.vendorsPage(c, h.page(c, "Vendors"), 200)
}

func (h *Handlers) createVendor(c *fiber.Ctx) error {
	in := account.VendorInput{Name: c.FormValue("name"), Slug: c.FormValue("slug"), Timezone: c.FormValue("timezone"), ContactEmail: c.FormValue("contact_email")}
	v, err := h.Accounts.CreateVendor(c.UserContext(), httpx.Actor(c), in)
	if err != nil {
		p := h.page(c, "Vendors")
		if err := withErr(p, err, formMap(c, "name", "slug", "timezone", "contact_email")); err != nil {
			return err
		}
		return h.vendorsPage(c, p, fiber.StatusUnprocessableEntity)
	}
	h.flash(c, "success", v.Name+" was added. Recognise it when its accreditation is confirmed, then invite its administrator.")
	return c.Redirect("/admin/vendors/"+v.ID, fiber.StatusSeeOther)
}

func (h *Handlers) vendorPage(c *fiber.Ctx, vendorID string, p *Page, status int) error {
	v, err := h.Accounts.VendorByID(c.UserContext(), vendorID)
	if err != nil {
		return err
	}
	staff, _, err := h.Accounts.ListUsers(c.UserContext(), httpx.User(c), account.UserFilter{VendorID: v.ID, Limit: 100})
	if err != nil {
		return err
	}
	_, statErr := h.Media.Stat(c.UserContext(), logoKey(v.ID))
	if statErr != nil && !errors.Is(statErr, media.ErrNotFound) {
		return statErr
	}
	action := "/vendor/invitations"
	if httpx.User(c).Role == account.RolePlatformAdmin {
		action = "/admin/vendors/" + v.ID + "/invitations"
	}
	p.Title = v.Name
	p.Data = map[string]any{"Vendor": v, "Staff": staff, "HasLogo": statErr == nil, "LogoURL": "/vendors/" + v.ID + "/logo", "InviteAction": action}
	return h.Render.Render(c, status, "vendor", p)
}

func (h *Handlers) adminVendor(c *fiber.Ctx) error {
	return h.vendorPage(c, c.Params("id"), h.page(c, "Vendor"), 200)
}

func (h *Handlers) ownVendor(c *fiber.Ctx) error {
	return h.vendorPage(c, httpx.User(c).Vendor(), h.page(c, "Organisation"), 200)
}

func (h *Handlers) setRecognition(c *fiber.Ctx) error {
	rec := c.FormValue("recognised") == "true"
	v, err := h.Accounts.SetRecognised(c.UserContext(), httpx.Actor(c), c.Params("id"), rec)
	if err != nil {
		return err
	}
	if rec {
		h.flash(c, "success", v.Name+" is now recognised.")
	} else {
		h.flash(c, "info", "Recognition of "+v.Name+" was withdrawn.")
	}
	return c.Redirect("/admin/vendors/"+v.ID, fiber.StatusSeeOther)
}

func (h *Handlers) invite(c *fiber.Ctx) error {
	u := httpx.User(c)
	in := account.InviteInput{Email: c.FormValue("email"), Role: c.FormValue("role"), VendorID: c.Params("id")}
	back := "/vendor"
	if u.Role == account.RolePlatformAdmin {
		back = "/admin/vendors/" + in.VendorID
	}
	if err := h.Accounts.Invite(c.UserContext(), httpx.Actor(c), u, in); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.Invalid {
			p := h.page(c, "Organisation")
			_ = withErr(p, err, formMap(c, "email", "role"))
			id := in.VendorID
			if u.Role == account.RoleVendorAdmin {
				id = u.Vendor()
			}
			return h.vendorPage(c, id, p, fiber.StatusUnprocessableEntity)
		}
		return err
	}
	h.flash(c, "success", "Invitation sent to "+account.NormalizeEmail(in.Email)+". The link works for 7 days.")
	return c.Redirect(back, fiber.StatusSeeOther)
}

// ---- vendor logo: an uploaded file served only through this authorising handler ----

const maxLogoBytes = 2 << 20

func logoKey(vendorID string) string { return account.LogoKey(vendorID) }

func (h *Handlers) uploadLogo(c *fiber.Ctx) error {
	u := httpx.User(c)
	fh, err := c.FormFile("logo")
	if err != nil {
		p := h.page(c, "Organisation")
		p.Errors["logo"] = "Choose a PNG or JPEG file to upload."
		p.ErrorSummary = p.Errors["logo"]
		return h.vendorPage(c, u.Vendor(), p, fiber.StatusUnprocessableEntity)
	}
	if fh.Size > maxLogoBytes {
		return apperr.New(apperr.TooLarge, "too_large", "The logo is larger than 2 MB. Choose a smaller image.")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := h.Media.Put(c.UserContext(), logoKey(u.Vendor()), f, media.PutOptions{MaxSize: maxLogoBytes, AllowedTypes: []string{"image/png", "image/jpeg"}}); err != nil {
		return mediaErr(err, "logo", "The logo must be a PNG or JPEG image.")
	}
	if err := audit.Record(c.UserContext(), h.DB, httpx.Actor(c), audit.Entry{Action: "vendor.logo_upload", SubjectType: "vendor", SubjectID: u.Vendor(), VendorID: u.Vendor()}); err != nil {
		return err
	}
	h.flash(c, "success", "The logo was uploaded.")
	return c.Redirect("/vendor", fiber.StatusSeeOther)
}

// mediaErr turns media store refusals into messages a person understands.
func mediaErr(err error, field, typeMsg string) error {
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return apperr.New(apperr.TooLarge, "too_large", "The file is too large.")
	case errors.Is(err, media.ErrTypeNotAllowed):
		return &apperr.Error{Kind: apperr.Unsupported, Code: "unsupported_type", Message: typeMsg, Fields: map[string]string{field: typeMsg}}
	case errors.Is(err, media.ErrEmpty):
		return apperr.Field(field, "The file is empty.")
	}
	return err
}

// vendorLogo streams a vendor's logo to its own staff and platform admins.
func (h *Handlers) vendorLogo(c *fiber.Ctx) error {
	u := httpx.User(c)
	id := c.Params("id")
	if u.Role != account.RolePlatformAdmin && u.Vendor() != id {
		return apperr.New(apperr.NotFound, "not_found", "We could not find that file.")
	}
	return ServeMedia(c, h.Media, logoKey(id))
}

// ServeMedia streams an object with HTTP range support. Call it only after checking permission.
func ServeMedia(c *fiber.Ctx, store media.Store, key string) error {
	return serveMedia(c, store, key, "private, max-age=300")
}

func serveMedia(c *fiber.Ctx, store media.Store, key, cacheControl string) error {
	obj, err := store.Stat(c.UserContext(), key)
	if err != nil {
		if errors.Is(err, media.ErrNotFound) || errors.Is(err, media.ErrBadKey) {
			return apperr.New(apperr.NotFound, "not_found", "We could not find that file.")
		}
		return err
	}
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, cacheControl)
	c.Set(fiber.HeaderETag, `"`+obj.ETag+`"`)
	c.Set(fiber.HeaderContentType, obj.ContentType)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && inm == `"`+obj.ETag+`"` {
		return c.SendStatus(fiber.StatusNotModified)
	}
	offset, length, partial, err := media.ParseRange(c.Get(fiber.HeaderRange), obj.Size)
	if err != nil {
		c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(obj.Size, 10))
		return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
	}
	if !partial {
		offset, length = 0, obj.Size
	}
	rc, _, err := store.Get(c.UserContext(), key, offset, length)
	if err != nil {
		return err
	}
	if partial {
		c.Status(fiber.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, "bytes "+strconv.FormatInt(offset, 10)+"-"+strconv.FormatInt(offset+length-1, 10)+"/"+strconv.FormatInt(obj.Size, 10))
	}
	return c.SendStream(rc, int(length))
}

// ---- users ----

func (h *Handlers) users(c *fiber.Ctx) error {
	u := httpx.User(c)
	offset, _ := strconv.Atoi(c.Query("offset"))
	f := account.UserFilter{Query: c.Query("q"), Role: c.Query("role"), VendorID: c.Query("vendor"), Limit: 25, Offset: max(offset, 0)}
	us, total, err := h.Accounts.ListUsers(c.UserContext(), u, f)
	if err != nil {
		return err
	}
	roles := account.Roles
	if u.Role == account.RoleVendorAdmin {
		roles = []string{account.RoleTrainer, account.RoleVendorAdmin}
	}
	p := h.page(c, "Users")
	p.Data = map[string]any{"Users": us, "Total": total, "Query": f.Query, "Role": f.Role, "Roles": roles, "Pager": pager(c, f.Offset, f.Limit, total)}
	return h.Render.Render(c, 200, "users", p)
}

func (h *Handlers) setDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := h.Accounts.SetDisabled(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), disabled); err != nil {
			return err
		}
		if disabled {
			h.flash(c, "success", "The account is disabled and all its sessions have ended.")
		} else {
			h.flash(c, "success", "The account is enabled again.")
		}
		return c.Redirect("/users", fiber.StatusSeeOther)
	}
}

// ---- audit log ----

func (h *Handlers) auditLog(c *fiber.Ctx) error {
	u := httpx.User(c)
	f := audit.Filter{Before: c.Query("before"), Action: c.Query("action"), Limit: 50}
	if u.Role == account.RoleVendorAdmin {
		f.VendorID = u.Vendor()
	}
	evs, next, err := audit.List(c.UserContext(), h.DB, f)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, e := range evs {
		if e.ActorID != nil {
			names[*e.ActorID] = ""
		}
	}
	for id := range names {
		if a, err := h.Accounts.UserByID(c.UserContext(), id); err == nil {
			names[id] = a.Name
		} else {
			names[id] = "(deleted user)"
		}
	}
	nextURL := ""
	if next != "" {
		nextURL = "/audit?before=" + url.QueryEscape(next)
	}
	p := h.page(c, "Audit log")
	p.Data = map[string]any{"Events": evs, "Names": names, "NextURL": nextURL}
	return h.Render.Render(c, 200, "audit", p)
}

// ---- captured mail (development mode) ----

func (h *Handlers) mail(c *fiber.Ctx) error {
	if !h.DevMail {
		return apperr.New(apperr.NotFound, "not_found", "Mail is sent over SMTP; there is no captured mail to show.")
	}
	offset, _ := strconv.Atoi(c.Query("offset"))
	offset = max(offset, 0)
	ms, total, err := notify.List(c.UserContext(), h.DB, "", 50, offset)
	if err != nil {
		return err
	}
	p := h.page(c, "Mail")
	p.Data = map[string]any{"Messages": ms, "Pager": pager(c, offset, 50, total)}
	return h.Render.Render(c, 200, "mail", p)
}

func (h *Handlers) mailMessage(c *fiber.Ctx) error {
	if !h.DevMail {
		return apperr.New(apperr.NotFound, "not_found", "We could not find that message.")
	}
	m, err := notify.Get(c.UserContext(), h.DB, c.Params("id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "not_found", "We could not find that message.")
	}
	p := h.page(c, m.Subject)
	p.Data = m
	return h.Render.Render(c, 200, "mail_message", p)
}

// candidateSteps is the candidate's path to certification, from the candidate's standing.
func (h *Handlers) candidateSteps(ctx context.Context, u *account.User) ([]standing.Step, error) {
	return h.Standing.Steps(ctx, u, h.now())
}
