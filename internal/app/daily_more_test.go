package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"

	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// "Renew" is offered only when the certificate service would renew: a new certificate, with no
// continuing education yet, shows why instead of a button that ends in an error.
func TestRenewOnlyWhenPossible(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	p, cert := env.Certified("renewbtn")
	page := apptest.Body(get(env, "/vendor/certificates", cookie(env, p.Admin)))
	if !strings.Contains(page, cert.Number) {
		t.Fatalf("the certificate is not listed")
	}
	if strings.Contains(page, `/vendor/certificates/`+cert.ID+`/renew"`) || !strings.Contains(page, "Renewal opens once its continuing education is met.") {
		t.Error("Renew offered for a certificate whose CE is not met")
	}
}

// When day 1 opens, each enrolled candidate gets "Your course has opened" once, however many app
// instances run the job at the same time; a withdrawn candidate gets none, and a cohort that opened
// long ago sends nothing.
func TestCourseOpenedEmail(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		ctx := context.Background()
		vendor := env.Vendor("opened")
		admin := env.User(account.RoleVendorAdmin, vendor.ID)
		a, b, w := env.User(account.RoleCandidate, ""), env.User(account.RoleCandidate, ""), env.User(account.RoleCandidate, "")
		co, err := env.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{Name: "Spring morning", Delivery: "virtual", Capacity: 5, Dates: tenDays(3)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*account.User{a, b, w} {
			env.Enroll(admin, co.ID, c)
		}
		if err := env.App.Cohorts.Withdraw(ctx, audit.System, admin, co.ID, w.ID); err != nil {
			t.Fatal(err)
		}
		var opens time.Time
		if err := env.App.DB.NewSelect().Table("cohort_sessions").Column("opens_at").Where("cohort_id = ? AND day = 1", co.ID).Scan(ctx, &opens); err != nil {
			t.Fatal(err)
		}
		count := func(u *account.User) int {
			n, err := env.App.DB.NewSelect().Table("outbox_emails").Where("to_addr = ? AND subject = ?", strings.ToLower(u.Email), "Your course has opened: Spring morning").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		if n, err := env.App.Cohorts.SendCourseOpened(ctx, opens.Add(-time.Minute)); err != nil || n != 0 {
			t.Fatalf("before day 1 opens: %d sent (%v)", n, err)
		}
		// Three instances at once, a minute after day 1 opened.
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := env.App.Cohorts.SendCourseOpened(ctx, opens.Add(time.Minute))
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if n, err := env.App.Cohorts.SendCourseOpened(ctx, opens.Add(time.Hour)); err != nil || n != 0 || total != 2 {
			t.Errorf("sent %d at once, then %d (%v); want 2 then 0", total, n, err)
		}
		if count(a) != 1 || count(b) != 1 || count(w) != 0 {
			t.Errorf("emails: a %d, b %d, withdrawn %d", count(a), count(b), count(w))
		}
		if m := env.LastMail(a.Email); !strings.Contains(m.Body, "Your Certified Peer Specialist course has opened: Spring morning.") || !strings.Contains(m.Body, "http://peeracademy.test/learn") {
			t.Errorf("course-opened email:\n%s", m.Body)
		}
		// Someone enrolled after the catch-up window gets no "opened" email for it.
		late := env.User(account.RoleCandidate, "")
		env.Enroll(admin, co.ID, late)
		if n, err := env.App.Cohorts.SendCourseOpened(ctx, opens.Add(cohort.OpeningCatchUp+time.Minute)); err != nil || n != 0 {
			t.Errorf("after the catch-up window: %d sent (%v)", n, err)
		}
	})
}
