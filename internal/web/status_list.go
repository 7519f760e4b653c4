package web

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/certificate"
)

// statusList publishes a vendor's signed revocation list (a W3C Bitstring Status List credential as
// a compact JWS). It is built from the database on each request, so a revocation shows at once; the
// cache time matches the list's ttl, and the ETag (a hash of the signed bytes, which only change when
// a bit or the key does) lets verifiers revalidate cheaply. Anyone may read it, from any origin.
func (h *Handlers) statusList(c *fiber.Ctx) error {
	l, err := h.Certificates.StatusList(c.UserContext(), c.Params("vendor"))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(l.JWS)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "public, max-age="+strconv.Itoa(int(certificate.StatusListTTL.Seconds())))
	c.Set(fiber.HeaderLastModified, l.ChangedAt.UTC().Format(http.TimeFormat))
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	for _, t := range strings.Split(c.Get(fiber.HeaderIfNoneMatch), ",") {
		if t = strings.TrimSpace(t); t == etag || t == "W/"+etag || t == "*" {
			return c.SendStatus(fiber.StatusNotModified)
		}
	}
	c.Set(fiber.HeaderContentType, "application/vc+jwt")
	return c.Send(l.JWS)
}

// achievement describes what a credential attests, at the address that is the credential's
// achievement.id: JSON (an Open Badges 3.0 Achievement) for machines, a page for people.
func (h *Handlers) achievement(c *fiber.Ctx) error {
	a, err := h.Certificates.Achievement(c.Params("slug"))
	if err != nil {
		return err
	}
	c.Vary(fiber.HeaderAccept)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	c.Set(fiber.HeaderAccessControlAllowOrigin, "*")
	switch c.Accepts("text/html", "application/ld+json", "application/json") {
	case "application/ld+json", "application/json":
		return c.JSON(a)
	}
	p := h.page(c, a.Name)
	p.Data = map[string]any{"Achievement": a}
	return h.Render.Render(c, fiber.StatusOK, "achievement", p)
}
