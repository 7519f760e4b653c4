package web

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/csvsafe"
)

// csvDownload starts a CSV download named filename: UTF-8 with a byte-order mark, so that the file
// opens correctly when double-clicked into a spreadsheet. The caller writes the rows after it.
func csvDownload(c *fiber.Ctx, filename string) {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	_, _ = c.Response().BodyWriter().Write([]byte(csvsafe.BOM))
}
