package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// VendorRequest creates a vendor.
type VendorRequest struct {
	Name         string `json:"name"`
	Slug         string `json:"slug"`
	Timezone     string `json:"timezone,omitempty"`
	ContactEmail string `json:"contact_email,omitempty"`
}

// RecognitionRequest sets a vendor's recognition.
type RecognitionRequest struct {
	Recognised bool `json:"recognised"`
}

// VendorList lists vendors.
type VendorList struct {
	Vendors []account.Vendor `json:"vendors"`
	Next    string           `json:"next,omitempty"`
	Paging
}

func (h *Handlers) listVendors(c *fiber.Ctx) error {
	onlyRecognised := true
	if u := httpx.User(c); u.Role == account.RolePlatformAdmin {
		onlyRecognised = false
	}
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	p, err := h.Accounts.VendorsPage(c.UserContext(), onlyRecognised, r)
	if err != nil {
		return err
	}
	return writeJSON(c, VendorList{Vendors: p.Items, Next: p.Next, Paging: paging(c, p.Next)})
}

func (h *Handlers) createVendor(c *fiber.Ctx) error {
	var in VendorRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	v, err := h.Accounts.CreateVendor(c.UserContext(), httpx.Actor(c), account.VendorInput(in))
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), v)
}

func (h *Handlers) setRecognition(c *fiber.Ctx) error {
	var in RecognitionRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	v, err := h.Accounts.SetRecognised(c.UserContext(), httpx.Actor(c), c.Params("id"), in.Recognised)
	if err != nil {
		return err
	}
	return writeJSON(c, v)
}
