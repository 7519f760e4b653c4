package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/privacy"
)

// ExportList is the caller's "download my data" requests, newest first.
type ExportList struct {
	Exports []privacy.Export `json:"exports"`
	Next    string           `json:"next,omitempty"`
	Paging
}

// DeleteAccountRequest confirms deleting the caller's account.
type DeleteAccountRequest struct {
	Password string `json:"password"`
}

func (h *Handlers) requestExport(c *fiber.Ctx) error {
	e, err := h.Privacy.RequestExport(c.UserContext(), httpx.Actor(c), httpx.User(c))
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusAccepted), e)
}

func (h *Handlers) listExports(c *fiber.Ctx) error {
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, err := h.Privacy.ExportsPage(c.UserContext(), httpx.User(c), r)
	if err != nil {
		return err
	}
	return writeJSON(c, ExportList{Exports: p.Items, Next: p.Next, Paging: paging(c, p.Next)})
}

func (h *Handlers) downloadExport(c *fiber.Ctx) error {
	rc, size, err := h.Privacy.Download(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return httpx.SendPrivateFile(c, rc, size, "application/zip", "peeracademy-my-data.zip")
}

func (h *Handlers) deleteAccount(c *fiber.Ctx) error {
	var in DeleteAccountRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Privacy.DeleteAccount(c.UserContext(), httpx.Actor(c), httpx.User(c), in.Password, nil); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
