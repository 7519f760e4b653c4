package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

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
