// Package seed builds the world domain tests run in: a migrated database of either dialect, a
// settable clock, vendors, users of each role, audit actors, cohorts and enrolments, and the first
// stages of a candidate's journey ("approved", "enrolled", "coursework complete") as rows, in batches
// of any size, without the services (the anchor is GoToSocial's testrig).
//
// Layering. seed writes through the exported bun models of account, eligibility and cohort, the
// packages every other domain stands on, and imports no higher domain. A package's own internal
// tests (package exam) cannot import it if it imports that package; its external tests (package
// exam_test), where the suites live, can. The later stages ("passed written", "passed oral",
// "certified") are rows private to exam, oral and certificate: a domain test stands them in with a
// fake of the narrow interface it reads (exam's Coursework, oral's Written, certificate's Evidence),
// and a whole journey builds them through the real services with internal/testutil/apptest
// (PassedWritten, PassedOral, Certified, ReadyToCertify). scenario_test.go checks each stage seeded
// here against the owning service's own read, so a change of rules there fails here first.
package seed

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// World is one test's database, context and clock; its methods insert fixtures and fail the test on
// error.
type World struct {
	T     testing.TB
	Ctx   context.Context
	DB    *bun.DB
	Clock *Clock
}

// Open returns a world on a fresh, migrated database of dialect d with the clock at now.
func Open(t testing.TB, d dbtest.Dialect, now time.Time) *World {
	t.Helper()
	return On(t, dbtest.Open(t, d), now)
}

// On returns a world on db with the clock at now.
func On(t testing.TB, db *bun.DB, now time.Time) *World {
	return &World{T: t, Ctx: context.Background(), DB: db, Clock: NewClock(now)}
}

// Clock is a test clock that services read through Now and tests move with Set.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now is the clock's time; pass it as a service's Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Actor is u making a call, for the audit trail.
func Actor(u *account.User) audit.Actor {
	return audit.Actor{UserID: u.ID, Role: u.Role, VendorID: u.Vendor(), IP: "203.0.113.9", RequestID: "req-test"}
}

// Insert inserts model (a pointer to a row or a slice of rows) and fails the test on error.
func (w *World) Insert(model any) {
	w.T.Helper()
	if _, err := w.DB.NewInsert().Model(model).Exec(w.Ctx); err != nil {
		w.T.Fatalf("insert %T: %v", model, err)
	}
}

// VendorOpt adjusts a vendor before it is inserted.
type VendorOpt func(*account.Vendor)

// VendorName names the vendor (by default "<Slug> Training").
func VendorName(name string) VendorOpt { return func(v *account.Vendor) { v.Name = name } }

// Recognised says whether the state has recognised the vendor (by default it has).
func Recognised(yes bool) VendorOpt {
	return func(v *account.Vendor) {
		if !yes {
			v.RecognisedAt = nil
		}
	}
}

// Vendor inserts a recognised vendor in America/New_York named after slug.
func (w *World) Vendor(slug string, opts ...VendorOpt) *account.Vendor {
	w.T.Helper()
	now := database.Now()
	v := &account.Vendor{ID: uuid.NewString(), Name: strings.ToUpper(slug[:1]) + slug[1:] + " Training", Slug: slug, Timezone: "America/New_York", CreatedAt: now, RecognisedAt: &now}
	for _, o := range opts {
		o(v)
	}
	w.Insert(v)
	return v
}

// UserOpt adjusts a user before it is inserted.
type UserOpt func(*account.User)

// Named gives the user a name (by default the role's label and a short random tag).
func Named(name string) UserOpt { return func(u *account.User) { u.Name = name } }

// Email gives the user an email address (by default <role>-<random>@example.org).
func Email(email string) UserOpt { return func(u *account.User) { u.Email = email } }

// PasswordHash stores hash as the user's password hash (by default "x", which no password matches).
func PasswordHash(hash string) UserOpt { return func(u *account.User) { u.PasswordHash = hash } }

// Unverified leaves the user's email address unconfirmed.
func Unverified(u *account.User) { u.EmailVerifiedAt = nil }

// TOTP enables two-factor sign-in with secret.
func TOTP(secret string) UserOpt {
	return func(u *account.User) {
		now := database.Now()
		u.TOTPSecret, u.TOTPEnabledAt = secret, &now
	}
}

// User inserts a user with role, of vendorID ("" for none), email address verified.
func (w *World) User(role, vendorID string, opts ...UserOpt) *account.User {
	w.T.Helper()
	now := database.Now()
	u := &account.User{ID: uuid.NewString(), Email: role + "-" + uuid.NewString()[:8] + "@example.org", Name: account.RoleLabel(role) + " " + uuid.NewString()[:4],
		Role: role, PasswordHash: "x", EmailVerifiedAt: &now, CreatedAt: now, UpdatedAt: now}
	if vendorID != "" {
		u.VendorID = &vendorID
	}
	for _, o := range opts {
		o(u)
	}
	w.Insert(u)
	return u
}

// Enroll inserts an active enrolment of the candidate in the cohort, at the clock's time.
func (w *World) Enroll(cohortID, candidateID string) *cohort.Enrollment {
	w.T.Helper()
	e := &cohort.Enrollment{ID: uuid.NewString(), CohortID: cohortID, CandidateID: candidateID, Status: cohort.EnrollActive, EnrolledAt: w.Clock.Now()}
	w.Insert(e)
	return e
}

// AuditCount counts the audit events of action about subjectID.
func (w *World) AuditCount(action, subjectID string) int {
	w.T.Helper()
	n, err := w.DB.NewSelect().Model((*audit.Event)(nil)).Where("action = ?", action).Where("subject_id = ?", subjectID).Count(w.Ctx)
	if err != nil {
		w.T.Fatal(err)
	}
	return int(n)
}

// Mails returns the outbox messages to addr, newest first (at most 100).
func (w *World) Mails(addr string) []notify.Message {
	w.T.Helper()
	ms, _, err := notify.List(w.Ctx, w.DB, addr, 100, 0)
	if err != nil {
		w.T.Fatal(err)
	}
	return ms
}
