// Package account owns users, roles, vendors, sign-in, sessions, two-factor authentication,
// single-use email tokens and sign-in throttling. It knows nothing of HTTP.
package account

import (
	"time"

	"github.com/uptrace/bun"
)

// Roles a user can hold.
const (
	RoleCandidate     = "candidate"
	RoleTrainer       = "trainer"
	RoleVendorAdmin   = "vendor_admin"
	RolePlatformAdmin = "platform_admin"
)

// Roles lists every role, least privileged first.
var Roles = []string{RoleCandidate, RoleTrainer, RoleVendorAdmin, RolePlatformAdmin}

// RoleLabel is the human name of a role.
func RoleLabel(r string) string {
	switch r {
	case RoleCandidate:
		return "Candidate"
	case RoleTrainer:
		return "Trainer"
	case RoleVendorAdmin:
		return "Vendor administrator"
	case RolePlatformAdmin:
		return "Platform administrator"
	}
	return r
}

// User is an account.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID              string     `bun:"id,pk" json:"id"`
	Email           string     `bun:"email,notnull" json:"email"`
	Name            string     `bun:"name,notnull" json:"name"`
	Role            string     `bun:"role,notnull" json:"role"`
	VendorID        *string    `bun:"vendor_id" json:"vendor_id,omitempty"`
	PasswordHash    string     `bun:"password_hash,notnull" json:"-"`
	EmailVerifiedAt *time.Time `bun:"email_verified_at" json:"email_verified_at,omitempty"`
	DisabledAt      *time.Time `bun:"disabled_at" json:"disabled_at,omitempty"`
	TOTPSecret      string     `bun:"totp_secret,notnull" json:"-"`
	TOTPEnabledAt   *time.Time `bun:"totp_enabled_at" json:"totp_enabled_at,omitempty"`
	TOTPLastStep    int64      `bun:"totp_last_step,notnull" json:"-"`
	CreatedAt       time.Time  `bun:"created_at,notnull" json:"created_at"`
	UpdatedAt       time.Time  `bun:"updated_at,notnull" json:"updated_at"`
}

// MFARequired reports whether the role must use two-factor sign-in.
func (u *User) MFARequired() bool { return u.Role != RoleCandidate }

// MFAEnabled reports whether the user has confirmed an authenticator.
func (u *User) MFAEnabled() bool { return u.TOTPEnabledAt != nil }

// Vendor returns the user's vendor id, or "".
func (u *User) Vendor() string {
	if u.VendorID == nil {
		return ""
	}
	return *u.VendorID
}

// IsStaff reports whether the user works for a vendor.
func (u *User) IsStaff() bool { return u.Role == RoleTrainer || u.Role == RoleVendorAdmin }

// Vendor is a training organisation. Only a recognised vendor may train and certify.
type Vendor struct {
	bun.BaseModel `bun:"table:vendors"`

	ID           string     `bun:"id,pk" json:"id"`
	Name         string     `bun:"name,notnull" json:"name"`
	Slug         string     `bun:"slug,notnull" json:"slug"`
	Timezone     string     `bun:"timezone,notnull" json:"timezone"`
	ContactEmail string     `bun:"contact_email,notnull" json:"contact_email"`
	RecognisedAt *time.Time `bun:"recognised_at" json:"recognised_at,omitempty"`
	RecognisedBy *string    `bun:"recognised_by" json:"-"`
	CreatedAt    time.Time  `bun:"created_at,notnull" json:"created_at"`
}

// Recognised reports whether the platform admin has recognised the vendor.
func (v *Vendor) Recognised() bool { return v.RecognisedAt != nil }

// Session is a signed-in browser or an API token. The id is the SHA-256 of the secret token.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID         string    `bun:"id,pk"`
	UserID     string    `bun:"user_id,notnull"`
	Kind       string    `bun:"kind,notnull"`
	Stage      string    `bun:"stage,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	LastSeenAt time.Time `bun:"last_seen_at,notnull"`
	ExpiresAt  time.Time `bun:"expires_at,notnull"`
	IP         string    `bun:"ip,notnull"`
	UserAgent  string    `bun:"user_agent,notnull"`

	User *User `bun:"rel:belongs-to,join:user_id=id"`
}

// Session kinds and stages.
const (
	KindWeb = "web"
	KindAPI = "api"

	StageFull     = "full"      // signed in
	StageMFA      = "mfa"       // password accepted, waiting for the authenticator code
	StageMFASetup = "mfa_setup" // password accepted, must enrol an authenticator before anything else
)

// Token is a single-use emailed token (verify email, reset password, invitation, first-admin setup).
type Token struct {
	bun.BaseModel `bun:"table:user_tokens"`

	ID        string     `bun:"id,pk"`
	Purpose   string     `bun:"purpose,notnull"`
	UserID    *string    `bun:"user_id"`
	Email     string     `bun:"email,notnull"`
	VendorID  *string    `bun:"vendor_id"`
	Role      string     `bun:"role,notnull"`
	CreatedBy *string    `bun:"created_by"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	UsedAt    *time.Time `bun:"used_at"`
}

// Token purposes.
const (
	PurposeVerifyEmail   = "verify_email"
	PurposeResetPassword = "reset_password"
	PurposeInvite        = "invite"
	PurposeSetup         = "setup"
)
