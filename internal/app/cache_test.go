package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// The session and day-opening caches must never outlive what the database says. Two app instances
// share one database; each change is made directly in the database through instance B (no service
// method, so nothing but the change feed can tell A), and A must reflect it: on SQLite at once (one
// process, the connection's hooks), on PostgreSQL as soon as the notification arrives.
func TestCachesFollowWritesFromAnotherInstance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		a := apptest.New(t, d)
		b := apptest.New(t, d, func(c *config.Config) { c.DatabaseURL = a.App.Cfg.DatabaseURL })
		vendor := a.Vendor("cachevendor")
		admin := a.User(account.RoleVendorAdmin, vendor.ID)
		co, err := a.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{Name: "Cache", Delivery: "virtual", Capacity: 5, Dates: tenDays(-3)})
		if err != nil {
			t.Fatal(err)
		}
		cand := a.User(account.RoleCandidate, "")
		a.Enroll(admin, co.ID, cand)
		c := cookie(a, cand)
		module := a.App.Curriculum.Modules()[0].URL()

		// eventually polls A until the page answers want; SQLite must answer it on the first try.
		eventually := func(what, path string, want int) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for tries := 1; ; tries++ {
				resp := get(a, path, c)
				resp.Body.Close()
				if resp.StatusCode == want {
					if d == dbtest.SQLite && tries > 1 {
						t.Errorf("%s: took %d requests on SQLite; want the first", what, tries)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: %s still answers %d after 5s; want %d", what, path, resp.StatusCode, want)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		warm := func(path string) { // twice: the second answer comes from the cache
			t.Helper()
			for range 2 {
				if resp := get(a, path, c); resp.StatusCode != 200 {
					t.Fatalf("warm-up %s: %d", path, resp.StatusCode)
				}
			}
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := b.App.DB.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		now := database.Now()

		// Disabling the account (without ending its sessions) signs it out on A.
		warm("/dashboard")
		exec("UPDATE users SET disabled_at = ? WHERE id = ?", now, cand.ID)
		eventually("disabled account", "/dashboard", http.StatusSeeOther)
		exec("UPDATE users SET disabled_at = NULL WHERE id = ?", cand.ID)
		eventually("re-enabled account", "/dashboard", http.StatusOK)

		// A role change takes effect: a platform admin may not open the candidate's course page.
		warm("/learn")
		exec("UPDATE users SET role = ? WHERE id = ?", account.RolePlatformAdmin, cand.ID)
		eventually("role change", "/learn", http.StatusForbidden)
		exec("UPDATE users SET role = ? WHERE id = ?", account.RoleCandidate, cand.ID)
		eventually("role restored", "/learn", http.StatusOK)

		// Moving the cohort's first day into the future locks its module; withdrawing hides it.
		warm(module)
		exec("UPDATE cohort_sessions SET opens_at = ? WHERE cohort_id = ? AND day = 1", now.Add(48*time.Hour), co.ID)
		eventually("day moved", module, http.StatusForbidden)
		exec("UPDATE cohort_sessions SET opens_at = ? WHERE cohort_id = ? AND day = 1", now.Add(-48*time.Hour), co.ID)
		eventually("day moved back", module, http.StatusOK)
		exec("UPDATE enrollments SET status = ? WHERE candidate_id = ?", cohort.EnrollWithdrawn, cand.ID)
		eventually("withdrawn", module, http.StatusForbidden)
		exec("UPDATE enrollments SET status = ? WHERE candidate_id = ?", cohort.EnrollActive, cand.ID)
		eventually("re-enrolled", module, http.StatusOK)

		// Signing out elsewhere (the session row deleted) ends it here.
		warm("/dashboard")
		exec("DELETE FROM sessions WHERE id = ?", account.HashSecret(c.Value))
		eventually("session deleted", "/dashboard", http.StatusSeeOther)
	})
}
