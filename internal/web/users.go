package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

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
