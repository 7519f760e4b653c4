package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// AuditList is a page of audit events.
type AuditList struct {
	Events []audit.Event `json:"events"`
	Next   string        `json:"next,omitempty"`
	Paging
}

func (h *Handlers) auditLog(c *fiber.Ctx) error {
	u := httpx.User(c)
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	f := audit.Filter{Before: c.Query("before"), Action: c.Query("action"), SubjectType: c.Query("subject_type"), SubjectID: c.Query("subject_id")}
	if u.Role == account.RoleVendorAdmin {
		f.VendorID = u.Vendor()
	}
	p, err := h.Audit.ListPage(c.UserContext(), f, r)
	if err != nil {
		return err
	}
	out := AuditList{Events: p.Items, Paging: paging(c, p.Next)}
	if p.Next != "" {
		out.Next = p.Items[len(p.Items)-1].ID // the value of before for the next page (earlier clients)
	}
	return writeJSON(c, out)
}
