package web

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/media"
)

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
