package web

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/media"
)

// ---- vendor logo: an uploaded file served only through this authorising handler ----

const maxLogoBytes = 2 << 20

func logoKey(vendorID string) string { return account.LogoKey(vendorID) }

func (h *Handlers) uploadLogo(c *fiber.Ctx) error {
	u := httpx.User(c)
	fh, err := c.FormFile("logo")
	if err != nil {
		p := h.page(c, "Organisation")
		p.Errors["logo"] = "Choose a PNG or JPEG file to upload."
		p.ErrorSummary = p.Errors["logo"]
		return h.vendorPage(c, u.Vendor(), p, fiber.StatusUnprocessableEntity)
	}
	if fh.Size > maxLogoBytes {
		return apperr.New(apperr.TooLarge, "too_large", "The logo is larger than 2 MB. Choose a smaller image.")
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := h.Media.Put(c.UserContext(), logoKey(u.Vendor()), f, media.PutOptions{MaxSize: maxLogoBytes, AllowedTypes: []string{"image/png", "image/jpeg"}}); err != nil {
		return mediaErr(err, "logo", "The logo must be a PNG or JPEG image.")
	}
	if err := h.Audit.Record(c.UserContext(), httpx.Actor(c), audit.Entry{Action: "vendor.logo_upload", SubjectType: "vendor", SubjectID: u.Vendor(), VendorID: u.Vendor()}); err != nil {
		return err
	}
	h.flash(c, "success", "The logo was uploaded.")
	return c.Redirect("/vendor", fiber.StatusSeeOther)
}

// mediaErr turns media store refusals into messages a person understands.
func mediaErr(err error, field, typeMsg string) error {
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return apperr.New(apperr.TooLarge, "too_large", "The file is too large.")
	case errors.Is(err, media.ErrTypeNotAllowed):
		return &apperr.Error{Kind: apperr.Unsupported, Code: "unsupported_type", Message: typeMsg, Fields: map[string]string{field: typeMsg}}
	case errors.Is(err, media.ErrEmpty):
		return apperr.Field(field, "The file is empty.")
	}
	return err
}

// vendorLogo streams a vendor's logo to its own staff and platform admins.
func (h *Handlers) vendorLogo(c *fiber.Ctx) error {
	u := httpx.User(c)
	id := c.Params("id")
	if u.Role != account.RolePlatformAdmin && u.Vendor() != id {
		return apperr.New(apperr.NotFound, "not_found", "We could not find that file.")
	}
	return ServeMedia(c, h.Media, logoKey(id))
}

// ServeMedia streams an object with HTTP range support. Call it only after checking permission.
func ServeMedia(c *fiber.Ctx, store media.Store, key string) error {
	return serveMedia(c, store, key, "private, max-age=300")
}

func serveMedia(c *fiber.Ctx, store media.Store, key, cacheControl string) error {
	obj, err := store.Stat(c.UserContext(), key)
	if err != nil {
		if errors.Is(err, media.ErrNotFound) || errors.Is(err, media.ErrBadKey) {
			return apperr.New(apperr.NotFound, "not_found", "We could not find that file.")
		}
		return err
	}
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, cacheControl)
	c.Set(fiber.HeaderETag, `"`+obj.ETag+`"`)
	c.Set(fiber.HeaderContentType, obj.ContentType)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && inm == `"`+obj.ETag+`"` {
		return c.SendStatus(fiber.StatusNotModified)
	}
	offset, length, partial, err := media.ParseRange(c.Get(fiber.HeaderRange), obj.Size)
	if err != nil {
		c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(obj.Size, 10))
		return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
	}
	if !partial {
		offset, length = 0, obj.Size
	}
	rc, _, err := store.Get(c.UserContext(), key, offset, length)
	if err != nil {
		return err
	}
	if partial {
		c.Status(fiber.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, "bytes "+strconv.FormatInt(offset, 10)+"-"+strconv.FormatInt(offset+length-1, 10)+"/"+strconv.FormatInt(obj.Size, 10))
	}
	return c.SendStream(rc, int(length))
}
