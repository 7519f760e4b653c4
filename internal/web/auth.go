package web

import (
	"errors"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/httpx"
)

func (h *Handlers) home(c *fiber.Ctx) error {
	if httpx.User(c) != nil {
		return c.Redirect("/dashboard", fiber.StatusSeeOther)
	}
	return h.Render.Render(c, 200, "home", h.page(c, "Certified Peer Specialist training"))
}

func (h *Handlers) privacy(c *fiber.Ctx) error {
	return h.Render.Render(c, 200, "privacy", h.page(c, "Privacy"))
}

// ---- registration and email verification ----

func (h *Handlers) registerForm(c *fiber.Ctx) error {
	return h.Render.Render(c, 200, "register", h.page(c, "Create an account"))
}

func (h *Handlers) register(c *fiber.Ctx) error {
	in := account.RegisterInput{Email: c.FormValue("email"), Name: c.FormValue("name"), Password: c.FormValue("password")}
	if err := h.Accounts.Register(c.UserContext(), httpx.Actor(c), in); err != nil {
		p := h.page(c, "Create an account")
		if err := withErr(p, err, formMap(c, "email", "name")); err != nil {
			return err
		}
		return h.Render.Render(c, fiber.StatusUnprocessableEntity, "register", p)
	}
	return h.message(c, "Check your email", []string{
		"We have sent a link to " + account.NormalizeEmail(in.Email) + ". Open it to confirm your address, then sign in.",
		"No email after a few minutes? Check your spam folder. The link works for 48 hours.",
	}, "/login", "Go to sign in")
}

func (h *Handlers) verifyEmail(c *fiber.Ctx) error {
	if _, err := h.Accounts.VerifyEmail(c.UserContext(), httpx.Actor(c), c.Query("token")); err != nil {
		return err
	}
	h.flash(c, "success", "Your email address is confirmed. You can sign in now.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// ---- sign-in ----

func (h *Handlers) loginForm(c *fiber.Ctx) error {
	if httpx.User(c) != nil {
		return c.Redirect("/dashboard", fiber.StatusSeeOther)
	}
	p := h.page(c, "Sign in")
	p.Form["next"] = c.Query("next")
	return h.Render.Render(c, 200, "login", p)
}

func (h *Handlers) login(c *fiber.Ctx) error {
	a := httpx.Actor(c)
	u, err := h.Accounts.Authenticate(c.UserContext(), a, c.FormValue("email"), c.FormValue("password"))
	if err != nil {
		p := h.page(c, "Sign in")
		status := fiber.StatusUnauthorized
		if errors.Is(err, account.ErrThrottled) {
			status = fiber.StatusTooManyRequests
			httpx.SetRetryAfter(c, err)
			p.Form["email"], p.Form["next"], p.ErrorSummary = c.FormValue("email"), c.FormValue("next"), account.ErrThrottled.Message
		} else if err := withErr(p, err, formMap(c, "email", "next")); err != nil {
			return err
		}
		return h.Render.Render(c, status, "login", p)
	}
	// A new session id at every sign-in; the old one (if any) is ended.
	if old := c.Cookies(sessionCookie); old != "" {
		_ = h.Accounts.EndSession(c.UserContext(), a, old)
	}
	token, sess, err := h.Accounts.StartSession(c.UserContext(), a, u, account.KindWeb, c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	h.setSession(c, token)
	switch sess.Stage {
	case account.StageMFA:
		return c.Redirect("/login/mfa?next="+url.QueryEscape(c.FormValue("next")), fiber.StatusSeeOther)
	case account.StageMFASetup:
		return c.Redirect("/account/mfa", fiber.StatusSeeOther)
	}
	return c.Redirect(safeNext(c.FormValue("next")), fiber.StatusSeeOther)
}

func (h *Handlers) mfaForm(c *fiber.Ctx) error {
	if s := httpx.Session(c); s == nil || s.Stage != account.StageMFA {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	return h.Render.Render(c, 200, "mfa", h.page(c, "Two-factor sign-in"))
}

func (h *Handlers) mfa(c *fiber.Ctx) error {
	s, u := httpx.Session(c), pendingUser(c)
	if s == nil || s.Stage != account.StageMFA || u == nil {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	a := httpx.Actor(c)
	a.UserID, a.Role, a.VendorID = u.ID, u.Role, u.Vendor()
	if err := h.Accounts.VerifySecondFactor(c.UserContext(), a, u, c.FormValue("code")); err != nil {
		p := h.page(c, "Two-factor sign-in")
		if err := withErr(p, err, nil); err != nil {
			return err
		}
		return h.Render.Render(c, fiber.StatusUnprocessableEntity, "mfa", p)
	}
	token, err := h.Accounts.CompleteSignIn(c.UserContext(), a, c.Cookies(sessionCookie), u, c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	h.setSession(c, token)
	return c.Redirect(safeNext(c.Query("next")), fiber.StatusSeeOther)
}

// mfaSetupUser is the user enrolling an authenticator: fully signed in (optional for candidates) or
// held at the mfa_setup stage (required for staff and admins).
func mfaSetupUser(c *fiber.Ctx) *account.User {
	if u := httpx.User(c); u != nil {
		return u
	}
	if s := httpx.Session(c); s != nil && s.Stage == account.StageMFASetup {
		return pendingUser(c)
	}
	return nil
}

func (h *Handlers) mfaSetupForm(c *fiber.Ctx) error {
	u := mfaSetupUser(c)
	if u == nil {
		return c.Redirect("/login?next=/account/mfa", fiber.StatusSeeOther)
	}
	enr, err := h.Accounts.BeginTOTP(c.UserContext(), u)
	if err != nil {
		return err
	}
	p := h.page(c, "Set up two-factor sign-in")
	p.Data = map[string]any{"Enrolment": enr, "Required": httpx.User(c) == nil}
	return h.Render.Render(c, 200, "mfa_setup", p)
}

func (h *Handlers) mfaSetup(c *fiber.Ctx) error {
	u := mfaSetupUser(c)
	if u == nil {
		return c.Redirect("/login?next=/account/mfa", fiber.StatusSeeOther)
	}
	a := httpx.Actor(c)
	a.UserID, a.Role, a.VendorID = u.ID, u.Role, u.Vendor()
	codes, err := h.Accounts.ConfirmTOTP(c.UserContext(), a, u, c.FormValue("code"))
	if err != nil {
		enr, err2 := h.Accounts.BeginTOTP(c.UserContext(), u)
		if err2 != nil {
			return err
		}
		p := h.page(c, "Set up two-factor sign-in")
		p.Data = map[string]any{"Enrolment": enr, "Required": httpx.User(c) == nil}
		if err := withErr(p, err, nil); err != nil {
			return err
		}
		return h.Render.Render(c, fiber.StatusUnprocessableEntity, "mfa_setup", p)
	}
	// Privilege changed: replace the session with a fully signed-in one under a new id.
	token, err := h.Accounts.CompleteSignIn(c.UserContext(), a, c.Cookies(sessionCookie), u, c.Get(fiber.HeaderUserAgent))
	if err != nil {
		return err
	}
	h.setSession(c, token)
	c.Locals(httpx.LocalUser, u)
	p := h.page(c, "Save your recovery codes")
	p.Data = codes
	return h.Render.Render(c, 200, "recovery_codes", p)
}

func (h *Handlers) logout(c *fiber.Ctx) error {
	if tok := c.Cookies(sessionCookie); tok != "" {
		if err := h.Accounts.EndSession(c.UserContext(), httpx.Actor(c), tok); err != nil {
			return err
		}
	}
	h.clearSession(c)
	h.flash(c, "success", "You have signed out.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// ---- password reset ----

func (h *Handlers) forgotForm(c *fiber.Ctx) error {
	return h.Render.Render(c, 200, "forgot", h.page(c, "Reset your password"))
}

func (h *Handlers) forgot(c *fiber.Ctx) error {
	if err := h.Accounts.RequestPasswordReset(c.UserContext(), httpx.Actor(c), c.FormValue("email")); err != nil {
		p := h.page(c, "Reset your password")
		if err := withErr(p, err, formMap(c, "email")); err != nil {
			return err
		}
		return h.Render.Render(c, fiber.StatusUnprocessableEntity, "forgot", p)
	}
	return h.message(c, "Check your email", []string{
		"If an account uses that address, we have sent it a link to choose a new password. The link works once, for one hour.",
	}, "/login", "Back to sign in")
}

func (h *Handlers) resetForm(c *fiber.Ctx) error {
	tok := c.Query("token")
	if err := h.Accounts.CheckResetToken(c.UserContext(), tok); err != nil {
		return err
	}
	p := h.page(c, "Choose a new password")
	p.Form["token"] = tok
	return h.Render.Render(c, 200, "reset", p)
}

func (h *Handlers) reset(c *fiber.Ctx) error {
	tok := c.FormValue("token")
	if err := h.Accounts.ResetPassword(c.UserContext(), httpx.Actor(c), tok, c.FormValue("password")); err != nil {
		if err == account.ErrTokenInvalid {
			return err
		}
		p := h.page(c, "Choose a new password")
		if err := withErr(p, err, formMap(c, "token")); err != nil {
			return err
		}
		return h.Render.Render(c, fiber.StatusUnprocessableEntity, "reset", p)
	}
	h.flash(c, "success", "Your password is changed, and every other session has been signed out. Sign in with the new password.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// ---- first admin and staff invitations ----

func (h *Handlers) setupForm(c *fiber.Ctx) error {
	tok := c.Query("token")
	if err := h.Accounts.CheckSetupToken(c.UserContext(), tok); err != nil {
		return err
	}
	p := h.page(c, "Set up PeerAcademy")
	p.Form["token"] = tok
	return h.Render.Render(c, 200, "setup", p)
}

func (h *Handlers) setup(c *fiber.Ctx) error {
	tok := c.FormValue("token")
	in := account.RegisterInput{Email: c.FormValue("email"), Name: c.FormValue("name"), Password: c.FormValue("password")}
	if _, err := h.Accounts.CompleteSetup(c.UserContext(), httpx.Actor(c), tok, in); err != nil {
		if err == account.ErrTokenInvalid {
			return err
		}
		p := h.page(c, "Set up PeerAcademy")
		if err := withErr(p, err, formMap(c, "token", "email", "name")); err != nil {
			return err
		}
		return h.Render.Render(c, fiber.StatusUnprocessableEntity, "setup", p)
	}
	h.flash(c, "success", "The administrator account is ready. Sign in to set up two-factor sign-in.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (h *Handlers) inviteForm(c *fiber.Ctx) error {
	tok := c.Query("token")
	inv, err := h.Accounts.CheckInvite(c.UserContext(), tok)
	if err != nil {
		return err
	}
	p := h.page(c, "Accept your invitation")
	p.Form["token"] = tok
	p.Data = inv
	return h.Render.Render(c, 200, "invite", p)
}

func (h *Handlers) acceptInvite(c *fiber.Ctx) error {
	tok := c.FormValue("token")
	inv, err := h.Accounts.CheckInvite(c.UserContext(), tok)
	if err != nil {
		return err
	}
	if _, err := h.Accounts.AcceptInvite(c.UserContext(), httpx.Actor(c), tok, c.FormValue("name"), c.FormValue("password")); err != nil {
		p := h.page(c, "Accept your invitation")
		p.Data = inv
		if err := withErr(p, err, formMap(c, "token", "name")); err != nil {
			return err
		}
		return h.Render.Render(c, fiber.StatusUnprocessableEntity, "invite", p)
	}
	h.flash(c, "success", "Your account is ready. Sign in, then set up two-factor sign-in.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// ---- account ----

func (h *Handlers) accountPage(c *fiber.Ctx) error {
	u := httpx.User(c)
	n, err := h.Accounts.RemainingRecoveryCodes(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	p := h.page(c, "Your account")
	p.Data = map[string]any{"RecoveryLeft": n}
	return h.Render.Render(c, 200, "account", p)
}

func (h *Handlers) endAllSessions(c *fiber.Ctx) error {
	u := httpx.User(c)
	if err := h.Accounts.SignOutEverywhere(c.UserContext(), u.ID); err != nil {
		return err
	}
	h.clearSession(c)
	h.flash(c, "success", "You have been signed out on every device.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}
