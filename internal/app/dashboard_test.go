package app_test

import (
	"context"
	"fmt"
	"html"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// The candidate's dashboard lists the five steps to certification, each saying what the service
// that owns it says (the exam gates), at two stages: nothing done yet, and enrolled with the
// coursework under way.
func TestDashboardStepsFollowTheGates(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		cand := env.User(account.RoleCandidate, "")
		c := cookie(env, cand)
		page := func() string {
			t.Helper()
			resp := get(env, "/dashboard", c)
			if resp.StatusCode != 200 {
				t.Fatalf("dashboard: %d", resp.StatusCode)
			}
			return html.UnescapeString(apptest.Body(resp))
		}
		want := func(stage, body string, texts ...string) {
			t.Helper()
			for _, s := range texts {
				if !strings.Contains(body, s) {
					t.Errorf("%s: the dashboard lacks %q", stage, s)
				}
			}
		}
		want("new candidate", page(), "Apply to a training organisation", "Not started",
			"Opens once you are enrolled in a cohort",
			"The written exam opens once you are enrolled in a cohort and have completed the coursework.",
			"You can book the oral exam once you have passed the written exam.",
			"Receive your certificate", "Your training organisation issues it once both examinations are passed.")

		vendor := env.Vendor("dashvendor")
		admin := env.User(account.RoleVendorAdmin, vendor.ID)
		co, err := env.App.Cohorts.Create(context.Background(), audit.System, admin, cohort.CreateInput{Name: "Dash", Delivery: "virtual", Capacity: 5, Dates: tenDays(-2)})
		if err != nil {
			t.Fatal(err)
		}
		env.Enroll(admin, co.ID, cand)
		body := page()
		want("enrolled", body, "Approved", fmt.Sprintf("0 of %d modules", len(env.App.Curriculum.Modules())),
			"The written exam opens when you have completed every module and the required training hours.")
		if n := strings.Count(body, `<span class="badge ok">Done</span>`); n != 1 {
			t.Errorf("enrolled: %d steps marked done; want 1 (the approved application)", n)
		}
	})
}
