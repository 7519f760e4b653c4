package account

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/batch"
	"github.com/peeracademy/peeracademy/internal/cache"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/page"
	"github.com/peeracademy/peeracademy/internal/sealbox"
	"github.com/peeracademy/peeracademy/internal/urls"
)

// Service runs the account rules.
type Service struct {
	DB      *bun.DB
	Outbox  notify.Outbox
	BaseURL string

	SessionIdle     time.Duration
	SessionAbsolute time.Duration
	APITokenTTL     time.Duration

	MaxFailuresPerAccount int
	MaxFailuresPerIP      int
	Throttle              Throttle

	// Hasher bounds the password hashes in flight (nil: unbounded).
	Hasher *Hasher
	// Limits caps the requests that send mail or hash a password, per client address and per
	// recipient, across instances (zero values: no limit).
	Limits Limits

	// Keys seal authenticator secrets at rest; nil stores them in the clear (package tests only).
	Keys *sealbox.Keyring

	sessionCache *cache.Map[*Session] // nil until CacheSessions
	touches      toucher              // idle clocks moved together (touch.go)

	sessionReadsOnce sync.Once
	sessionReadsL    *batch.Loader[string, *Session] // look-ups read together (session_reads.go)
}

// Token lifetimes.
const (
	VerifyTTL = 48 * time.Hour
	ResetTTL  = 1 * time.Hour
	InviteTTL = 7 * 24 * time.Hour
	SetupTTL  = 24 * time.Hour
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// NormalizeEmail lower-cases and trims an address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validateEmail(f apperr.Fields, email string) {
	if email == "" {
		f.Add("email", "Enter your email address.")
		return
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.IndexByte(email, '@')+1:], ".") || len(email) > 254 {
		f.Add("email", "Enter an email address like name@example.org.")
	}
}

func validateName(f apperr.Fields, name string) {
	switch n := len([]rune(name)); {
	case n == 0:
		f.Add("name", "Enter your name.")
	case n > 120:
		f.Add("name", "Use at most 120 characters.")
	}
}

// ---- users ----

// UserByID loads a user.
func (s *Service) UserByID(ctx context.Context, id string) (*User, error) {
	u := new(User)
	if err := s.DB.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "not_found", "No such user.")
		}
		return nil, err
	}
	return u, nil
}

func (s *Service) userByEmail(ctx context.Context, db bun.IDB, email string) (*User, error) {
	u := new(User)
	if err := db.NewSelect().Model(u).Where("email = ?", email).Scan(ctx); err != nil {
		return nil, database.Err(err)
	}
	return u, nil
}

// UserByEmail loads a user by email address (staff tools; never shown to the public).
func (s *Service) UserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := s.userByEmail(ctx, s.DB, NormalizeEmail(email))
	if err != nil {
		if errors.Is(err, database.ErrNotFound) {
			return nil, apperr.New(apperr.NotFound, "not_found", "No such user.")
		}
		return nil, err
	}
	return u, nil
}

// RegisterInput is the candidate self-registration form.
type RegisterInput struct {
	Email    string `json:"email" form:"email"`
	Name     string `json:"name" form:"name"`
	Password string `json:"password" form:"password"`
}

// Register creates a candidate account and emails a verification link. If the address is already
// registered, no account is created and the owner is emailed instead: the response is the same either
// way, because holding an account here hints that a person lives with mental illness.
func (s *Service) Register(ctx context.Context, a audit.Actor, in RegisterInput) error {
	in.Email, in.Name = NormalizeEmail(in.Email), strings.TrimSpace(in.Name)
	f := apperr.Fields{}
	validateEmail(f, in.Email)
	validateName(f, in.Name)
	if err := ValidatePassword(in.Password, in.Email); err != nil {
		e, _ := apperr.As(err)
		f.Add("password", e.Fields["password"])
	}
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.limit(ctx, "register:ip:"+a.IP, s.Limits.RegisterPerHour, time.Hour); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return err
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		existing, err := s.userByEmail(ctx, tx, in.Email)
		if err == nil {
			// At most one such notice per address a day, so registration cannot flood an inbox.
			if n, err := (Throttle{DB: tx, Window: 24 * time.Hour}).Hit(ctx, "notice:register:"+existing.Email); err != nil || n > 1 {
				return err
			}
			return s.mail(ctx, tx, existing.Email, "account_register_exists", map[string]any{"Name": existing.Name, "LoginURL": s.urls().Login(), "ForgotURL": s.urls().ForgotPassword()})
		}
		if !errors.Is(err, database.ErrNotFound) {
			return err
		}
		now := database.Now()
		u := &User{ID: newID(), Email: in.Email, Name: in.Name, Role: RoleCandidate, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				return nil // a concurrent registration of the same address won; same response
			}
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "user.register", SubjectType: "user", SubjectID: u.ID}); err != nil {
			return err
		}
		return s.sendVerification(ctx, tx, u)
	})
}

// Limits caps requests per client address (and per hour) that would otherwise let anyone make the
// service hash passwords or send mail at will. Zero means no limit.
type Limits struct {
	RegisterPerHour    int // registrations per client address
	ResetPerHour       int // password-reset requests per client address
	ConfirmMailPerHour int // confirmation emails re-sent at sign-in, per client address
}

// Confirmation emails re-sent to one unconfirmed account per hour, whatever the address asking.
const confirmMailsPerAccount = 3

// ErrTooManyRequests is returned when a client address has used up a limit.
var ErrTooManyRequests = apperr.New(apperr.TooMany, "too_many_requests", "Too many requests from your address. Please wait a while and try again.")

// limit counts one request against key in windows of the given length and refuses it (429 with
// Retry-After) once over max. max <= 0 means no limit.
func (s *Service) limit(ctx context.Context, key string, max int, window time.Duration) error {
	if max <= 0 {
		return nil
	}
	ok, retry, err := Throttle{DB: s.DB, Window: window}.Take(ctx, key, max)
	if err != nil {
		return err
	}
	if !ok {
		return ErrTooManyRequests.Retry(retry)
	}
	return nil
}

// resendVerification sends a new confirmation link after a correct password for an unconfirmed
// account, within the per-account and per-address allowances (beyond them it quietly sends nothing:
// the earlier links still work).
func (s *Service) resendVerification(ctx context.Context, a audit.Actor, u *User) error {
	if ok, _, err := (Throttle{DB: s.DB, Window: time.Hour}).Take(ctx, "confirm:acct:"+u.ID, confirmMailsPerAccount); err != nil || !ok {
		return err
	}
	if err := s.limit(ctx, "confirm:ip:"+a.IP, s.Limits.ConfirmMailPerHour, time.Hour); err != nil {
		if apperr.Is(err, apperr.TooMany) {
			return nil
		}
		return err
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error { return s.sendVerification(ctx, tx, u) })
}

func (s *Service) sendVerification(ctx context.Context, tx bun.IDB, u *User) error {
	secret, err := issueToken(ctx, tx, &Token{Purpose: PurposeVerifyEmail, UserID: &u.ID, Email: u.Email}, VerifyTTL)
	if err != nil {
		return err
	}
	return s.mail(ctx, tx, u.Email, "account_verify_email", map[string]any{"Name": u.Name, "URL": s.urls().VerifyEmail(secret)})
}

// VerifyEmail consumes a verification token.
func (s *Service) VerifyEmail(ctx context.Context, a audit.Actor, secret string) (*User, error) {
	var u *User
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		t, err := consumeToken(ctx, tx, PurposeVerifyEmail, secret)
		if err != nil {
			return err
		}
		now := database.Now()
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("email_verified_at = ?", now).Set("updated_at = ?", now).
			Where("id = ?", *t.UserID).Where("email_verified_at IS NULL").Exec(ctx); err != nil {
			return err
		}
		u = new(User)
		if err := tx.NewSelect().Model(u).Where("id = ?", *t.UserID).Scan(ctx); err != nil {
			return err
		}
		a.UserID, a.Role = u.ID, u.Role
		return audit.Record(ctx, tx, a, audit.Entry{Action: "user.verify_email", SubjectType: "user", SubjectID: u.ID})
	})
	return u, err
}

// ---- sign-in ----

// ErrBadCredentials is the one message for every failed sign-in, so it reveals no accounts.
var ErrBadCredentials = apperr.New(apperr.Unauthenticated, "bad_credentials", "The email or password is incorrect.")

// ErrThrottled is returned while too many sign-ins have failed.
var ErrThrottled = apperr.New(apperr.TooMany, "too_many_attempts",
	"Too many sign-in attempts. Please wait 15 minutes and try again, or reset your password.")

// ErrUnverified is returned (only after a correct password) when the email is not confirmed yet.
var ErrUnverified = apperr.New(apperr.Forbidden, "email_unverified",
	"Please confirm your email address first. We have sent you a new link.")

// ErrDisabled is returned (only after a correct password) for a disabled account.
var ErrDisabled = apperr.New(apperr.Forbidden, "account_disabled",
	"This account has been disabled. Contact your training organisation.")

// Authenticate checks an email and password, with per-account and per-address throttling. Each
// attempt is counted in the database before the password is checked, and refused once over the limit,
// so guesses sent together cannot all be checked (the count is read and raised in one statement).
// A correct password gives its attempt back.
func (s *Service) Authenticate(ctx context.Context, a audit.Actor, email, password string) (*User, error) {
	email = NormalizeEmail(email)
	acctKey, ipKey := "login:acct:"+email, "login:ip:"+a.IP
	if ok, retry, err := s.Throttle.Take(ctx, acctKey, s.MaxFailuresPerAccount); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrThrottled.Retry(retry)
	}
	if ok, retry, err := s.Throttle.Take(ctx, ipKey, s.MaxFailuresPerIP); err != nil {
		return nil, err
	} else if !ok {
		return nil, ErrThrottled.Retry(retry)
	}
	u, err := s.userByEmail(ctx, s.DB, email)
	if err != nil && !errors.Is(err, database.ErrNotFound) {
		return nil, err
	}
	hash := dummyHash
	if u != nil {
		hash = u.PasswordHash
	}
	match, err := s.checkPassword(ctx, password, hash)
	if err != nil {
		return nil, err
	}
	if !match || u == nil {
		if u != nil {
			_ = audit.Record(ctx, s.DB, a, audit.Entry{Action: "user.login_failed", SubjectType: "user", SubjectID: u.ID, VendorID: u.Vendor()})
		}
		return nil, ErrBadCredentials
	}
	_ = s.Throttle.Reset(ctx, acctKey)
	_ = s.Throttle.Refund(ctx, ipKey)
	if u.DisabledAt != nil {
		return nil, ErrDisabled
	}
	if u.EmailVerifiedAt == nil {
		if err := s.resendVerification(ctx, a, u); err != nil {
			return nil, err
		}
		return nil, ErrUnverified
	}
	return u, nil
}

// StartSession creates a session for u after a correct password. Its stage says what is still
// needed: an authenticator code, or enrolling one (required for staff and admins).
func (s *Service) StartSession(ctx context.Context, a audit.Actor, u *User, kind, userAgent string) (string, *Session, error) {
	stage := StageFull
	switch {
	case u.MFAEnabled():
		stage = StageMFA
	case u.MFARequired():
		stage = StageMFASetup
	}
	return s.createSession(ctx, s.DB, a, u, kind, stage, userAgent)
}

func (s *Service) createSession(ctx context.Context, db bun.IDB, a audit.Actor, u *User, kind, stage, userAgent string) (string, *Session, error) {
	secret := NewSecret()
	now := database.Now()
	ttl := s.SessionAbsolute
	if kind == KindAPI {
		ttl = s.APITokenTTL
	}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	sess := &Session{ID: HashSecret(secret), UserID: u.ID, Kind: kind, Stage: stage, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(ttl), IP: a.IP, UserAgent: userAgent}
	if _, err := db.NewInsert().Model(sess).Exec(ctx); err != nil {
		return "", nil, err
	}
	if stage == StageFull {
		a.UserID, a.Role, a.VendorID = u.ID, u.Role, u.Vendor()
		if err := audit.Record(ctx, db, a, audit.Entry{Action: "user.login", SubjectType: "user", SubjectID: u.ID, Details: map[string]any{"kind": kind}}); err != nil {
			return "", nil, err
		}
	}
	return secret, sess, nil
}

// ErrNoSession means the token is unknown, expired or idle too long.
var ErrNoSession = apperr.New(apperr.Unauthenticated, "unauthenticated", "Please sign in to continue.")

// LookupSession resolves a session token to the session and its user, enforcing the idle and
// absolute timeouts and the account's disabled state. It refreshes the idle clock at most once a minute.
func (s *Service) LookupSession(ctx context.Context, secret string) (*Session, *User, error) {
	if secret == "" {
		return nil, nil, ErrNoSession
	}
	id := HashSecret(secret)
	var sess *Session
	if e, ok := s.sessionCache.Get(id); ok {
		sess = e.copy()
	} else {
		gen := s.sessionCache.Gen()
		// One query for the session and its user, shared with the look-ups asked for at the same time.
		got, ok, err := s.sessionReads().Get(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, ErrNoSession
		}
		sess = got.copy()
		if sess.User != nil {
			s.sessionCache.Put(id, got.copy(), gen)
		}
	}
	now := database.Now()
	idle := s.SessionIdle
	if sess.Kind == KindAPI {
		idle = s.APITokenTTL
	}
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > idle {
		_, _ = s.DB.NewDelete().Model((*Session)(nil)).Where("id = ?", sess.ID).Exec(ctx) // the change feed drops the cached copy
		return nil, nil, ErrNoSession
	}
	u := sess.User
	if u == nil || u.DisabledAt != nil {
		return nil, nil, ErrNoSession
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		if err := s.touch(ctx, sess.ID); err != nil {
			return nil, nil, err
		}
		sess.LastSeenAt = now
	}
	return sess, u, nil
}

// CacheSessions lets LookupSession answer from memory while feed vouches that neither the session
// nor its user has changed: any write to either row, from any instance, drops the copy.
func (s *Service) CacheSessions(feed *database.Feed) {
	c := cache.New[*Session](feed, sessionCacheTTL, 100_000)
	feed.Subscribe(func(ch database.Change) {
		switch {
		case ch.Table == "*", ch.Key == "" && (ch.Table == "sessions" || ch.Table == "users"):
			c.Clear()
		case ch.Table == "sessions":
			c.Delete(ch.Key)
		case ch.Table == "users":
			c.DeleteFunc(func(_ string, v *Session) bool { return v.UserID == ch.Key })
		}
	})
	s.sessionCache = c
}

// sessionCacheTTL bounds how long a cached session lives even when no change arrives: the backstop for
// writes the change feed cannot see (another process writing the same SQLite file).
const sessionCacheTTL = 30 * time.Second

// copy returns a copy of the session and its user that the caller may change.
func (sess *Session) copy() *Session {
	c := *sess
	if sess.User != nil {
		u := *sess.User
		c.User = &u
	}
	return &c
}

// ForgetUser drops this instance's cached sessions of the user at once. Call it after committing a
// change that ends them (deletion, disabling, signing out everywhere): other instances hear of it
// from the change feed, but on PostgreSQL the feed is asynchronous, and the instance that made the
// change must not answer the very next request from its stale copy.
func (s *Service) ForgetUser(userID string) {
	s.sessionCache.DeleteFunc(func(_ string, v *Session) bool { return v.UserID == userID })
}

// EndSession signs a session out.
func (s *Service) EndSession(ctx context.Context, a audit.Actor, secret string) error {
	res, err := s.DB.NewDelete().Model((*Session)(nil)).Where("id = ?", HashSecret(secret)).Exec(ctx)
	if err != nil {
		return err
	}
	s.sessionCache.Delete(HashSecret(secret))
	if n, _ := res.RowsAffected(); n > 0 && a.UserID != "" {
		return audit.Record(ctx, s.DB, a, audit.Entry{Action: "user.logout", SubjectType: "user", SubjectID: a.UserID})
	}
	return nil
}

// EndAllSessions signs a user out everywhere. Inside a transaction (db a bun.Tx), call ForgetUser
// after the commit.
func (s *Service) EndAllSessions(ctx context.Context, db bun.IDB, userID string) error {
	_, err := db.NewDelete().Model((*Session)(nil)).Where("user_id = ?", userID).Exec(ctx)
	if _, inTx := db.(bun.Tx); err == nil && !inTx {
		s.ForgetUser(userID)
	}
	return err
}

// SignOutEverywhere ends all of a user's sessions on its own (the "sign out on every device" action).
func (s *Service) SignOutEverywhere(ctx context.Context, userID string) error {
	return s.EndAllSessions(ctx, s.DB, userID)
}

// PruneSessions deletes expired sessions.
func (s *Service) PruneSessions(ctx context.Context) error {
	now := database.Now()
	_, err := s.DB.NewDelete().Model((*Session)(nil)).
		Where("expires_at < ? OR (kind = 'web' AND last_seen_at < ?)", now, now.Add(-s.SessionIdle)).Exec(ctx)
	return err
}

// ---- password reset ----

// RequestPasswordReset emails a reset link if the address has an active account. It answers the same
// whether or not it does, and takes as long: both paths run one transaction that counts the request,
// looks the address up and writes the token, audit entry and email inside a savepoint; with no one
// to send to (no account, a disabled one, or past the per-address allowance) the savepoint is rolled
// back and the transaction still commits its count. So the time to answer does not tell an observer
// whether the address is registered.
func (s *Service) RequestPasswordReset(ctx context.Context, a audit.Actor, email string) error {
	email = NormalizeEmail(email)
	f := apperr.Fields{}
	validateEmail(f, email)
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.limit(ctx, "reset:ip:"+a.IP, s.Limits.ResetPerHour, time.Hour); err != nil {
		return err
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		n, err := (Throttle{DB: tx, Window: s.Throttle.Window}).Hit(ctx, "reset:"+email)
		if err != nil {
			return err
		}
		u, err := s.userByEmail(ctx, tx, email)
		if err != nil && !errors.Is(err, database.ErrNotFound) {
			return err
		}
		// Quietly stop after five requests for one address in a window, so the form cannot flood an inbox.
		send := err == nil && u.DisabledAt == nil && n <= 5
		var userID *string
		if send {
			userID = &u.ID
		} else {
			u = &User{Name: "PeerAcademy user", Email: email} // a stand-in, rolled back below
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT reset_mail"); err != nil {
			return err
		}
		secret, err := issueToken(ctx, tx, &Token{Purpose: PurposeResetPassword, UserID: userID, Email: u.Email}, ResetTTL)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "user.password_reset_requested", SubjectType: "user", SubjectID: u.ID}); err != nil {
			return err
		}
		if err := s.mail(ctx, tx, u.Email, "account_reset_password", map[string]any{"Name": u.Name, "URL": s.urls().ResetPassword(secret)}); err != nil {
			return err
		}
		end := "RELEASE SAVEPOINT reset_mail"
		if !send {
			end = "ROLLBACK TO SAVEPOINT reset_mail"
		}
		_, err = tx.ExecContext(ctx, end)
		return err
	})
}

// CheckResetToken reports whether a reset token is still usable (to show the form).
func (s *Service) CheckResetToken(ctx context.Context, secret string) error {
	_, err := peekToken(ctx, s.DB, PurposeResetPassword, secret)
	return err
}

// ResetPassword sets a new password with a reset token and signs the user out everywhere.
func (s *Service) ResetPassword(ctx context.Context, a audit.Actor, secret, password string) error {
	t, err := peekToken(ctx, s.DB, PurposeResetPassword, secret)
	if err != nil {
		return err
	}
	if err := ValidatePassword(password, t.Email); err != nil {
		return err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return err
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		t, err := consumeToken(ctx, tx, PurposeResetPassword, secret)
		if err != nil {
			return err
		}
		now := database.Now()
		// A reset proves control of the inbox, so it also confirms the address.
		if _, err := tx.NewUpdate().Model((*User)(nil)).Set("password_hash = ?", hash).Set("updated_at = ?", now).
			Set("email_verified_at = COALESCE(email_verified_at, ?)", now).Where("id = ?", *t.UserID).Exec(ctx); err != nil {
			return err
		}
		if err := s.EndAllSessions(ctx, tx, *t.UserID); err != nil {
			return err
		}
		a.UserID = *t.UserID
		return audit.Record(ctx, tx, a, audit.Entry{Action: "user.password_reset", SubjectType: "user", SubjectID: *t.UserID})
	})
	if err != nil {
		return err
	}
	// After the commit: Throttle uses s.DB, and inside the transaction it would wait forever for a
	// second connection on SQLite (one connection only), holding the only one.
	_ = s.Throttle.Reset(ctx, "login:acct:"+t.Email)
	return nil
}

// ---- administration ----

// SetDisabled disables or re-enables an account. Disabling ends all its sessions at once.
func (s *Service) SetDisabled(ctx context.Context, a audit.Actor, actor *User, userID string, disabled bool) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if !CanManageUser(actor, u) {
		return apperr.New(apperr.NotFound, "not_found", "No such user.")
	}
	if u.ID == actor.ID {
		return apperr.New(apperr.Invalid, "self", "You cannot disable your own account.")
	}
	defer s.ForgetUser(u.ID) // after the commit (or the rollback): the next request reads the row again
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*User)(nil)).Set("updated_at = ?", database.Now()).Where("id = ?", u.ID)
		action := "user.enable"
		if disabled {
			q = q.Set("disabled_at = ?", database.Now())
			action = "user.disable"
		} else {
			q = q.Set("disabled_at = NULL")
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		if disabled {
			if err := s.EndAllSessions(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: action, SubjectType: "user", SubjectID: u.ID, VendorID: u.Vendor()})
	})
}

// CanManageUser: platform admins manage everyone; vendor admins manage their own vendor's staff.
func CanManageUser(actor, target *User) bool {
	switch actor.Role {
	case RolePlatformAdmin:
		return true
	case RoleVendorAdmin:
		return target.IsStaff() && target.Vendor() == actor.Vendor()
	}
	return false
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	VendorID string
	Role     string
	Query    string
	Limit    int
	Offset   int
}

// ListUsers lists users the actor may manage.
func (s *Service) ListUsers(ctx context.Context, actor *User, f UserFilter) ([]User, int, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 25
	}
	var us []User
	q, err := s.usersQuery(actor, f, &us)
	if err != nil {
		return nil, 0, err
	}
	n, err := q.OrderExpr("created_at DESC, id DESC").Limit(int64(f.Limit)).Offset(int64(f.Offset)).ScanAndCount(ctx)
	return us, int(n), err
}

// usersOrder is the users list's order: newest first.
var usersOrder = page.Order{List: "users", Keys: []page.Key{{Col: "created_at", Time: true}, {Col: "id"}}, Desc: true}

// UsersPage is ListUsers by cursor (f.Limit and f.Offset are ignored), with the total of matches.
func (s *Service) UsersPage(ctx context.Context, actor *User, f UserFilter, r page.Request) (page.Page[User], int, error) {
	var us []User
	q, err := s.usersQuery(actor, f, &us)
	if err != nil {
		return page.Page[User]{}, 0, err
	}
	total, err := q.Count(ctx)
	if err != nil {
		return page.Page[User]{}, 0, err
	}
	p, err := page.Fetch(ctx, q, &us, r, usersOrder, func(u User) []any { return []any{u.CreatedAt, u.ID} })
	return p, int(total), err
}

func (s *Service) usersQuery(actor *User, f UserFilter, us *[]User) (*bun.SelectQuery, error) {
	q := s.DB.NewSelect().Model(us)
	switch actor.Role {
	case RolePlatformAdmin:
		if f.VendorID != "" {
			q = q.Where("vendor_id = ?", f.VendorID)
		}
	case RoleVendorAdmin:
		q = q.Where("vendor_id = ?", actor.Vendor())
	default:
		return nil, apperr.New(apperr.Forbidden, "forbidden", "You do not have access to this page.")
	}
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if f.Query != "" {
		like := "%" + strings.ToLower(f.Query) + "%"
		q = q.Where("(email LIKE ? OR LOWER(name) LIKE ?)", like, like)
	}
	return q, nil
}

// CreateUserInput creates a user directly (command line, tests).
type CreateUserInput struct {
	Email, Name, Role, VendorID, Password string
}

// CreateUser creates a verified account directly (used by the command line).
func (s *Service) CreateUser(ctx context.Context, a audit.Actor, in CreateUserInput) (*User, error) {
	in.Email, in.Name = NormalizeEmail(in.Email), strings.TrimSpace(in.Name)
	f := apperr.Fields{}
	validateEmail(f, in.Email)
	validateName(f, in.Name)
	if err := ValidatePassword(in.Password, in.Email); err != nil {
		e, _ := apperr.As(err)
		f.Add("password", e.Fields["password"])
	}
	staff := in.Role == RoleTrainer || in.Role == RoleVendorAdmin
	switch {
	case !validRole(in.Role):
		f.Add("role", "Choose one of: candidate, trainer, vendor_admin, platform_admin.")
	case staff && in.VendorID == "":
		f.Add("vendor", "Trainers and vendor administrators belong to a vendor.")
	case !staff && in.VendorID != "":
		f.Add("vendor", "Only trainers and vendor administrators belong to a vendor.")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := database.Now()
	u := &User{ID: newID(), Email: in.Email, Name: in.Name, Role: in.Role, PasswordHash: hash, EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	if in.VendorID != "" {
		u.VendorID = &in.VendorID
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				return apperr.Field("email", "An account with this email address already exists.")
			}
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "user.create", SubjectType: "user", SubjectID: u.ID, VendorID: in.VendorID, Details: map[string]any{"role": in.Role}})
	})
	return u, err
}

func validRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// ---- vendors ----

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// VendorInput creates a vendor.
type VendorInput struct {
	Name         string `json:"name" form:"name"`
	Slug         string `json:"slug" form:"slug"`
	Timezone     string `json:"timezone" form:"timezone"`
	ContactEmail string `json:"contact_email" form:"contact_email"`
}

// CreateVendor adds a training organisation (not yet recognised).
func (s *Service) CreateVendor(ctx context.Context, a audit.Actor, in VendorInput) (*Vendor, error) {
	in.Name, in.Slug, in.Timezone = strings.TrimSpace(in.Name), strings.ToLower(strings.TrimSpace(in.Slug)), strings.TrimSpace(in.Timezone)
	in.ContactEmail = NormalizeEmail(in.ContactEmail)
	if in.Timezone == "" {
		in.Timezone = "America/New_York"
	}
	f := apperr.Fields{}
	if in.Name == "" || len(in.Name) > 160 {
		f.Add("name", "Enter the organisation's name (at most 160 characters).")
	}
	if !slugRE.MatchString(in.Slug) || len(in.Slug) > 40 {
		f.Add("slug", "Use 1 to 40 lower-case letters, digits and single hyphens, such as recovery-works.")
	}
	if _, err := time.LoadLocation(in.Timezone); err != nil || !strings.Contains(in.Timezone, "/") {
		f.Add("timezone", "Enter an IANA time zone such as America/New_York.")
	}
	if in.ContactEmail != "" {
		validateEmail(f, in.ContactEmail)
		if _, ok := f["email"]; ok {
			delete(f, "email")
			f.Add("contact_email", "Enter a valid contact email address or leave it empty.")
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	v := &Vendor{ID: newID(), Name: in.Name, Slug: in.Slug, Timezone: in.Timezone, ContactEmail: in.ContactEmail, CreatedAt: database.Now()}
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				return apperr.Field("slug", "A vendor with this short name already exists.")
			}
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "vendor.create", SubjectType: "vendor", SubjectID: v.ID, VendorID: v.ID})
	})
	return v, err
}

// SetRecognised recognises a vendor (or withdraws recognition).
func (s *Service) SetRecognised(ctx context.Context, a audit.Actor, vendorID string, recognised bool) (*Vendor, error) {
	v, err := s.VendorByID(ctx, vendorID)
	if err != nil {
		return nil, err
	}
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*Vendor)(nil)).Where("id = ?", v.ID)
		action := "vendor.recognise"
		if recognised {
			q = q.Set("recognised_at = ?", database.Now()).Set("recognised_by = ?", nullable(a.UserID))
		} else {
			q = q.Set("recognised_at = NULL").Set("recognised_by = NULL")
			action = "vendor.withdraw_recognition"
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: action, SubjectType: "vendor", SubjectID: v.ID, VendorID: v.ID})
	})
	if err != nil {
		return nil, err
	}
	return s.VendorByID(ctx, vendorID)
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// VendorByID loads a vendor.
func (s *Service) VendorByID(ctx context.Context, id string) (*Vendor, error) {
	v := new(Vendor)
	if err := s.DB.NewSelect().Model(v).Where("id = ?", id).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "not_found", "No such vendor.")
		}
		return nil, err
	}
	return v, nil
}

// VendorBySlug loads a vendor by its short name.
func (s *Service) VendorBySlug(ctx context.Context, slug string) (*Vendor, error) {
	v := new(Vendor)
	if err := s.DB.NewSelect().Model(v).Where("slug = ?", slug).Scan(ctx); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, apperr.New(apperr.NotFound, "not_found", "No vendor with the short name "+slug+".")
		}
		return nil, err
	}
	return v, nil
}

// ListVendors lists vendors; onlyRecognised hides those not recognised.
func (s *Service) ListVendors(ctx context.Context, onlyRecognised bool) ([]Vendor, error) {
	p, err := s.VendorsPage(ctx, onlyRecognised, page.All)
	return p.Items, err
}

// vendorsOrder is the vendors list's order: by name.
var vendorsOrder = page.Order{List: "vendors", Keys: []page.Key{{Col: "name"}, {Col: "id"}}}

// VendorsPage is one page of ListVendors.
func (s *Service) VendorsPage(ctx context.Context, onlyRecognised bool, r page.Request) (page.Page[Vendor], error) {
	var vs []Vendor
	q := s.DB.NewSelect().Model(&vs)
	if onlyRecognised {
		q = q.Where("recognised_at IS NOT NULL")
	}
	return page.Fetch(ctx, q, &vs, r, vendorsOrder, func(v Vendor) []any { return []any{v.Name, v.ID} })
}

// ---- invitations ----

// InviteInput invites staff to a vendor.
type InviteInput struct {
	Email    string `json:"email" form:"email"`
	Role     string `json:"role" form:"role"`
	VendorID string `json:"vendor_id" form:"vendor_id"`
}

// Invite emails a staff invitation link. Vendor admins invite trainers and fellow admins of their own
// recognised vendor; platform admins invite vendor admins of any vendor.
func (s *Service) Invite(ctx context.Context, a audit.Actor, actor *User, in InviteInput) error {
	in.Email = NormalizeEmail(in.Email)
	f := apperr.Fields{}
	validateEmail(f, in.Email)
	if in.Role != RoleTrainer && in.Role != RoleVendorAdmin {
		f.Add("role", "Choose trainer or vendor administrator.")
	}
	if err := f.Err(); err != nil {
		return err
	}
	switch actor.Role {
	case RoleVendorAdmin:
		in.VendorID = actor.Vendor()
	case RolePlatformAdmin:
		if in.VendorID == "" {
			return apperr.Field("vendor_id", "Choose the vendor.")
		}
	default:
		return apperr.New(apperr.Forbidden, "forbidden", "You cannot invite staff.")
	}
	v, err := s.VendorByID(ctx, in.VendorID)
	if err != nil {
		return err
	}
	if !v.Recognised() && actor.Role != RolePlatformAdmin {
		return apperr.New(apperr.Forbidden, "vendor_not_recognised", "Your organisation must be recognised by the platform before it can invite staff.")
	}
	if _, err := s.userByEmail(ctx, s.DB, in.Email); err == nil {
		return apperr.Field("email", "This person already has a PeerAcademy account. Staff need an account of their own with a work address.")
	}
	return database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		secret, err := issueToken(ctx, tx, &Token{Purpose: PurposeInvite, Email: in.Email, VendorID: &v.ID, Role: in.Role, CreatedBy: &actor.ID}, InviteTTL)
		if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Entry{Action: "user.invite", SubjectType: "vendor", SubjectID: v.ID, VendorID: v.ID, Details: map[string]any{"role": in.Role}}); err != nil {
			return err
		}
		return s.mail(ctx, tx, in.Email, "account_invite", map[string]any{"Inviter": actor.Name, "Vendor": v.Name, "Role": strings.ToLower(RoleLabel(in.Role)), "URL": s.urls().Invite(secret)})
	})
}

// Invitation describes a pending invitation (to show the acceptance form).
type Invitation struct {
	Email, Role, VendorName string
}

// CheckInvite returns the invitation a token stands for.
func (s *Service) CheckInvite(ctx context.Context, secret string) (*Invitation, error) {
	t, err := peekToken(ctx, s.DB, PurposeInvite, secret)
	if err != nil {
		return nil, err
	}
	v, err := s.VendorByID(ctx, *t.VendorID)
	if err != nil {
		return nil, err
	}
	return &Invitation{Email: t.Email, Role: t.Role, VendorName: v.Name}, nil
}

// AcceptInvite creates the invited staff account.
func (s *Service) AcceptInvite(ctx context.Context, a audit.Actor, secret, name, password string) (*User, error) {
	t, err := peekToken(ctx, s.DB, PurposeInvite, secret)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	f := apperr.Fields{}
	validateName(f, name)
	if err := ValidatePassword(password, t.Email); err != nil {
		e, _ := apperr.As(err)
		f.Add("password", e.Fields["password"])
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	var u *User
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		t, err := consumeToken(ctx, tx, PurposeInvite, secret)
		if err != nil {
			return err
		}
		now := database.Now()
		u = &User{ID: newID(), Email: t.Email, Name: name, Role: t.Role, VendorID: t.VendorID, PasswordHash: hash, EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				return apperr.New(apperr.Conflict, "email_taken", "An account with this email address already exists. Sign in instead.")
			}
			return err
		}
		a.UserID, a.Role, a.VendorID = u.ID, u.Role, u.Vendor()
		return audit.Record(ctx, tx, a, audit.Entry{Action: "user.accept_invite", SubjectType: "user", SubjectID: u.ID, VendorID: u.Vendor(), Details: map[string]any{"role": u.Role}})
	})
	return u, err
}

// ---- first platform admin ----

// SetupLink returns a one-time link that creates the first platform admin, or "" when one exists.
func (s *Service) SetupLink(ctx context.Context) (string, error) {
	n, err := s.DB.NewSelect().Model((*User)(nil)).Where("role = ?", RolePlatformAdmin).Count(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	var secret string
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		// A new link supersedes older unused ones.
		if _, err := tx.NewUpdate().Model((*Token)(nil)).Set("used_at = ?", database.Now()).
			Where("purpose = ?", PurposeSetup).Where("used_at IS NULL").Exec(ctx); err != nil {
			return err
		}
		secret, err = issueToken(ctx, tx, &Token{Purpose: PurposeSetup}, SetupTTL)
		return err
	})
	if err != nil {
		return "", err
	}
	return s.urls().Setup(secret), nil
}

// CheckSetupToken reports whether a setup token is usable.
func (s *Service) CheckSetupToken(ctx context.Context, secret string) error {
	_, err := peekToken(ctx, s.DB, PurposeSetup, secret)
	return err
}

// CompleteSetup creates the first platform admin with a setup token.
func (s *Service) CompleteSetup(ctx context.Context, a audit.Actor, secret string, in RegisterInput) (*User, error) {
	if err := s.CheckSetupToken(ctx, secret); err != nil {
		return nil, err
	}
	in.Email, in.Name = NormalizeEmail(in.Email), strings.TrimSpace(in.Name)
	f := apperr.Fields{}
	validateEmail(f, in.Email)
	validateName(f, in.Name)
	if err := ValidatePassword(in.Password, in.Email); err != nil {
		e, _ := apperr.As(err)
		f.Add("password", e.Fields["password"])
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	var u *User
	err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		if _, err := consumeToken(ctx, tx, PurposeSetup, secret); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*User)(nil)).Where("role = ?", RolePlatformAdmin).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrTokenInvalid
		}
		now := database.Now()
		u = &User{ID: newID(), Email: in.Email, Name: in.Name, Role: RolePlatformAdmin, PasswordHash: hash, EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			if errors.Is(database.Err(err), database.ErrConflict) {
				return apperr.Field("email", "An account with this email address already exists.")
			}
			return err
		}
		a.UserID, a.Role = u.ID, u.Role
		return audit.Record(ctx, tx, a, audit.Entry{Action: "platform.setup", SubjectType: "user", SubjectID: u.ID})
	})
	return u, err
}

func (s *Service) urls() urls.Base { return urls.Base(s.BaseURL) }

// mail enqueues the email template name, rendered with data, to the address to.
func (s *Service) mail(ctx context.Context, db bun.IDB, to, name string, data any) error {
	e, err := notify.Compose(to, name, data)
	if err != nil {
		return err
	}
	return s.Outbox.Enqueue(ctx, db, e)
}
