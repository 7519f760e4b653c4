package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// myData shows the "Download my data" requests and, for candidates, the way to delete the account.
func (h *Handlers) myData(c *fiber.Ctx) error {
	u := httpx.User(c)
	list, err := h.Privacy.Exports(c.UserContext(), u)
	if err != nil {
		return err
	}
	p := h.page(c, "Your data")
	p.Data = map[string]any{"Exports": list, "CanDelete": u.Role == account.RoleCandidate}
	return h.Render.Render(c, 200, "my_data", p)
}

func (h *Handlers) requestExport(c *fiber.Ctx) error {
	if _, err := h.Privacy.RequestExport(c.UserContext(), httpx.Actor(c), httpx.User(c)); err != nil {
		return err
	}
	h.flash(c, "success", "We are preparing a copy of your data. We will e-mail you when it is ready to download, usually within a minute.")
	return c.Redirect("/account/data", fiber.StatusSeeOther)
}

func (h *Handlers) downloadExport(c *fiber.Ctx) error {
	rc, size, err := h.Privacy.Download(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return httpx.SendPrivateFile(c, rc, size, "application/zip", "peeracademy-my-data.zip")
}

func (h *Handlers) deleteAccountForm(c *fiber.Ctx) error {
	return h.Render.Render(c, 200, "delete_account", h.page(c, "Delete your account"))
}

func (h *Handlers) deleteAccount(c *fiber.Ctx) error {
	u := httpx.User(c)
	fail := func(err error) error {
		p := h.page(c, "Delete your account")
		if err := withErr(p, err, formMap(c, "understand")); err != nil {
			return err
		}
		return h.Render.Render(c, fiber.StatusUnprocessableEntity, "delete_account", p)
	}
	if c.FormValue("understand") != "yes" {
		return fail(apperr.Field("understand", "Tick the box to confirm that you understand what is deleted and what is kept."))
	}
	if err := h.Privacy.DeleteAccount(c.UserContext(), httpx.Actor(c), u, c.FormValue("password"), h.Log); err != nil {
		return fail(err)
	}
	h.clearSession(c)
	h.flash(c, "success", "Your account and personal data have been deleted.")
	return c.Redirect("/", fiber.StatusSeeOther)
}
