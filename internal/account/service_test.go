package account_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/migrations"
)

func TestRegisterVerifyEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		const pw = "plum orchard at dusk"
		if err := f.svc.Register(f.ctx, actor, account.RegisterInput{Email: "  Casey.Reed@Example.ORG ", Name: "  Casey Reed ", Password: pw}); err != nil {
			t.Fatal(err)
		}
		u := f.userByEmail("casey.reed@example.org")
		if u.Role != account.RoleCandidate || u.Name != "Casey Reed" || u.VendorID != nil || u.EmailVerifiedAt != nil || u.MFAEnabled() {
			t.Fatalf("registered user %+v", u)
		}
		if u.PasswordHash == pw || !account.CheckPassword(pw, u.PasswordHash) {
			t.Fatal("password not stored as a matching hash")
		}
		if n := f.auditCount("user.register", u.ID); n != 1 {
			t.Fatalf("user.register audit events = %d", n)
		}

		ms := f.mails("casey.reed@example.org")
		if len(ms) != 1 {
			t.Fatalf("%d mails after Register, want 1", len(ms))
		}
		m := ms[0]
		if m.Status != notify.StatusCaptured || m.Subject != "Confirm your email address" || m.To != "casey.reed@example.org" {
			t.Fatalf("verification mail %+v", m)
		}
		tok := tokenIn(t, m.Body, "/verify-email")
		if strings.Contains(m.Body, pw) {
			t.Fatal("the mail contains the password")
		}
		if f.count((*account.Token)(nil), "id = ?", account.HashSecret(tok)) != 1 || f.count((*account.Token)(nil), "id = ?", tok) != 0 {
			t.Fatal("tokens must be stored hashed, never in the clear")
		}

		// A correct password before verifying: ErrUnverified, and a fresh link is sent.
		_, err := f.svc.Authenticate(f.ctx, actor, "casey.reed@example.org", pw)
		wantErr(t, err, account.ErrUnverified)
		if n := len(f.mails("casey.reed@example.org")); n != 2 {
			t.Fatalf("%d mails after an unverified sign-in, want 2", n)
		}
		// A wrong password for an unverified account reveals nothing about verification.
		_, err = f.svc.Authenticate(f.ctx, actor, "casey.reed@example.org", "wrong password here")
		wantErr(t, err, account.ErrBadCredentials)

		// Tokens that must not verify anything.
		resetTok := ""
		if err := f.svc.RequestPasswordReset(f.ctx, actor, "casey.reed@example.org"); err != nil {
			t.Fatal(err)
		}
		resetTok = tokenIn(t, f.lastMail("casey.reed@example.org").Body, "/password/reset")
		for name, bad := range map[string]string{
			"empty":           "",
			"garbage":         "not-a-token",
			"hash of token":   account.HashSecret(tok),
			"another purpose": resetTok,
			"truncated":       tok[:len(tok)-1],
		} {
			if _, err := f.svc.VerifyEmail(f.ctx, actor, bad); !errors.Is(err, account.ErrTokenInvalid) {
				t.Errorf("VerifyEmail(%s) = %v, want ErrTokenInvalid", name, err)
			}
		}
		if f.reload(u.ID).EmailVerifiedAt != nil {
			t.Fatal("an invalid token verified the address")
		}

		v, err := f.svc.VerifyEmail(f.ctx, actor, tok)
		if err != nil {
			t.Fatal(err)
		}
		if v.ID != u.ID || v.EmailVerifiedAt == nil {
			t.Fatalf("VerifyEmail returned %+v", v)
		}
		if f.reload(u.ID).EmailVerifiedAt == nil {
			t.Fatal("email_verified_at not stored")
		}
		if n := f.auditCount("user.verify_email", u.ID); n != 1 {
			t.Fatalf("user.verify_email audit events = %d", n)
		}
		_, err = f.svc.VerifyEmail(f.ctx, actor, tok)
		wantErr(t, err, account.ErrTokenInvalid)
		wantKind(t, err, apperr.Gone, "token_invalid")

		got, err := f.svc.Authenticate(f.ctx, actor, "CASEY.REED@example.org ", pw)
		if err != nil {
			t.Fatalf("sign-in after verifying: %v", err)
		}
		if got.ID != u.ID {
			t.Fatalf("signed in as %s, want %s", got.ID, u.ID)
		}
	})
}

func TestVerifyEmailExpiredToken(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		if err := f.svc.Register(f.ctx, actor, account.RegisterInput{Email: "late@example.org", Name: "Late", Password: "plum orchard at dusk"}); err != nil {
			t.Fatal(err)
		}
		u := f.userByEmail("late@example.org")
		tok := tokenIn(t, f.lastMail("late@example.org").Body, "/verify-email")
		f.set((*account.Token)(nil), "expires_at", database.Now().Add(-time.Second), "user_id = ?", u.ID)
		_, err := f.svc.VerifyEmail(f.ctx, actor, tok)
		wantErr(t, err, account.ErrTokenInvalid)
		if f.reload(u.ID).EmailVerifiedAt != nil {
			t.Fatal("an expired token verified the address")
		}
		// Just before expiry it still works.
		f.set((*account.Token)(nil), "expires_at", database.Now().Add(time.Minute), "user_id = ?", u.ID)
		if _, err := f.svc.VerifyEmail(f.ctx, actor, tok); err != nil {
			t.Fatalf("unexpired token refused: %v", err)
		}
	})
}

func TestRegisterValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		cases := []struct {
			name  string
			in    account.RegisterInput
			field string
		}{
			{"empty email", account.RegisterInput{Email: " ", Name: "A", Password: "plum orchard at dusk"}, "email"},
			{"not an email", account.RegisterInput{Email: "not-an-email", Name: "A", Password: "plum orchard at dusk"}, "email"},
			{"no dot in domain", account.RegisterInput{Email: "a@localhost", Name: "A", Password: "plum orchard at dusk"}, "email"},
			{"display-name form", account.RegisterInput{Email: "A <a@example.org>", Name: "A", Password: "plum orchard at dusk"}, "email"},
			{"empty name", account.RegisterInput{Email: "a@example.org", Name: "   ", Password: "plum orchard at dusk"}, "name"},
			{"long name", account.RegisterInput{Email: "a@example.org", Name: strings.Repeat("n", 121), Password: "plum orchard at dusk"}, "name"},
			{"short password", account.RegisterInput{Email: "a@example.org", Name: "A", Password: "short"}, "password"},
			{"common password", account.RegisterInput{Email: "a@example.org", Name: "A", Password: "Password1234!"}, "password"},
			{"password from email", account.RegisterInput{Email: "harriet@example.org", Name: "A", Password: "harriet-is-great"}, "password"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				wantField(t, f.svc.Register(f.ctx, actor, tc.in), tc.field)
			})
		}
		if n := f.count((*account.User)(nil), "1 = 1"); n != 0 {
			t.Fatalf("%d users created by invalid registrations", n)
		}
		if n := f.count((*notify.Message)(nil), "1 = 1"); n != 0 {
			t.Fatalf("%d mails sent for invalid registrations", n)
		}
	})
}

func TestRegisterDuplicateEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		if err := f.svc.Register(f.ctx, actor, account.RegisterInput{Email: "dup@example.org", Name: "Original Owner", Password: "plum orchard at dusk"}); err != nil {
			t.Fatal(err)
		}
		orig := f.userByEmail("dup@example.org")
		for i, email := range []string{"dup@example.org", "DUP@Example.Org", "  dup@example.ORG\t"} {
			if err := f.svc.Register(f.ctx, actor, account.RegisterInput{Email: email, Name: "Intruder", Password: "another secret phrase"}); err != nil {
				t.Fatalf("duplicate %q: %v (must answer as a new registration does)", email, err)
			}
			if n := f.count((*account.User)(nil), "1 = 1"); n != 1 {
				t.Fatalf("%d users after duplicate %q", n, email)
			}
			// One notice a day at most: further attempts the same day send nothing (issue #12).
			ms := f.mails("dup@example.org")
			if len(ms) != 2 {
				t.Fatalf("%d mails after duplicate %d, want 2 (the confirmation and one notice)", len(ms), i+1)
			}
			m := ms[0]
			if m.Subject != "Someone tried to register with your email" || !strings.Contains(m.Body, "you already have one") ||
				!strings.Contains(m.Body, "Hello Original Owner") || !strings.Contains(m.Body, "http://x.test/password/forgot") {
				t.Fatalf("duplicate notice %q:\n%s", m.Subject, m.Body)
			}
			if strings.Contains(m.Body, "token=") {
				t.Fatal("the duplicate notice carries a token")
			}
		}
		// The next day (the window rolled over) one more notice may go out.
		if _, err := f.db.NewDelete().TableExpr("rate_limits").Where("key LIKE 'notice:%'").Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Register(f.ctx, actor, account.RegisterInput{Email: "dup@example.org", Name: "Intruder", Password: "another secret phrase"}); err != nil {
			t.Fatal(err)
		}
		if ms := f.mails("dup@example.org"); len(ms) != 3 {
			t.Fatalf("%d mails the next day, want 3", len(ms))
		}
		now := f.reload(orig.ID)
		if now.PasswordHash != orig.PasswordHash || now.Name != "Original Owner" {
			t.Fatal("a duplicate registration changed the existing account")
		}
		if n := f.count((*account.Token)(nil), "1 = 1"); n != 1 {
			t.Fatalf("%d tokens, want only the original verification token", n)
		}
	})
}

func TestRegisterConcurrentSameEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = f.svc.Register(f.ctx, actor, account.RegisterInput{Email: "race@example.org", Name: fmt.Sprint("Racer ", i), Password: "plum orchard at dusk"})
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("register %d: %v", i, err)
			}
		}
		if c := f.count((*account.User)(nil), "email = ?", "race@example.org"); c != 1 {
			t.Fatalf("%d users for one address", c)
		}
	})
}

func TestAuthenticateErrorsRevealNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		u := f.user(account.RoleCandidate, "")
		disabled := f.user(account.RoleCandidate, "")
		f.set((*account.User)(nil), "disabled_at", database.Now(), "id = ?", disabled.ID)

		_, errWrong := f.svc.Authenticate(f.ctx, actor, u.Email, "not the password!")
		_, errUnknown := f.svc.Authenticate(f.ctx, actor, "nobody-here@example.org", "not the password!")
		_, errDisabledWrong := f.svc.Authenticate(f.ctx, actor, disabled.Email, "not the password!")
		// The password behind the timing-padding hash used for unknown emails opens nothing.
		_, errDummy := f.svc.Authenticate(f.ctx, actor, "nobody-here@example.org", "peeracademy-no-such-user-padding")
		var first *apperr.Error
		for name, err := range map[string]error{"wrong password": errWrong, "unknown email": errUnknown, "disabled, wrong password": errDisabledWrong, "padding password": errDummy} {
			wantErr(t, err, account.ErrBadCredentials)
			e := wantKind(t, err, apperr.Unauthenticated, "bad_credentials")
			if first == nil {
				first = e
			}
			if e.Code != first.Code || e.Message != first.Message || e.Kind != first.Kind || err.Error() != first.Error() {
				t.Fatalf("%s: error %+v differs from %+v", name, e, first)
			}
		}
		if n := f.auditCount("user.login_failed", u.ID); n != 1 {
			t.Fatalf("user.login_failed audit events = %d", n)
		}

		// Only with the right password does a disabled account say so.
		_, err := f.svc.Authenticate(f.ctx, actor, disabled.Email, fixturePassword)
		wantErr(t, err, account.ErrDisabled)

		got, err := f.svc.Authenticate(f.ctx, actor, "  "+strings.ToUpper(u.Email)+" ", fixturePassword)
		if err != nil || got.ID != u.ID {
			t.Fatalf("right password: %v %v", got, err)
		}
	})
}

func TestAuthenticateThrottlesPerAccount(t *testing.T) {
	clearOfWindowEdge(t, 15*time.Minute)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		u := f.user(account.RoleCandidate, "")
		other := f.user(account.RoleCandidate, "")
		// Five failures from five different addresses: the account limit is per account, not per IP.
		for i := range 5 {
			a := audit.Actor{IP: fmt.Sprintf("192.0.2.%d", i+1)}
			if _, err := f.svc.Authenticate(f.ctx, a, u.Email, "wrong guess number "+fmt.Sprint(i)); !errors.Is(err, account.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		_, err := f.svc.Authenticate(f.ctx, actor, u.Email, fixturePassword)
		wantErr(t, err, account.ErrThrottled)
		wantKind(t, err, apperr.TooMany, "too_many_attempts")
		// The email is normalised before counting: case does not evade the limit.
		_, err = f.svc.Authenticate(f.ctx, actor, strings.ToUpper(u.Email), fixturePassword)
		wantErr(t, err, account.ErrThrottled)
		// Another account from one of those addresses is unaffected.
		if _, err := f.svc.Authenticate(f.ctx, audit.Actor{IP: "192.0.2.1"}, other.Email, fixturePassword); err != nil {
			t.Fatalf("another account: %v", err)
		}
		// The limit lifts when the window rolls over.
		if _, err := f.db.NewDelete().TableExpr("rate_limits").Where("key = ?", "login:acct:"+u.Email).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Authenticate(f.ctx, actor, u.Email, fixturePassword); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestAuthenticateSuccessResetsAccountCount(t *testing.T) {
	clearOfWindowEdge(t, 15*time.Minute)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		u := f.user(account.RoleCandidate, "")
		for round := range 2 {
			for i := range 4 {
				if _, err := f.svc.Authenticate(f.ctx, actor, u.Email, "wrong guess "+fmt.Sprint(i)); !errors.Is(err, account.ErrBadCredentials) {
					t.Fatalf("round %d failure %d: %v", round, i, err)
				}
			}
			if _, err := f.svc.Authenticate(f.ctx, actor, u.Email, fixturePassword); err != nil {
				t.Fatalf("round %d: success after 4 failures refused: %v", round, err)
			}
		}
	})
}

func TestAuthenticateThrottlesPerIP(t *testing.T) {
	clearOfWindowEdge(t, 15*time.Minute)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		u := f.user(account.RoleCandidate, "")
		attacker := audit.Actor{IP: "198.51.100.9"}
		// 30 failures spread over 30 addresses: no account reaches its own limit.
		for i := range 30 {
			if _, err := f.svc.Authenticate(f.ctx, attacker, fmt.Sprintf("victim%02d@example.org", i), "guess"); !errors.Is(err, account.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		_, err := f.svc.Authenticate(f.ctx, attacker, u.Email, fixturePassword)
		wantErr(t, err, account.ErrThrottled)
		if _, err := f.svc.Authenticate(f.ctx, audit.Actor{IP: "198.51.100.10"}, u.Email, fixturePassword); err != nil {
			t.Fatalf("another address: %v", err)
		}
	})
}

// openPair opens two independent connections pools (two app instances) on one fresh database.
func openPair(t *testing.T, d dbtest.Dialect) (*account.Service, *account.Service) {
	t.Helper()
	ctx := context.Background()
	url := dbtest.URL(t, d)
	var svcs []*account.Service
	for i := range 2 {
		db, err := database.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if i == 0 {
			m, err := database.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
		}
		svcs = append(svcs, newService(db))
	}
	return svcs[0], svcs[1]
}

func TestThrottleSharedAcrossInstances(t *testing.T) {
	clearOfWindowEdge(t, 15*time.Minute)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		a, b := openPair(t, d)
		if a.DB == b.DB {
			t.Fatal("the two instances share a *bun.DB")
		}
		f := &fixture{t: t, ctx: context.Background(), db: a.DB, svc: a}
		u := f.user(account.RoleCandidate, "")
		for i, svc := range []*account.Service{a, b, a, b, b} {
			if _, err := svc.Authenticate(f.ctx, actor, u.Email, "wrong"); !errors.Is(err, account.ErrBadCredentials) {
				t.Fatalf("failure %d: %v", i+1, err)
			}
		}
		for name, svc := range map[string]*account.Service{"a": a, "b": b} {
			if _, err := svc.Authenticate(f.ctx, actor, u.Email, fixturePassword); !errors.Is(err, account.ErrThrottled) {
				t.Fatalf("instance %s after 5 failures split over two instances: %v", name, err)
			}
		}
		// Counts are visible through either instance's Throttle.
		na, err := a.Throttle.Count(f.ctx, "login:acct:"+u.Email)
		if err != nil {
			t.Fatal(err)
		}
		nb, err := b.Throttle.Count(f.ctx, "login:acct:"+u.Email)
		if err != nil {
			t.Fatal(err)
		}
		// Every attempt is counted before its password is checked: five failures and two refusals.
		if na != 7 || nb != 7 {
			t.Fatalf("counts %d and %d, want 7 and 7", na, nb)
		}
	})
}

func TestThrottleConcurrentHits(t *testing.T) {
	clearOfWindowEdge(t, 15*time.Minute)
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		a, b := openPair(t, d)
		ctx := context.Background()
		const per = 25
		var wg sync.WaitGroup
		results := make(chan int, 2*per)
		errs := make(chan error, 2*per)
		for _, th := range []account.Throttle{a.Throttle, b.Throttle} {
			for range per {
				wg.Add(1)
				go func() {
					defer wg.Done()
					n, err := th.Hit(ctx, "k")
					if err != nil {
						errs <- err
						return
					}
					results <- n
				}()
			}
		}
		wg.Wait()
		close(results)
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for n := range results {
			if seen[n] {
				t.Fatalf("two hits both returned count %d: increments are not atomic", n)
			}
			seen[n] = true
		}
		if n, _ := a.Throttle.Count(ctx, "k"); n != 2*per {
			t.Fatalf("count %d, want %d", n, 2*per)
		}
		if err := a.Throttle.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if n, _ := b.Throttle.Count(ctx, "k"); n != 0 {
			t.Fatalf("count after reset %d", n)
		}
	})
}

func TestSessionStages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		v := f.vendor("stages", true)
		cases := []struct {
			name string
			u    *account.User
			want string
		}{
			{"candidate", f.user(account.RoleCandidate, ""), account.StageFull},
			{"candidate who chose TOTP", f.user(account.RoleCandidate, "", withTOTP(testSecret)), account.StageMFA},
			{"trainer without TOTP", f.user(account.RoleTrainer, v.ID), account.StageMFASetup},
			{"vendor admin without TOTP", f.user(account.RoleVendorAdmin, v.ID), account.StageMFASetup},
			{"platform admin without TOTP", f.user(account.RolePlatformAdmin, ""), account.StageMFASetup},
			{"trainer with TOTP", f.user(account.RoleTrainer, v.ID, withTOTP(testSecret)), account.StageMFA},
			{"platform admin with TOTP", f.user(account.RolePlatformAdmin, "", withTOTP(testSecret)), account.StageMFA},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := database.Now()
				secret, s, err := f.svc.StartSession(f.ctx, actor, tc.u, account.KindWeb, strings.Repeat("A", 400))
				if err != nil {
					t.Fatal(err)
				}
				if s.Stage != tc.want {
					t.Fatalf("stage %q, want %q", s.Stage, tc.want)
				}
				if secret == "" || s.ID != account.HashSecret(secret) || s.UserID != tc.u.ID || s.Kind != account.KindWeb || s.IP != actor.IP || len(s.UserAgent) != 300 {
					t.Fatalf("session %+v", s)
				}
				if s.ExpiresAt.Before(before.Add(12*time.Hour-time.Second)) || s.ExpiresAt.After(before.Add(12*time.Hour+time.Minute)) {
					t.Fatalf("expires at %v, want about 12h from %v", s.ExpiresAt, before)
				}
				got, gu, err := f.svc.LookupSession(f.ctx, secret)
				if err != nil || got.Stage != tc.want || gu.ID != tc.u.ID {
					t.Fatalf("lookup: %+v %v", got, err)
				}
				logins := f.auditCount("user.login", tc.u.ID)
				if (tc.want == account.StageFull) != (logins == 1) {
					t.Fatalf("user.login audit events = %d for stage %s", logins, tc.want)
				}
			})
		}
	})
}

func TestLookupSessionTimeouts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		now := database.Now()
		cases := []struct {
			name      string
			kind      string
			mutate    func(f *fixture, u *account.User, id string)
			ok        bool
			refreshed bool // last_seen_at moved to now
		}{
			{"fresh", account.KindWeb, func(*fixture, *account.User, string) {}, true, false},
			{"idle 29 minutes", account.KindWeb, func(f *fixture, _ *account.User, id string) {
				f.set((*account.Session)(nil), "last_seen_at", now.Add(-29*time.Minute), "id = ?", id)
			}, true, true},
			{"idle 31 minutes", account.KindWeb, func(f *fixture, _ *account.User, id string) {
				f.set((*account.Session)(nil), "last_seen_at", now.Add(-31*time.Minute), "id = ?", id)
			}, false, false},
			{"absolute timeout passed", account.KindWeb, func(f *fixture, _ *account.User, id string) {
				f.set((*account.Session)(nil), "expires_at", now.Add(-time.Second), "id = ?", id)
			}, false, false},
			{"disabled user", account.KindWeb, func(f *fixture, u *account.User, _ string) {
				f.set((*account.User)(nil), "disabled_at", now, "id = ?", u.ID)
			}, false, false},
			{"deleted user", account.KindWeb, func(f *fixture, u *account.User, _ string) {
				if _, err := f.db.NewDelete().Model((*account.User)(nil)).Where("id = ?", u.ID).Exec(f.ctx); err != nil {
					f.t.Fatal(err)
				}
			}, false, false},
			{"api token idle for hours", account.KindAPI, func(f *fixture, _ *account.User, id string) {
				f.set((*account.Session)(nil), "last_seen_at", now.Add(-5*time.Hour), "id = ?", id)
			}, true, true},
			{"api token expired", account.KindAPI, func(f *fixture, _ *account.User, id string) {
				f.set((*account.Session)(nil), "expires_at", now.Add(-time.Second), "id = ?", id)
			}, false, false},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				f := *f
				f.t = t
				u := f.user(account.RoleCandidate, "")
				secret, s := f.session(u, tc.kind)
				tc.mutate(&f, u, s.ID)
				got, gu, err := f.svc.LookupSession(f.ctx, secret)
				if !tc.ok {
					wantErr(t, err, account.ErrNoSession)
					if got != nil || gu != nil {
						t.Fatal("a refused lookup returned a session")
					}
					return
				}
				if err != nil {
					t.Fatalf("lookup: %v", err)
				}
				if gu.ID != u.ID || got.ID != s.ID {
					t.Fatalf("lookup returned %+v for %+v", got, s)
				}
				row := new(account.Session)
				if err := f.db.NewSelect().Model(row).Where("id = ?", s.ID).Scan(f.ctx); err != nil {
					t.Fatal(err)
				}
				if tc.refreshed && !row.LastSeenAt.After(now.Add(-time.Minute)) {
					t.Fatalf("last_seen_at %v not refreshed", row.LastSeenAt)
				}
			})
		}
		// An idle or expired session is removed, not merely refused.
		u := f.user(account.RoleCandidate, "")
		secret, s := f.session(u, account.KindWeb)
		f.set((*account.Session)(nil), "last_seen_at", now.Add(-time.Hour), "id = ?", s.ID)
		if _, _, err := f.svc.LookupSession(f.ctx, secret); !errors.Is(err, account.ErrNoSession) {
			t.Fatal(err)
		}
		if f.sessionsOf(u.ID) != 0 {
			t.Fatal("idle session row kept")
		}
		// Unknown and empty tokens.
		for _, s := range []string{"", "nope", account.NewSecret()} {
			if _, _, err := f.svc.LookupSession(f.ctx, s); !errors.Is(err, account.ErrNoSession) {
				t.Fatalf("LookupSession(%q) = %v", s, err)
			}
		}
	})
}

func TestEndSessionAndPrune(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		u := f.user(account.RoleCandidate, "")
		s1, _ := f.session(u, account.KindWeb)
		s2, _ := f.session(u, account.KindWeb)
		a := audit.Actor{UserID: u.ID, Role: u.Role, IP: actor.IP}
		if err := f.svc.EndSession(f.ctx, a, s1); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.LookupSession(f.ctx, s1); !errors.Is(err, account.ErrNoSession) {
			t.Fatalf("ended session still works: %v", err)
		}
		if _, _, err := f.svc.LookupSession(f.ctx, s2); err != nil {
			t.Fatalf("the other session ended too: %v", err)
		}
		if n := f.auditCount("user.logout", u.ID); n != 1 {
			t.Fatalf("user.logout events %d", n)
		}
		if err := f.svc.EndSession(f.ctx, a, s1); err != nil {
			t.Fatal(err)
		}
		if n := f.auditCount("user.logout", u.ID); n != 1 {
			t.Fatalf("ending an ended session audited again (%d)", n)
		}

		// Prune removes expired and idle web sessions, keeps live ones and idle API tokens.
		now := database.Now()
		_, expired := f.session(u, account.KindWeb)
		_, idle := f.session(u, account.KindWeb)
		_, idleAPI := f.session(u, account.KindAPI)
		f.set((*account.Session)(nil), "expires_at", now.Add(-time.Second), "id = ?", expired.ID)
		f.set((*account.Session)(nil), "last_seen_at", now.Add(-time.Hour), "id = ?", idle.ID)
		f.set((*account.Session)(nil), "last_seen_at", now.Add(-time.Hour), "id = ?", idleAPI.ID)
		if err := f.svc.PruneSessions(f.ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			id   string
			want int
		}{{expired.ID, 0}, {idle.ID, 0}, {idleAPI.ID, 1}, {account.HashSecret(s2), 1}} {
			if n := f.count((*account.Session)(nil), "id = ?", c.id); n != c.want {
				t.Errorf("session %s: %d rows after prune, want %d", c.id[:8], n, c.want)
			}
		}
	})
}

func TestSetDisabled(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		va, vb := f.vendor("alpha", true), f.vendor("beta", true)
		adminA := f.user(account.RoleVendorAdmin, va.ID)
		adminA2 := f.user(account.RoleVendorAdmin, va.ID)
		trainerA := f.user(account.RoleTrainer, va.ID)
		trainerB := f.user(account.RoleTrainer, vb.ID)
		cand := f.user(account.RoleCandidate, "")
		platform := f.user(account.RolePlatformAdmin, "")
		for _, u := range []*account.User{trainerA, trainerB, cand} {
			f.session(u, account.KindWeb)
			f.session(u, account.KindWeb)
			f.session(u, account.KindAPI)
		}
		as := func(u *account.User) audit.Actor {
			return audit.Actor{UserID: u.ID, Role: u.Role, VendorID: u.Vendor(), IP: actor.IP}
		}
		const unknownID = "00000000-0000-0000-0000-000000000000"
		cases := []struct {
			name     string
			actor    *account.User
			target   string
			disable  bool
			wantKind apperr.Kind // 0: allowed
		}{
			{"vendor admin, other vendor's trainer", adminA, trainerB.ID, true, apperr.NotFound},
			{"vendor admin, candidate", adminA, cand.ID, true, apperr.NotFound},
			{"vendor admin, platform admin", adminA, platform.ID, true, apperr.NotFound},
			{"trainer, candidate", trainerA, cand.ID, true, apperr.NotFound},
			{"candidate, trainer", cand, trainerA.ID, true, apperr.NotFound},
			{"vendor admin, self", adminA, adminA.ID, true, apperr.Invalid},
			{"platform admin, self", platform, platform.ID, true, apperr.Invalid},
			{"unknown user", platform, unknownID, true, apperr.NotFound},
			{"vendor admin, own trainer", adminA, trainerA.ID, true, 0},
			{"vendor admin, fellow admin", adminA, adminA2.ID, true, 0},
			{"platform admin, candidate", platform, cand.ID, true, 0},
			{"platform admin, other vendor's trainer", platform, trainerB.ID, true, 0},
			{"vendor admin re-enables own trainer", adminA, trainerA.ID, false, 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var before *account.User
				if tc.target != unknownID {
					before = f.reload(tc.target)
				}
				sessions := 0
				if before != nil {
					sessions = f.sessionsOf(before.ID)
				}
				err := f.svc.SetDisabled(f.ctx, as(tc.actor), tc.actor, tc.target, tc.disable)
				if tc.wantKind != 0 {
					wantKind(t, err, tc.wantKind, "")
					if before != nil {
						after := f.reload(tc.target)
						if (after.DisabledAt == nil) != (before.DisabledAt == nil) || f.sessionsOf(before.ID) != sessions {
							t.Fatal("a refused SetDisabled changed the account")
						}
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				after := f.reload(tc.target)
				if (after.DisabledAt != nil) != tc.disable {
					t.Fatalf("disabled_at = %v, want disabled %v", after.DisabledAt, tc.disable)
				}
				if tc.disable && f.sessionsOf(tc.target) != 0 {
					t.Fatalf("%d sessions left after disabling", f.sessionsOf(tc.target))
				}
				action := "user.enable"
				if tc.disable {
					action = "user.disable"
				}
				evs, _, err := audit.List(f.ctx, f.db, audit.Filter{SubjectID: tc.target, Action: action})
				if err != nil || len(evs) != 1 {
					t.Fatalf("%s audit events: %d %v", action, len(evs), err)
				}
				if ev := evs[0]; ev.ActorID == nil || *ev.ActorID != tc.actor.ID || ev.SubjectType != "user" ||
					(after.VendorID != nil && (ev.VendorID == nil || *ev.VendorID != *after.VendorID)) {
					t.Fatalf("audit event %+v", ev)
				}
			})
		}
		// Sessions of users who were not disabled are untouched.
		if n := f.sessionsOf(adminA.ID); n != 0 {
			t.Fatalf("admin A has %d sessions, had none", n)
		}
		// A disabled user cannot sign in even with the right password; re-enabled can.
		if _, err := f.svc.Authenticate(f.ctx, actor, cand.Email, fixturePassword); !errors.Is(err, account.ErrDisabled) {
			t.Fatalf("disabled candidate: %v", err)
		}
		if _, err := f.svc.Authenticate(f.ctx, actor, trainerA.Email, fixturePassword); err != nil {
			t.Fatalf("re-enabled trainer: %v", err)
		}
	})
}

func TestCanManageUser(t *testing.T) {
	va, vb := "vendor-a", "vendor-b"
	mk := func(role string, vendor *string) *account.User {
		return &account.User{ID: role, Role: role, VendorID: vendor}
	}
	platform := mk(account.RolePlatformAdmin, nil)
	adminA := mk(account.RoleVendorAdmin, &va)
	trainerA, trainerB := mk(account.RoleTrainer, &va), mk(account.RoleTrainer, &vb)
	cand := mk(account.RoleCandidate, nil)
	cases := []struct {
		actor, target *account.User
		want          bool
	}{
		{platform, cand, true}, {platform, trainerB, true}, {platform, adminA, true},
		{adminA, trainerA, true}, {adminA, trainerB, false}, {adminA, cand, false}, {adminA, platform, false},
		{trainerA, trainerA, false}, {trainerA, cand, false}, {cand, cand, false},
	}
	for _, tc := range cases {
		if got := account.CanManageUser(tc.actor, tc.target); got != tc.want {
			t.Errorf("CanManageUser(%s of %s, %s of %s) = %v, want %v", tc.actor.Role, tc.actor.Vendor(), tc.target.Role, tc.target.Vendor(), got, tc.want)
		}
	}
}

func TestPasswordReset(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		u := f.user(account.RoleCandidate, "", unverified, withEmail("pat.lee@example.org"))

		// Unknown address: same answer, nothing sent, no token.
		if err := f.svc.RequestPasswordReset(f.ctx, actor, "nobody@example.org"); err != nil {
			t.Fatalf("unknown address: %v", err)
		}
		if n := len(f.mails("nobody@example.org")); n != 0 {
			t.Fatalf("%d mails to an unknown address", n)
		}
		if n := f.count((*account.Token)(nil), "1 = 1"); n != 0 {
			t.Fatalf("%d tokens for an unknown address", n)
		}
		wantField(t, f.svc.RequestPasswordReset(f.ctx, actor, "not an address"), "email")

		web1, _ := f.session(u, account.KindWeb)
		f.session(u, account.KindAPI)
		// Five failed sign-ins lock the account; a reset must lift that.
		for range 5 {
			if _, err := f.svc.Throttle.Hit(f.ctx, "login:acct:"+u.Email); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.svc.Authenticate(f.ctx, actor, u.Email, fixturePassword); !errors.Is(err, account.ErrThrottled) {
			t.Fatalf("locked account: %v", err)
		}

		if err := f.svc.RequestPasswordReset(f.ctx, actor, " PAT.LEE@example.org "); err != nil {
			t.Fatal(err)
		}
		m := f.lastMail(u.Email)
		if m.Subject != "Reset your PeerAcademy password" {
			t.Fatalf("subject %q", m.Subject)
		}
		tok := tokenIn(t, m.Body, "/password/reset")
		if err := f.svc.CheckResetToken(f.ctx, tok); err != nil {
			t.Fatalf("CheckResetToken: %v", err)
		}
		if n := f.auditCount("user.password_reset_requested", u.ID); n != 1 {
			t.Fatalf("password_reset_requested events %d", n)
		}

		// An unacceptable new password is refused and does not spend the token.
		for _, bad := range []string{"short", "Password1234!", "pat.lee-forever-2024", strings.Repeat("long ", 30)} {
			wantField(t, f.svc.ResetPassword(f.ctx, actor, tok, bad), "password")
		}
		if err := f.svc.CheckResetToken(f.ctx, tok); err != nil {
			t.Fatalf("a refused password spent the token: %v", err)
		}

		const newPW = "lantern over the quiet harbour"
		if err := f.svc.ResetPassword(f.ctx, actor, tok, newPW); err != nil {
			t.Fatal(err)
		}
		if n := f.sessionsOf(u.ID); n != 0 {
			t.Fatalf("%d sessions survive a password reset", n)
		}
		if _, _, err := f.svc.LookupSession(f.ctx, web1); !errors.Is(err, account.ErrNoSession) {
			t.Fatalf("old session after reset: %v", err)
		}
		after := f.reload(u.ID)
		if after.EmailVerifiedAt == nil {
			t.Fatal("a reset did not confirm the address")
		}
		if n := f.auditCount("user.password_reset", u.ID); n != 1 {
			t.Fatalf("password_reset events %d", n)
		}
		err := f.svc.ResetPassword(f.ctx, actor, tok, "a different new passphrase")
		wantErr(t, err, account.ErrTokenInvalid)
		wantErr(t, f.svc.CheckResetToken(f.ctx, tok), account.ErrTokenInvalid)

		if _, err := f.svc.Authenticate(f.ctx, actor, u.Email, fixturePassword); !errors.Is(err, account.ErrBadCredentials) {
			t.Fatalf("old password after reset: %v", err)
		}
		if got, err := f.svc.Authenticate(f.ctx, actor, u.Email, newPW); err != nil || got.ID != u.ID {
			t.Fatalf("new password after reset: %v", err)
		}
	})
}

func TestPasswordResetEdgeCases(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)

		t.Run("expired token", func(t *testing.T) {
			u := f.user(account.RoleCandidate, "")
			if err := f.svc.RequestPasswordReset(f.ctx, actor, u.Email); err != nil {
				t.Fatal(err)
			}
			tok := tokenIn(t, f.lastMail(u.Email).Body, "/password/reset")
			f.set((*account.Token)(nil), "expires_at", database.Now().Add(-time.Second), "user_id = ?", u.ID)
			wantErr(t, f.svc.CheckResetToken(f.ctx, tok), account.ErrTokenInvalid)
			wantErr(t, f.svc.ResetPassword(f.ctx, actor, tok, "lantern over the quiet harbour"), account.ErrTokenInvalid)
		})
		t.Run("verification token is not a reset token", func(t *testing.T) {
			if err := f.svc.Register(f.ctx, actor, account.RegisterInput{Email: "mix@example.org", Name: "Mix", Password: "plum orchard at dusk"}); err != nil {
				t.Fatal(err)
			}
			tok := tokenIn(t, f.lastMail("mix@example.org").Body, "/verify-email")
			wantErr(t, f.svc.ResetPassword(f.ctx, actor, tok, "lantern over the quiet harbour"), account.ErrTokenInvalid)
		})
		t.Run("disabled account gets no mail", func(t *testing.T) {
			u := f.user(account.RoleCandidate, "", func(u *account.User) { now := database.Now(); u.DisabledAt = &now })
			if err := f.svc.RequestPasswordReset(f.ctx, actor, u.Email); err != nil {
				t.Fatal(err)
			}
			if n := len(f.mails(u.Email)); n != 0 {
				t.Fatalf("%d mails to a disabled account", n)
			}
		})
		t.Run("requests are capped per address", func(t *testing.T) {
			u := f.user(account.RoleCandidate, "")
			for range 8 {
				if err := f.svc.RequestPasswordReset(f.ctx, actor, u.Email); err != nil {
					t.Fatal(err)
				}
			}
			if n := len(f.mails(u.Email)); n != 5 {
				t.Fatalf("%d reset mails after 8 requests, want 5", n)
			}
		})
	})
}

func TestResetTokenConcurrentUse(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		u := f.user(account.RoleCandidate, "")
		if err := f.svc.RequestPasswordReset(f.ctx, actor, u.Email); err != nil {
			t.Fatal(err)
		}
		tok := tokenIn(t, f.lastMail(u.Email).Body, "/password/reset")

		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		ctx, cancel := context.WithTimeout(f.ctx, 30*time.Second)
		defer cancel()
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = f.svc.ResetPassword(ctx, actor, tok, fmt.Sprintf("racing passphrase number %02d", i))
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("both %d and %d consumed the token", winner, i)
				}
				winner = i
			case !errors.Is(err, account.ErrTokenInvalid):
				t.Errorf("goroutine %d: %v, want ErrTokenInvalid", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no goroutine consumed the token")
		}
		if n := f.auditCount("user.password_reset", u.ID); n != 1 {
			t.Fatalf("%d password_reset events", n)
		}
		// The winner's password is the one stored.
		if !account.CheckPassword(fmt.Sprintf("racing passphrase number %02d", winner), f.reload(u.ID).PasswordHash) {
			t.Fatal("the stored password is not the winner's")
		}
	})
}
