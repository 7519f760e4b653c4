package account_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/sealbox"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

var recoveryCodeRE = regexp.MustCompile(`^[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}-[a-z2-7]{4}$`)

func TestTOTPEnrolmentAndSecondFactor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.vendor("mfa", true)
		u := f.user(account.RoleTrainer, v.ID)
		a := actor
		a.UserID, a.Role, a.VendorID = u.ID, u.Role, v.ID

		enr, err := f.svc.BeginTOTP(f.ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if len(enr.Secret) != 32 || strings.Trim(enr.Secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Fatalf("secret %q is not 160 bits of base32", enr.Secret)
		}
		ou, err := url.Parse(enr.URL)
		if err != nil || ou.Scheme != "otpauth" || ou.Host != "totp" {
			t.Fatalf("URL %q: %v", enr.URL, err)
		}
		if q := ou.Query(); q.Get("secret") != enr.Secret || q.Get("issuer") != account.Issuer || !strings.Contains(ou.Path, u.Email) {
			t.Fatalf("URL %q does not carry the secret, issuer and account", enr.URL)
		}
		const prefix = "data:image/png;base64,"
		if !strings.HasPrefix(enr.QRImage, prefix) {
			t.Fatalf("QR image %.40q is not a PNG data URL", enr.QRImage)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(enr.QRImage, prefix))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("QR image does not decode: %v", err)
		}
		if b := img.Bounds(); b.Dx() != 240 || b.Dy() != 240 {
			t.Fatalf("QR image is %dx%d", b.Dx(), b.Dy())
		}
		// The pending secret is stored but not yet enabled; starting again re-shows the same secret.
		// The secret is sealed at rest, under the current key and bound to this user.
		if got := f.reload(u.ID); sealbox.KeyID(got.TOTPSecret) != "t1" || strings.Contains(got.TOTPSecret, enr.Secret) || got.MFAEnabled() {
			t.Fatalf("stored %q enabled=%v", got.TOTPSecret, got.MFAEnabled())
		} else if pt, err := testKeys.Open(got.TOTPSecret, "totp|"+u.ID); err != nil || string(pt) != enr.Secret {
			t.Fatalf("the sealed secret does not open to the shown one: %v", err)
		}
		again, err := f.svc.BeginTOTP(f.ctx, f.reload(u.ID))
		if err != nil || again.Secret != enr.Secret {
			t.Fatalf("second BeginTOTP: %v, secret %q vs %q", err, again.Secret, enr.Secret)
		}

		// A wrong code is refused and enables nothing.
		_, err = f.svc.ConfirmTOTP(f.ctx, a, u, wrongCode(t, enr.Secret))
		wantErr(t, err, account.ErrBadCode)
		wantField(t, err, "code")
		for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
			if _, err := f.svc.ConfirmTOTP(f.ctx, a, u, bad); !errors.Is(err, account.ErrBadCode) {
				t.Fatalf("ConfirmTOTP(%q) = %v", bad, err)
			}
		}
		if f.reload(u.ID).MFAEnabled() {
			t.Fatal("a wrong code enabled two-factor sign-in")
		}
		// Those five failures count towards the two-factor limit; clear them for what follows.
		if err := f.svc.Throttle.Reset(f.ctx, "mfa:"+u.ID); err != nil {
			t.Fatal(err)
		}

		code := totpCode(t, enr.Secret, 0)
		codes, err := f.svc.ConfirmTOTP(f.ctx, a, u, code)
		if err != nil {
			t.Fatalf("right code: %v", err)
		}
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes, want 10", len(codes))
		}
		seen := map[string]bool{}
		for _, c := range codes {
			if !recoveryCodeRE.MatchString(c) || seen[c] {
				t.Fatalf("recovery code %q malformed or repeated", c)
			}
			seen[c] = true
		}
		if n, err := f.svc.RemainingRecoveryCodes(f.ctx, u.ID); err != nil || n != 10 {
			t.Fatalf("remaining %d %v", n, err)
		}
		u = f.reload(u.ID)
		if !u.MFAEnabled() {
			t.Fatal("ConfirmTOTP did not enable two-factor sign-in")
		}
		if n := f.auditCount("user.mfa_enable", u.ID); n != 1 {
			t.Fatalf("mfa_enable events %d", n)
		}
		if _, err := f.svc.BeginTOTP(f.ctx, u); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("BeginTOTP once enabled: %v", err)
		}
		if _, err := f.svc.ConfirmTOTP(f.ctx, a, u, code); !apperr.Is(err, apperr.Conflict) {
			t.Fatalf("ConfirmTOTP once enabled: %v", err)
		}
		if _, s := f.session(u, "web"); s.Stage != account.StageMFA {
			t.Fatalf("stage %q after enrolling, want mfa", s.Stage)
		}

		// Replay: the code that confirmed enrolment cannot sign in.
		wantErr(t, f.svc.VerifySecondFactor(f.ctx, a, u, code), account.ErrBadCode)

		// The next step's code works once, also typed with a space.
		next := totpCode(t, enr.Secret, 30*time.Second)
		if err := f.svc.VerifySecondFactor(f.ctx, a, u, next[:3]+" "+next[3:]); err != nil {
			t.Fatalf("fresh code: %v", err)
		}
		wantErr(t, f.svc.VerifySecondFactor(f.ctx, a, u, next), account.ErrBadCode)
		// An older code than the last one used is refused too.
		wantErr(t, f.svc.VerifySecondFactor(f.ctx, a, u, totpCode(t, enr.Secret, -30*time.Second)), account.ErrBadCode)

		// A recovery code works once; case and surrounding space do not matter.
		if err := f.svc.VerifySecondFactor(f.ctx, a, u, codes[0]); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		wantErr(t, f.svc.VerifySecondFactor(f.ctx, a, u, codes[0]), account.ErrBadCode)
		if err := f.svc.VerifySecondFactor(f.ctx, a, u, "  "+strings.ToUpper(codes[1])+" "); err != nil {
			t.Fatalf("upper-case recovery code: %v", err)
		}
		if n, _ := f.svc.RemainingRecoveryCodes(f.ctx, u.ID); n != 8 {
			t.Fatalf("remaining %d, want 8", n)
		}
		if n := f.auditCount("user.recovery_code_used", u.ID); n != 2 {
			t.Fatalf("recovery_code_used events %d", n)
		}
		// Another user's recovery code is worthless.
		other := f.user(account.RoleTrainer, v.ID, withTOTP(testSecret))
		wantErr(t, f.svc.VerifySecondFactor(f.ctx, a, other, codes[2]), account.ErrBadCode)

		// Five wrong codes lock the second factor, even for a right recovery code, which stays unspent.
		for range 5 {
			if err := f.svc.VerifySecondFactor(f.ctx, a, u, wrongCode(t, enr.Secret)); !errors.Is(err, account.ErrBadCode) {
				t.Fatalf("wrong code: %v", err)
			}
		}
		wantErr(t, f.svc.VerifySecondFactor(f.ctx, a, u, codes[3]), account.ErrThrottled)
		if n, _ := f.svc.RemainingRecoveryCodes(f.ctx, u.ID); n != 8 {
			t.Fatalf("a throttled attempt spent a recovery code (remaining %d)", n)
		}
	})
}

func TestCompleteSignIn(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.vendor("complete", true)
		u := f.user(account.RoleTrainer, v.ID, withTOTP(testSecret))
		partial, s := f.session(u, account.KindWeb)
		if s.Stage != account.StageMFA {
			t.Fatalf("stage %q", s.Stage)
		}
		full, err := f.svc.CompleteSignIn(f.ctx, actor, partial, u, "ua")
		if err != nil {
			t.Fatal(err)
		}
		if full == partial {
			t.Fatal("the session id was not rotated")
		}
		if _, _, err := f.svc.LookupSession(f.ctx, partial); !errors.Is(err, account.ErrNoSession) {
			t.Fatalf("partial session survives: %v", err)
		}
		got, _, err := f.svc.LookupSession(f.ctx, full)
		if err != nil || got.Stage != account.StageFull {
			t.Fatalf("full session %+v %v", got, err)
		}
	})
}

func TestIssueAPIToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.vendor("api", true)
		cand := f.user(account.RoleCandidate, "")
		noMFA := f.user(account.RoleTrainer, v.ID)
		mfa := f.user(account.RoleTrainer, v.ID, withTOTP(testSecret))
		admin := f.user(account.RolePlatformAdmin, "")
		// One code for every case that needs the right one, so a step boundary between cases cannot
		// turn the replay case into a fresh code.
		var right string
		rightCode := func() string {
			if right == "" {
				right = totpCode(t, testSecret, 0)
			}
			return right
		}

		cases := []struct {
			name      string
			email, pw string
			code      func() string
			check     func(t *testing.T, err error)
		}{
			{"wrong password", cand.Email, "not the password", nil, func(t *testing.T, err error) { wantErr(t, err, account.ErrBadCredentials) }},
			{"staff without MFA enrolled", noMFA.Email, fixturePassword, nil, func(t *testing.T, err error) {
				wantKind(t, err, apperr.Forbidden, "mfa_setup_required")
			}},
			{"admin without MFA enrolled", admin.Email, fixturePassword, nil, func(t *testing.T, err error) {
				wantKind(t, err, apperr.Forbidden, "mfa_setup_required")
			}},
			{"MFA user without code", mfa.Email, fixturePassword, nil, func(t *testing.T, err error) { wantField(t, err, "totp_code") }},
			{"MFA user with wrong code", mfa.Email, fixturePassword, func() string { return wrongCode(t, testSecret) }, func(t *testing.T, err error) {
				wantErr(t, err, account.ErrBadCode)
			}},
			{"MFA user with wrong password and right code", mfa.Email, "not the password", rightCode, func(t *testing.T, err error) {
				wantErr(t, err, account.ErrBadCredentials)
			}},
			{"MFA user with right code", mfa.Email, fixturePassword, rightCode, nil},
			{"MFA user replaying that code", mfa.Email, fixturePassword, rightCode, func(t *testing.T, err error) {
				wantErr(t, err, account.ErrBadCode)
			}},
			{"candidate without MFA", cand.Email, fixturePassword, nil, nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				code := ""
				if tc.code != nil {
					code = tc.code()
				}
				before := f.count((*account.Session)(nil), "1 = 1")
				secret, s, u, err := f.svc.IssueAPIToken(f.ctx, actor, tc.email, tc.pw, code, "curl/8")
				if tc.check != nil {
					tc.check(t, err)
					if secret != "" || s != nil || u != nil {
						t.Fatal("a refused request returned a token")
					}
					if after := f.count((*account.Session)(nil), "1 = 1"); after != before {
						t.Fatal("a refused request created a session")
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if s.Kind != account.KindAPI || s.Stage != account.StageFull || u.Email != tc.email {
					t.Fatalf("session %+v user %s", s, u.Email)
				}
				if d := time.Until(s.ExpiresAt); d < 719*time.Hour || d > 721*time.Hour {
					t.Fatalf("API token lives %v, want 720h", d)
				}
				gs, gu, err := f.svc.LookupSession(f.ctx, secret)
				if err != nil || gs.Kind != account.KindAPI || gu.ID != u.ID {
					t.Fatalf("lookup: %+v %v", gs, err)
				}
			})
		}
	})
}

// Secrets stored in the clear (before sealing existed, or by a fixture) still work, and are sealed
// the first time they are used; a sealed secret copied onto another user's row does not open.
func TestPlainTOTPSecretIsSealedOnFirstUse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.vendor("seal", true)
		u := f.user(account.RoleTrainer, v.ID, withTOTP(testSecret))
		a := actor
		a.UserID, a.Role, a.VendorID = u.ID, u.Role, v.ID
		if err := f.svc.VerifySecondFactor(f.ctx, a, u, totpCode(t, testSecret, 0)); err != nil {
			t.Fatalf("plain secret: %v", err)
		}
		got := f.reload(u.ID)
		if sealbox.KeyID(got.TOTPSecret) != "t1" || strings.Contains(got.TOTPSecret, testSecret) {
			t.Fatalf("after first use the secret is stored as %q; want it sealed", got.TOTPSecret)
		}
		if err := f.svc.VerifySecondFactor(f.ctx, a, got, totpCode(t, testSecret, 30*time.Second)); err != nil {
			t.Fatalf("sealed secret: %v", err)
		}

		other := f.user(account.RoleTrainer, v.ID)
		if _, err := f.db.NewUpdate().Model((*account.User)(nil)).Set("totp_secret = ?", got.TOTPSecret).Set("totp_enabled_at = ?", database.Now()).
			Where("id = ?", other.ID).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		oa := actor
		oa.UserID, oa.Role, oa.VendorID = other.ID, other.Role, v.ID
		if err := f.svc.VerifySecondFactor(f.ctx, oa, f.reload(other.ID), totpCode(t, testSecret, 0)); err == nil || apperr.Is(err, apperr.Invalid) {
			t.Fatalf("a secret sealed for another user opened: %v", err)
		}
	})
}

// ResealTOTP moves every authenticator secret, sealed under an old key or stored in the clear, to
// the current key.
func TestResealTOTP(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.vendor("reseal", true)
		plain := f.user(account.RoleTrainer, v.ID, withTOTP(testSecret))
		pending := f.user(account.RoleTrainer, v.ID)
		enr, err := f.svc.BeginTOTP(f.ctx, pending) // sealed under t1
		if err != nil {
			t.Fatal(err)
		}
		rotated, err := sealbox.NewKeyring("t2", map[string][]byte{"t1": bytes.Repeat([]byte{7}, sealbox.KeySize), "t2": bytes.Repeat([]byte{9}, sealbox.KeySize)})
		if err != nil {
			t.Fatal(err)
		}
		f.svc.Keys = rotated
		if n, err := f.svc.ResealTOTP(f.ctx); n != 2 || err != nil {
			t.Fatalf("reseal: %d %v; want 2", n, err)
		}
		onlyNew, _ := sealbox.NewKeyring("t2", map[string][]byte{"t2": bytes.Repeat([]byte{9}, sealbox.KeySize)})
		f.svc.Keys = onlyNew
		for _, c := range []struct {
			u      *account.User
			secret string
		}{{plain, testSecret}, {pending, enr.Secret}} {
			got := f.reload(c.u.ID)
			if sealbox.KeyID(got.TOTPSecret) != "t2" {
				t.Fatalf("%s: stored %q", c.u.ID, got.TOTPSecret)
			}
			if pt, err := onlyNew.Open(got.TOTPSecret, "totp|"+c.u.ID); err != nil || string(pt) != c.secret {
				t.Fatalf("%s: resealed secret does not open to the original: %v", c.u.ID, err)
			}
		}
		if n, err := f.svc.ResealTOTP(f.ctx); n != 0 || err != nil {
			t.Fatalf("second reseal: %d %v", n, err)
		}
	})
}
