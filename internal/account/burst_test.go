package account_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// burst runs n calls at once (released together) and returns their errors in order.
func burst(n int, call func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = call(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// tally counts wrong-password answers (a password was checked) and refusals by the throttle.
func tally(t *testing.T, errs []error) (checked, throttled int) {
	t.Helper()
	for _, err := range errs {
		switch {
		case errors.Is(err, account.ErrBadCredentials):
			checked++
		case errors.Is(err, account.ErrThrottled):
			throttled++
			if e, _ := apperr.As(err); e.RetryAfter <= 0 {
				t.Errorf("throttled without a Retry-After: %+v", e)
			}
		default:
			t.Errorf("unexpected answer: %v", err)
		}
	}
	return checked, throttled
}

// TestAuthenticateBurstPerAccount sends 40 guesses for one account at once, split over two app
// instances and 40 addresses: at most the limit of passwords may be checked, and the right password
// sent inside a burst of guesses is refused.
func TestAuthenticateBurstPerAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		a, b := openPair(t, d)
		for _, s := range []*account.Service{a, b} {
			s.Hasher = account.NewHasher(2, time.Minute) // keeps the test's memory small; checked guesses still overlap
		}
		f := &fixture{t: t, ctx: context.Background(), db: a.DB, svc: a}
		u := f.user(account.RoleCandidate, "")
		inst := []*account.Service{a, b}
		errs := burst(40, func(i int) error {
			_, err := inst[i%2].Authenticate(f.ctx, audit.Actor{IP: fmt.Sprintf("192.0.2.%d", i+1)}, u.Email, fmt.Sprintf("wrong guess %d", i))
			return err
		})
		checked, throttled := tally(t, errs)
		if checked > a.MaxFailuresPerAccount || checked+throttled != 40 {
			t.Fatalf("40 concurrent guesses: %d passwords checked, %d refused; want at most %d checked", checked, throttled, a.MaxFailuresPerAccount)
		}
		// The right password inside a second burst of guesses.
		errs = burst(10, func(i int) error {
			pw := fmt.Sprintf("another wrong guess %d", i)
			if i == 5 {
				pw = fixturePassword
			}
			_, err := inst[i%2].Authenticate(f.ctx, audit.Actor{IP: fmt.Sprintf("198.51.100.%d", i+1)}, u.Email, pw)
			return err
		})
		if !errors.Is(errs[5], account.ErrThrottled) {
			t.Fatalf("right password inside the burst: %v, want it refused", errs[5])
		}
	})
}

// TestAuthenticateBurstPerAddress sends 40 guesses at once from one address, each for a different
// account: at most the per-address limit of passwords may be checked.
func TestAuthenticateBurstPerAddress(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		f.svc.MaxFailuresPerIP = 10
		f.svc.Hasher = account.NewHasher(2, time.Minute)
		attacker := audit.Actor{IP: "198.51.100.9"}
		errs := burst(40, func(i int) error {
			_, err := f.svc.Authenticate(f.ctx, attacker, fmt.Sprintf("victim%02d@example.org", i), "guess")
			return err
		})
		checked, throttled := tally(t, errs)
		if checked > 10 || checked+throttled != 40 {
			t.Fatalf("40 concurrent guesses from one address: %d checked, %d refused; want at most 10 checked", checked, throttled)
		}
	})
}

// TestConfirmationMailsLimited: signing in to an unconfirmed account re-sends the confirmation link,
// at most three times an hour per account and within the per-address allowance, so sign-in cannot be
// used to flood an inbox.
func TestConfirmationMailsLimited(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		f.svc.Limits.ConfirmMailPerHour = 4
		u := f.user(account.RoleCandidate, "", unverified)
		for i := range 6 {
			if _, err := f.svc.Authenticate(f.ctx, audit.Actor{IP: fmt.Sprintf("192.0.2.%d", i+1)}, u.Email, fixturePassword); !errors.Is(err, account.ErrUnverified) {
				t.Fatalf("sign-in %d: %v", i+1, err)
			}
		}
		if n := len(f.mails(u.Email)); n != 3 {
			t.Fatalf("%d confirmation emails after 6 sign-ins, want 3", n)
		}
		// One address signing in to many unconfirmed accounts: four emails, then none.
		sent := 0
		for range 6 {
			v := f.user(account.RoleCandidate, "", unverified)
			if _, err := f.svc.Authenticate(f.ctx, actor, v.Email, fixturePassword); !errors.Is(err, account.ErrUnverified) {
				t.Fatal(err)
			}
			sent += len(f.mails(v.Email))
		}
		if sent != 4 {
			t.Fatalf("%d confirmation emails from one address, want 4", sent)
		}
	})
}
