package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/notify"
)

// MailList is a page of captured mail.
type MailList struct {
	Messages []notify.Message `json:"messages"`
	Total    int              `json:"total"`
	Paging
}

func (h *Handlers) mail(c *fiber.Ctx) error {
	if !h.DevMail {
		return apperr.New(apperr.NotFound, "not_found", "Mail is sent over SMTP; nothing is captured.")
	}
	if c.Query("offset") != "" && c.Query("cursor") == "" {
		// Offset paging, as before cursors (kept for earlier clients): 50 a page.
		offset, err := strconv.Atoi(c.Query("offset"))
		if err != nil || offset < 0 {
			return apperr.New(apperr.BadRequest, "bad_paging", "offset must be 0 or more.")
		}
		ms, total, err := h.Mailbox.List(c.UserContext(), c.Query("to"), 50, offset)
		if err != nil {
			return err
		}
		if ms == nil {
			ms = []notify.Message{}
		}
		return writeJSON(c, MailList{Messages: ms, Total: total})
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, total, err := h.Mailbox.ListPage(c.UserContext(), c.Query("to"), r)
	if err != nil {
		return err
	}
	return writeJSON(c, MailList{Messages: p.Items, Total: total, Paging: paging(c, p.Next)})
}
