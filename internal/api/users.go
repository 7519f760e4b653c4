package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/page"
)

// UserView is a user as the API shows it.
type UserView struct {
	ID            string     `json:"id"`
	Email         string     `json:"email"`
	Name          string     `json:"name"`
	Role          string     `json:"role"`
	VendorID      *string    `json:"vendor_id,omitempty"`
	EmailVerified bool       `json:"email_verified"`
	MFAEnabled    bool       `json:"mfa_enabled"`
	Disabled      bool       `json:"disabled"`
	CreatedAt     time.Time  `json:"created_at"`
	DisabledAt    *time.Time `json:"disabled_at,omitempty"`
}

func userView(u *account.User) UserView {
	return UserView{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, VendorID: u.VendorID, EmailVerified: u.EmailVerifiedAt != nil,
		MFAEnabled: u.MFAEnabled(), Disabled: u.DisabledAt != nil, CreatedAt: u.CreatedAt, DisabledAt: u.DisabledAt}
}

// InviteRequest invites staff.
type InviteRequest struct {
	Email    string `json:"email"`
	Role     string `json:"role"`
	VendorID string `json:"vendor_id,omitempty"`
}

// UserList is a page of users.
type UserList struct {
	Users  []UserView `json:"users"`
	Total  int        `json:"total"`
	Limit  int        `json:"limit"`
	Offset int        `json:"offset"`
	Paging
}

func (h *Handlers) invite(c *fiber.Ctx) error {
	var in InviteRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Accounts.Invite(c.UserContext(), httpx.Actor(c), httpx.User(c), account.InviteInput(in)); err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusAccepted), MessageResponse{Message: "Invitation sent."})
}

func (h *Handlers) listUsers(c *fiber.Ctx) error {
	f := account.UserFilter{Query: c.Query("q"), Role: c.Query("role"), VendorID: c.Query("vendor_id")}
	out := UserList{}
	var us []account.User
	if legacy, limit, offset, err := offsetPaging(c); err != nil {
		return err
	} else if legacy {
		f.Limit, f.Offset = limit, offset
		if us, out.Total, err = h.Accounts.ListUsers(c.UserContext(), httpx.User(c), f); err != nil {
			return err
		}
		out.Limit, out.Offset = limit, offset
	} else {
		r, err := pageRequest(c)
		if err != nil {
			return err
		}
		p, total, err := h.Accounts.UsersPage(c.UserContext(), httpx.User(c), f, r)
		if err != nil {
			return err
		}
		us, out.Total, out.Limit, out.Paging = p.Items, total, len(p.Items), paging(c, p.Next)
		if r.Limit > 0 {
			out.Limit = r.Limit
		} else {
			out.Limit = page.DefaultLimit
		}
	}
	out.Users = make([]UserView, 0, len(us))
	for i := range us {
		out.Users = append(out.Users, userView(&us[i]))
	}
	return writeJSON(c, out)
}

func (h *Handlers) setDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := h.Accounts.SetDisabled(c.UserContext(), httpx.Actor(c), httpx.User(c), c.Params("id"), disabled); err != nil {
			return err
		}
		u, err := h.Accounts.UserByID(c.UserContext(), c.Params("id"))
		if err != nil {
			return err
		}
		return writeJSON(c, userView(u))
	}
}
