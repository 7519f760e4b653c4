// Package urls builds the public addresses the application sends out (in email, on certificates, in
// credentials) from the configured base URL, so that each path is written in one place.
package urls

import "strings"

// Base is the public base URL ("https://academy.example.org"); a trailing slash is ignored.
type Base string

// To is the public address of a path beginning with "/".
func (b Base) To(path string) string { return strings.TrimRight(string(b), "/") + path }

// Home is the site's own address, the base URL without a trailing slash.
func (b Base) Home() string { return b.To("") }

func (b Base) Login() string          { return b.To("/login") }
func (b Base) ForgotPassword() string { return b.To("/password/forgot") }
func (b Base) Learn() string          { return b.To("/learn") }
func (b Base) AccountData() string    { return b.To("/account/data") }

// The links that carry a one-time token.
func (b Base) VerifyEmail(token string) string   { return b.To("/verify-email?token=" + token) }
func (b Base) ResetPassword(token string) string { return b.To("/password/reset?token=" + token) }
func (b Base) Invite(token string) string        { return b.To("/invite?token=" + token) }
func (b Base) Setup(token string) string         { return b.To("/setup?token=" + token) }

func (b Base) Application(id string) string { return b.To("/applications/" + id) }
func (b Base) Certificate(id string) string { return b.To("/certificates/" + id) }

// Verify is the public verification page of a certificate's verify code (printed as a QR code).
func (b Base) Verify(code string) string { return b.To("/verify/" + code) }

// Credential is the public description of an achievement (Open Badges).
func (b Base) Credential(slug string) string { return b.To("/credentials/" + slug) }

// OralFeed is an examiner's private calendar feed of oral-exam slots (the token is the credential).
func (b Base) OralFeed(token string) string { return b.To("/oral/feed/" + token + ".ics") }

// StatusList is a vendor's published status list for a purpose ("revocation").
func (b Base) StatusList(vendorSlug, purpose string) string {
	return b.To("/status/" + vendorSlug + "/" + purpose)
}
