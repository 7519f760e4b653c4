package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
)

// vendorQueues puts a vendor admin's work queues on the dashboard: applications to review, candidates
// ready to certify, CE activities to review, cohorts starting soon without a trainer, oral exams
// taken and not graded.
func (h *Handlers) vendorQueues(c *fiber.Ctx, u *account.User, data map[string]any) error {
	ctx := c.UserContext()
	q, err := h.Reports.ForVendorQueues(ctx, u.Vendor(), h.now())
	if err != nil {
		return err
	}
	ready, err := h.Certificates.Ready(ctx, u)
	if err != nil {
		return err
	}
	ce, err := h.CE.Queue(ctx, u)
	if err != nil {
		return err
	}
	data["Queues"], data["ReadyCount"], data["CECount"], data["Now"] = q, len(ready), len(ce), h.now()
	return nil
}
