// Package api serves the JSON API under /api/v1. Handlers call the same domain services as the HTML
// pages. Errors use the envelope {"error":{"code","message","fields"}}; the OpenAPI document at
// /api/v1/openapi.json is generated from the same operation list that registers the routes.
package api

import (
	"strconv"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/page"
	"github.com/peeracademy/peeracademy/internal/privacy"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v1"

// Handlers holds what the API needs.
type Handlers struct {
	DB          *bun.DB
	Accounts    *account.Service
	Version     string
	DevMail     bool
	Cohorts     *cohort.Service
	Curriculum  *curriculum.Curriculum
	Eligibility *eligibility.Service
	Media       media.Store
	Exams       *exam.Service
	Oral        *oral.Service

	Certificates *certificate.Service
	CE           *ce.Service
	Privacy      *privacy.Service
	Courses      *catalog.Service
	Now          func() time.Time

	docOnce sync.Once
	doc     *openapi3.T
	docErr  error
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// ---- request and response bodies ----

// TokenRequest signs in over the API.
type TokenRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	TOTPCode string `json:"totp_code,omitempty"`
}

// TokenResponse carries a bearer token.
type TokenResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      UserView  `json:"user"`
}

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

// RegisterRequest creates a candidate account.
type RegisterRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// EmailRequest names an address.
type EmailRequest struct {
	Email string `json:"email"`
}

// TokenOnly carries an emailed token.
type TokenOnly struct {
	Token string `json:"token"`
}

// ResetRequest sets a new password.
type ResetRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// MessageResponse is a plain confirmation.
type MessageResponse struct {
	Message string `json:"message"`
}

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

// AuditList is a page of audit events.
type AuditList struct {
	Events []audit.Event `json:"events"`
	Next   string        `json:"next,omitempty"`
	Paging
}

// MailList is a page of captured mail.
type MailList struct {
	Messages []notify.Message `json:"messages"`
	Total    int              `json:"total"`
	Paging
}

// VendorList lists vendors.
type VendorList struct {
	Vendors []account.Vendor `json:"vendors"`
	Next    string           `json:"next,omitempty"`
	Paging
}

// ---- handlers ----

func (h *Handlers) token(c *fiber.Ctx) error {
	var in TokenRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	secret, sess, u, err := h.Accounts.IssueAPIToken(c.UserContext(), httpx.Actor(c), in.Email, in.Password, in.TOTPCode, c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return tokenError(err)
	}
	return writeJSON(c.Status(fiber.StatusCreated), TokenResponse{Token: secret, ExpiresAt: sess.ExpiresAt, User: userView(u)})
}

func (h *Handlers) revokeToken(c *fiber.Ctx) error {
	tok, _ := c.Locals(httpx.LocalToken).(string)
	if err := h.Accounts.EndSession(c.UserContext(), httpx.Actor(c), tok); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *Handlers) register(c *fiber.Ctx) error {
	var in RegisterRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Accounts.Register(c.UserContext(), httpx.Actor(c), account.RegisterInput(in)); err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusAccepted), MessageResponse{Message: "Check your email for a link to confirm your address."})
}

func (h *Handlers) verifyEmail(c *fiber.Ctx) error {
	var in TokenOnly
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if _, err := h.Accounts.VerifyEmail(c.UserContext(), httpx.Actor(c), in.Token); err != nil {
		return err
	}
	return writeJSON(c, MessageResponse{Message: "Your email address is confirmed."})
}

func (h *Handlers) forgot(c *fiber.Ctx) error {
	var in EmailRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Accounts.RequestPasswordReset(c.UserContext(), httpx.Actor(c), in.Email); err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusAccepted), MessageResponse{Message: "If an account uses that address, a reset link is on its way."})
}

func (h *Handlers) reset(c *fiber.Ctx) error {
	var in ResetRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	if err := h.Accounts.ResetPassword(c.UserContext(), httpx.Actor(c), in.Token, in.Password); err != nil {
		return err
	}
	return writeJSON(c, MessageResponse{Message: "Your password is changed; all sessions were signed out."})
}

func (h *Handlers) me(c *fiber.Ctx) error {
	return writeJSON(c, userView(httpx.User(c)))
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

func (h *Handlers) auditLog(c *fiber.Ctx) error {
	u := httpx.User(c)
	r, err := pageRequest(c)
	if err != nil {
		return err
	}
	f := audit.Filter{Before: c.Query("before"), Action: c.Query("action"), SubjectType: c.Query("subject_type"), SubjectID: c.Query("subject_id")}
	if u.Role == account.RoleVendorAdmin {
		f.VendorID = u.Vendor()
	}
	p, err := audit.ListPage(c.UserContext(), h.DB, f, r)
	if err != nil {
		return err
	}
	out := AuditList{Events: p.Items, Paging: paging(c, p.Next)}
	if p.Next != "" {
		out.Next = p.Items[len(p.Items)-1].ID // the value of before for the next page (earlier clients)
	}
	return writeJSON(c, out)
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
		ms, total, err := notify.List(c.UserContext(), h.DB, c.Query("to"), 50, offset)
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
	p, total, err := notify.ListPage(c.UserContext(), h.DB, c.Query("to"), r)
	if err != nil {
		return err
	}
	return writeJSON(c, MailList{Messages: p.Items, Total: total, Paging: paging(c, p.Next)})
}

// jsonOptions encode like encoding/json, except that nil slices and maps are sent as [] and {}:
// the document promises arrays and objects, never null, for fields that are not pointers.
var jsonOptions = json.JoinOptions(jsonv1.DefaultOptionsV1(), json.FormatNilSliceAsNull(false), json.FormatNilMapAsNull(false))

// writeJSON sends v as the JSON body.
func writeJSON(c *fiber.Ctx, v any) error {
	b, err := json.Marshal(v, jsonOptions)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(b)
}
