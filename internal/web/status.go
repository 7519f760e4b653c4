package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Component is one dependency on the status page.
type Component struct {
	Name, State, Note string
	OK                bool
}

// status shows platform administrators what /readyz leaves out: the media store, which uploads,
// downloads, course media and certificates need, but exams, courses and verification do not.
func (h *Handlers) status(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 3*time.Second)
	defer cancel()
	comps := []Component{{Name: "Database", State: "answering", OK: true, Note: "Everything needs it; /readyz reports it to the load balancer."}}
	if err := h.PingDB(ctx); err != nil {
		comps[0].State, comps[0].OK = "unreachable", false
	}
	store := Component{Name: "Document and media store", State: "answering", OK: true,
		Note: "Uploads, documents, course media and certificate files. While it is down those pages answer 503; everything else works."}
	if err := h.Media.Ping(ctx); err != nil {
		store.State, store.OK = "unreachable", false
		h.Log.Warn("status: media store", "err", err)
	}
	p := h.page(c, "Status")
	p.Data = append(comps, store)
	return h.Render.Render(c, 200, "status", p)
}
