package account_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/sealbox"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/internal/testutil/seed"
)

// fixturePassword is the password of every user the fixture inserts directly.
const fixturePassword = "correct horse battery staple"

// fixtureHash is computed once: argon2id is deliberately slow.
var fixtureHash = sync.OnceValue(func() string {
	h, err := account.HashPassword(fixturePassword)
	if err != nil {
		panic(err)
	}
	return h
})

// actor is the anonymous visitor most calls are made as.
var actor = audit.Actor{IP: "203.0.113.7", RequestID: "req-test"}

// newService builds a Service the way internal/app does.
func newService(db *bun.DB) *account.Service {
	return &account.Service{
		DB: db, Outbox: notify.Outbox{Mode: "log"}, BaseURL: "http://x.test",
		SessionIdle: 30 * time.Minute, SessionAbsolute: 12 * time.Hour, APITokenTTL: 720 * time.Hour,
		MaxFailuresPerAccount: 5, MaxFailuresPerIP: 30,
		Throttle: account.Throttle{DB: db, Window: 15 * time.Minute},
		Keys:     testKeys,
	}
}

// testKeys seal authenticator secrets in these tests, as the app's keyring does.
var testKeys = func() *sealbox.Keyring {
	k, err := sealbox.NewKeyring("t1", map[string][]byte{"t1": bytes.Repeat([]byte{7}, sealbox.KeySize)})
	if err != nil {
		panic(err)
	}
	return k
}()

type fixture struct {
	t   *testing.T
	ctx context.Context
	db  *bun.DB
	svc *account.Service
}

func newFixture(t *testing.T, d dbtest.Dialect) *fixture {
	t.Helper()
	db := dbtest.Open(t, d)
	return &fixture{t: t, ctx: context.Background(), db: db, svc: newService(db)}
}

// seed inserts fixtures into the fixture's database (tests also build fixtures field by field).
func (f *fixture) seed() *seed.World { return seed.On(f.t, f.db, time.Now()) }

// vendor creates a vendor, recognised or not.
func (f *fixture) vendor(slug string, recognised bool) *account.Vendor {
	f.t.Helper()
	v, err := f.svc.CreateVendor(f.ctx, audit.System, account.VendorInput{Name: strings.ToUpper(slug[:1]) + slug[1:] + " Training", Slug: slug})
	if err != nil {
		f.t.Fatal(err)
	}
	if recognised {
		if v, err = f.svc.SetRecognised(f.ctx, audit.System, v.ID, true); err != nil {
			f.t.Fatal(err)
		}
	}
	return v
}

// User options: the email address unconfirmed, two-factor sign-in enabled with a secret, an address.
type userOpt = seed.UserOpt

var (
	unverified userOpt = seed.Unverified
	withTOTP           = seed.TOTP
	withEmail          = seed.Email
)

// user inserts a verified user with fixturePassword directly (no per-user hashing).
func (f *fixture) user(role, vendorID string, opts ...userOpt) *account.User {
	f.t.Helper()
	return f.seed().User(role, vendorID, append([]userOpt{seed.PasswordHash(fixtureHash())}, opts...)...)
}

// reload reads a user back from the database.
func (f *fixture) reload(id string) *account.User {
	f.t.Helper()
	u, err := f.svc.UserByID(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func (f *fixture) userByEmail(email string) *account.User {
	f.t.Helper()
	u := new(account.User)
	if err := f.db.NewSelect().Model(u).Where("email = ?", email).Scan(f.ctx); err != nil {
		f.t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// mails returns the captured mail to addr, newest first.
func (f *fixture) mails(addr string) []notify.Message {
	f.t.Helper()
	ms, n, err := notify.List(f.ctx, f.db, addr, 100, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	if n != len(ms) {
		f.t.Fatalf("notify.List count %d but %d rows", n, len(ms))
	}
	return ms
}

// lastMail returns the newest mail to addr, failing when there is none.
func (f *fixture) lastMail(addr string) notify.Message {
	f.t.Helper()
	ms := f.mails(addr)
	if len(ms) == 0 {
		f.t.Fatalf("no mail to %s", addr)
	}
	return ms[0]
}

// tokenIn extracts the token of a link to path (such as "/verify-email") from a mail body.
func tokenIn(t *testing.T, body, path string) string {
	t.Helper()
	re := regexp.MustCompile(`http://x\.test` + regexp.QuoteMeta(path) + `\?token=([A-Za-z0-9_-]+)`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no http://x.test%s?token= link in:\n%s", path, body)
	}
	return m[1]
}

// count runs a COUNT over model's table.
func (f *fixture) count(model any, where string, args ...any) int {
	f.t.Helper()
	n, err := f.db.NewSelect().Model(model).Where(where, args...).Count(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return int(n)
}

func (f *fixture) sessionsOf(userID string) int {
	return f.count((*account.Session)(nil), "user_id = ?", userID)
}

func (f *fixture) auditCount(action, subjectID string) int {
	return f.seed().AuditCount(action, subjectID)
}

// exec runs an UPDATE through bun so time values are formatted the way each dialect stores them.
func (f *fixture) set(model any, column string, value any, where string, args ...any) {
	f.t.Helper()
	res, err := f.db.NewUpdate().Model(model).Set(column+" = ?", value).Where(where, args...).Exec(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		f.t.Fatalf("set %s: no rows matched %s %v", column, where, args)
	}
}

// session starts a session for u without any password check.
func (f *fixture) session(u *account.User, kind string) (string, *account.Session) {
	f.t.Helper()
	secret, s, err := f.svc.StartSession(f.ctx, actor, u, kind, "test-agent")
	if err != nil {
		f.t.Fatal(err)
	}
	return secret, s
}

// wantErr fails unless err is the very sentinel want.
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// wantKind fails unless err is an apperr of kind (and code, when given).
var wantKind = seed.WantCode

// wantField fails unless err is an Invalid apperr with a message for field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e := wantKind(t, err, apperr.Invalid, "")
	if e.Fields[field] == "" {
		t.Fatalf("error %v has no message for field %q (fields %v)", err, field, e.Fields)
	}
}

// totpCode returns the code for secret at now+offset.
func totpCode(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode returns a 6-digit code valid for none of the steps the service accepts now.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-60 * time.Second, -30 * time.Second, 0, 30 * time.Second, 60 * time.Second} {
		valid[totpCode(t, secret, d)] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !valid[c] {
			return c
		}
	}
	t.Fatal("unreachable: every candidate code is valid")
	return ""
}

// testSecret is a fixed base32 TOTP secret for users enrolled directly.
const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// clearOfWindowEdge waits, when the throttle's current fixed window ends within a minute, until the
// next one has begun: a test that counts attempts must not see its count reset halfway (the
// windows follow the wall clock, and a run near 10:15:00 did).
func clearOfWindowEdge(t *testing.T, w time.Duration) {
	t.Helper()
	now := time.Now()
	if left := now.Truncate(w).Add(w).Sub(now); left < time.Minute {
		time.Sleep(left + time.Second)
	}
}
