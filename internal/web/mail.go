package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
)

// ---- captured mail (development mode) ----

func (h *Handlers) mail(c *fiber.Ctx) error {
	if !h.DevMail {
		return apperr.New(apperr.NotFound, "not_found", "Mail is sent over SMTP; there is no captured mail to show.")
	}
	offset, _ := strconv.Atoi(c.Query("offset"))
	offset = max(offset, 0)
	ms, total, err := h.Mailbox.List(c.UserContext(), "", 50, offset)
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
	m, err := h.Mailbox.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return apperr.New(apperr.NotFound, "not_found", "We could not find that message.")
	}
	p := h.page(c, m.Subject)
	p.Data = m
	return h.Render.Render(c, 200, "mail_message", p)
}
