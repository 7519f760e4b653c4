package web

import (
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

func (h *Handlers) auditLog(c *fiber.Ctx) error {
	u := httpx.User(c)
	f := audit.Filter{Before: c.Query("before"), Action: c.Query("action"), Limit: 50}
	if u.Role == account.RoleVendorAdmin {
		f.VendorID = u.Vendor()
	}
	evs, next, err := h.Audit.List(c.UserContext(), f)
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
