package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

// TOTPBeginRequest names the account that enrols an authenticator (staff must, before their first
// token; candidates may).
type TOTPBeginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// TOTPEnrolment is a pending authenticator secret.
type TOTPEnrolment struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
}

// TOTPConfirmRequest confirms the enrolment with a code from the authenticator.
type TOTPConfirmRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Code     string `json:"code"`
}

// RecoveryCodes are shown once, when two-factor sign-in is enabled.
type RecoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (h *Handlers) totpBegin(c *fiber.Ctx) error {
	var in TOTPBeginRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, err := h.Accounts.Authenticate(c.UserContext(), httpx.Actor(c), in.Email, in.Password)
	if err != nil {
		return err
	}
	enr, err := h.Accounts.BeginTOTP(c.UserContext(), u)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), TOTPEnrolment{Secret: enr.Secret, OTPAuthURL: enr.URL})
}

func (h *Handlers) totpConfirm(c *fiber.Ctx) error {
	var in TOTPConfirmRequest
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, err := h.Accounts.Authenticate(c.UserContext(), httpx.Actor(c), in.Email, in.Password)
	if err != nil {
		return err
	}
	codes, err := h.Accounts.ConfirmTOTP(c.UserContext(), httpx.Actor(c), u, in.Code)
	if err != nil {
		return err
	}
	return writeJSON(c.Status(fiber.StatusCreated), RecoveryCodes{RecoveryCodes: codes})
}

// tokenError points staff who have not enrolled an authenticator at the API's enrolment.
func tokenError(err error) error {
	if e, ok := apperr.As(err); ok && e.Code == "mfa_setup_required" {
		return apperr.New(apperr.Forbidden, "mfa_setup_required", "This account must set up two-factor sign-in first: POST "+Prefix+"/auth/totp, then POST "+Prefix+"/auth/totp/confirm with a code, then sign in with totp_code.")
	}
	return err
}

// AcceptInvitation sets up an invited staff account with the emailed token.
type AcceptInvitation struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (h *Handlers) acceptInvitation(c *fiber.Ctx) error {
	var in AcceptInvitation
	if err := httpx.DecodeJSON(c, &in); err != nil {
		return err
	}
	u, err := h.Accounts.AcceptInvite(c.UserContext(), httpx.Actor(c), in.Token, in.Name, in.Password)
	if err != nil {
		return err
	}
	return writeJSON(c, userView(u))
}
