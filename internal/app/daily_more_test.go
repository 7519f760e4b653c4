package app_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/report"

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

// The exam administration is three sections with links, not one long page; results filter by
// cohort and outcome with a pass-rate chart and a score distribution beside their tables; the item
// analysis pages by 25 and filters by domain and flag, with its chart.
func TestExamAdminSections(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	p := env.PassedWritten("examsections")
	c := cookie(env, p.Admin)
	page := apptest.Body(get(env, "/vendor/exam", c))
	if !strings.Contains(page, `action="/vendor/exam/settings"`) || strings.Contains(page, "/retire") || strings.Contains(page, "<h2 id=\"items-h\">") ||
		!strings.Contains(page, `<a href="/vendor/exam?section=items">Item analysis</a>`) || !strings.Contains(page, `<a href="/vendor/exam?section=results">Results by cohort</a>`) {
		t.Error("the first section is not the settings alone, with links to the others")
	}

	var cohortID string
	if err := env.App.DB.NewSelect().Table("cohorts").Column("id").Where("vendor_id = ?", p.Vendor.ID).Scan(context.Background(), &cohortID); err != nil {
		t.Fatal(err)
	}
	res := html.UnescapeString(apptest.Body(get(env, "/vendor/exam?section=results&cohort="+cohortID, c)))
	for _, want := range []string{`<figcaption id="pass-rate-cap">`, `<th scope="row">Autumn</th><td>100% (1 of 1)</td>`, `<figcaption id="scores-cap">Written-exam scores, Autumn, attempts per band</figcaption>`,
		"Zoë Nuñez-O'Brien", "1 attempt ·"} {
		if !strings.Contains(res, want) {
			t.Errorf("results section lacks %q", want)
		}
	}
	if strings.Contains(res, " style=") {
		t.Error("a chart uses an inline style (the CSP blocks it)")
	}
	if res := html.UnescapeString(apptest.Body(get(env, "/vendor/exam?section=results&cohort="+cohortID+"&outcome=not_passed", c))); strings.Contains(res, "Zoë Nuñez-O'Brien") || !strings.Contains(res, "No attempts match.") {
		t.Error("the outcome filter keeps a passed attempt")
	}

	items := apptest.Body(get(env, "/vendor/exam?section=items", c))
	rows := strings.Count(items, `/retire" novalidate`) + strings.Count(items, `/restore"`)
	if rows != 25 || !strings.Contains(items, `offset=25`) || !strings.Contains(items, `<figcaption id="items-cap">`) {
		t.Errorf("item analysis: %d rows on the first page (want 25), next link %v", rows, strings.Contains(items, "offset=25"))
	}
	domain := regexp.MustCompile(`<option value="([^"]+)">`).FindStringSubmatch(items[strings.Index(items, `id="f-domain"`):])
	if domain == nil {
		t.Fatal("no domain filter")
	}
	filtered := apptest.Body(get(env, "/vendor/exam?section=items&domain="+url.QueryEscape(html.UnescapeString(domain[1])), c))
	if n := strings.Count(filtered, "<td>"+domain[1]+"</td>"); n == 0 || strings.Count(filtered, `/retire" novalidate`) != n {
		t.Errorf("domain filter %q: %d rows in the domain of %d", domain[1], n, strings.Count(filtered, `/retire" novalidate`))
	}
	if retired := apptest.Body(get(env, "/vendor/exam?section=items&flag=retired", c)); !strings.Contains(retired, "No item matches.") {
		t.Error("the retired filter lists items though none is retired")
	}
}

// The certificates page charts the holders' CE standing and the certificates issued per month, each
// with its table.
func TestCertificateCharts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		p, _ := env.Certified("certcharts")
		page := html.UnescapeString(apptest.Body(get(env, "/vendor/certificates", cookie(env, p.Admin))))
		month := time.Now().In(ce.Pennsylvania).Format("Jan 2006")
		for _, want := range []string{`<figcaption id="ce-standing-cap">`, `<th scope="row">On track</th><td>1</td>`, `<th scope="row">Lapsed</th><td>0</td>`,
			`<figcaption id="per-month-cap">`, `<th scope="row">` + month + `</th><td>1</td>`, `<rect class="chart-bar chart-ok"`} {
			if !strings.Contains(page, want) {
				t.Errorf("certificates page lacks %q", want)
			}
		}
		if strings.Count(page, `<th scope="row">`+month+`</th>`) != 1 || strings.Count(page, `<rect class="chart-bar"`) != 12 {
			t.Error("the per-month chart does not have one bar for each of 12 months")
		}
	})
}

// The candidate's dashboard dates the written exam and the oral exam.
func TestCandidateDashboardShowsExamDates(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	p := env.PassedWritten("examdates")
	env.PassedOral(p)
	page := html.UnescapeString(apptest.Body(get(env, "/dashboard", cookie(env, p.Cand))))
	today := time.Now().In(ce.Pennsylvania).Format("January 2, 2006")
	if !regexp.MustCompile(`Attempt 1 on ` + today + `: [\d.]+%, passed`).MatchString(page) {
		t.Error("the written exam's date is not shown")
	}
	if !regexp.MustCompile(`Exam on [A-Z][a-z]+ \d+, \d{4}: total \d+ of \d+, passed`).MatchString(page) {
		t.Error("the oral exam's date is not shown")
	}
}

// A holder is on track early in a cycle, at risk in its last 60 days with the rule unmet, and lapsed
// once marked so; certificates count in the month of their first issue.
func TestCEStandingAndMonths(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		ctx := context.Background()
		p, cert := env.Certified("standing")
		for _, tc := range []struct {
			at   time.Time
			want report.CEStanding
		}{
			{cert.IssuedAt.AddDate(0, 1, 0), report.CEStanding{OnTrack: 1}},
			{cert.IssuedAt.AddDate(0, 11, 0), report.CEStanding{AtRisk: 1}},
		} {
			if got, err := report.ForCEStanding(ctx, env.App.DB, p.Vendor.ID, tc.at); err != nil || got != tc.want {
				t.Errorf("standing at %s: %+v (%v), want %+v", tc.at, got, err, tc.want)
			}
		}
		if _, err := env.App.DB.NewUpdate().Table("certificates").Set("lapsed_at = ?", cert.IssuedAt).Where("id = ?", cert.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if got, err := report.ForCEStanding(ctx, env.App.DB, p.Vendor.ID, cert.IssuedAt.AddDate(0, 1, 0)); err != nil || got != (report.CEStanding{Lapsed: 1}) {
			t.Errorf("standing when lapsed: %+v (%v)", got, err)
		}
		ms, err := report.ForCertificatesPerMonth(ctx, env.App.DB, p.Vendor.ID, cert.IssuedAt.AddDate(0, 2, 0), 3)
		if err != nil || len(ms) != 3 || ms[0].Count != 1 || ms[1].Count != 0 || ms[2].Count != 0 {
			t.Errorf("per month two months on: %+v (%v)", ms, err)
		}
	})
}

// A CE proof downloads under the name the holder gave it, for the holder and for the vendor.
func TestCEProofKeepsItsName(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	p, cert := env.Certified("ceproofname")
	c := cookie(env, p.Cand)
	token, _ := env.CSRF("/dashboard", c)
	body, ct := multipartBody(t, "proof", `C:\scans\Ética – workshop.pdf`, apptest.ProofPDF, map[string]string{"_csrf": token,
		"title": "Ethics workshop", "provider": "Harbor", "date": time.Now().In(ce.Pennsylvania).Format("2006-01-02"), "hours": "2", "category": "ethics"})
	req, _ := http.NewRequest("POST", "/certificates/"+cert.ID+"/ce", body)
	req.Header.Set("Content-Type", ct)
	req.AddCookie(c)
	if resp := env.Do(req); resp.StatusCode != 303 {
		t.Fatalf("record CE: %d %.300s", resp.StatusCode, apptest.Body(resp))
	}
	var id string
	if err := env.App.DB.NewSelect().Table("ce_activities").Column("id").Where("certificate_id = ?", cert.ID).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	want := `attachment; filename="_tica _ workshop.pdf"; filename*=UTF-8''%C3%89tica%20%E2%80%93%20workshop.pdf`
	for _, who := range []*account.User{p.Cand, p.Admin} {
		if got := get(env, "/ce/"+id+"/proof", cookie(env, who)).Header.Get("Content-Disposition"); got != want {
			t.Errorf("%s downloads the proof as %q", who.Role, got)
		}
	}
}
