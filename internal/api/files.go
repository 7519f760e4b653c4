package api

import (
	"io"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/httpx"
)

// sendFile sends b as a download of type ct.
func sendFile(c *fiber.Ctx, ct, filename string, b []byte) error {
	c.Set(fiber.HeaderContentType, ct)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	return c.Send(b)
}

func (h *Handlers) certificatePDF(c *fiber.Ctx) error {
	rc, err := h.Certificates.PDF(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	return sendFile(c, "application/pdf", "certificate.pdf", b)
}

func (h *Handlers) completionRecord(c *fiber.Ctx) error {
	b, err := h.Certificates.CompletionRecord(c.UserContext(), httpx.User(c), c.Params("id"))
	if err != nil {
		return err
	}
	return sendFile(c, "application/pdf", "training-completion-record.pdf", b)
}

func (h *Handlers) certificatesCSV(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="certificates.csv"`)
	return h.Certificates.ExportCSV(c.UserContext(), httpx.User(c), c.Response().BodyWriter())
}

func (h *Handlers) reportCSV(c *fiber.Ctx) error {
	rep, err := h.Reports.ForVendor(c.UserContext(), httpx.User(c).Vendor())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="dashboard.csv"`)
	return rep.CSV(c.Response().BodyWriter())
}
