package web

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/standing"
)

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
		q, err := h.Reports.ForTrainerQueues(c.UserContext(), u.ID, h.now())
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

// candidateSteps is the candidate's path to certification, from the candidate's standing.
func (h *Handlers) candidateSteps(ctx context.Context, u *account.User) ([]standing.Step, error) {
	return h.Standing.Steps(ctx, u, h.now())
}
