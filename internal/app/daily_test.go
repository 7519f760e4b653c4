package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"image/png"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/report"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

var qrSrcRE = regexp.MustCompile(`<img src="([^"]*)" width="240"`)

// The authenticator QR code reaches the page as a PNG data URL, not as html/template's #ZgotmplZ.
func TestMFASetupShowsTheQRCode(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	cand := env.User(account.RoleCandidate, "")
	resp := get(env, "/account/mfa", cookie(env, cand))
	body := apptest.Body(resp)
	if resp.StatusCode != 200 {
		t.Fatalf("mfa setup: %d", resp.StatusCode)
	}
	m := qrSrcRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no QR image on the page")
	}
	const prefix = "data:image/png;base64,"
	if !strings.HasPrefix(m[1], prefix) {
		t.Fatalf("QR image src %.40q is not a PNG data URL", m[1])
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(html.UnescapeString(m[1]), prefix))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
		t.Fatalf("QR image does not decode: %v", err)
	}
}

// The certificate page shows the CE cycle from the Pennsylvania issue date, not a day earlier.
func TestCertificatePageShowsTheCycleFromTheIssueDate(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	p, cert := env.Certified("cyclevendor")
	body := html.UnescapeString(apptest.Body(get(env, "/certificates/"+cert.ID, cookie(env, p.Cand))))
	first := ce.Day(cert.IssuedAt)
	want := "Cycle " + ce.FormatDate(first) + " to " + ce.FormatDate(first.AddDate(1, 0, -1))
	if !strings.Contains(body, want) {
		t.Fatalf("certificate page lacks %q", want)
	}
}

// CSV downloads start with a UTF-8 byte-order mark so that Excel opens them as UTF-8 on a double-click.
func TestCSVDownloadsStartWithAByteOrderMark(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	p, _ := env.Certified("csvvendor")
	c := cookie(env, p.Admin)
	var cohortID string
	if err := env.App.DB.NewSelect().Table("cohorts").Column("id").Where("vendor_id = ?", p.Vendor.ID).Limit(1).Scan(context.Background(), &cohortID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/vendor/certificates/export.csv", "/vendor/reports.csv", "/vendor/exam/cohorts/" + cohortID + "/results.csv"} {
		resp := get(env, path, c)
		body := apptest.Body(resp)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
			continue
		}
		if !strings.HasPrefix(body, "\uFEFF") || strings.Count(body, "\uFEFF") != 1 {
			t.Errorf("%s does not start with one byte-order mark: %.20q", path, body)
		}
	}
}

// People read words, not codes: a CE category and status in words, counts with the right plural;
// the home page links to the public look-up and every page names a favicon that is served.
func TestPagesShowWordsNotCodes(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	ctx := context.Background()
	p, cert := env.Certified("wordsvendor")
	if _, err := env.App.CE.Record(ctx, p.CandActor(), p.Cand, cert.ID, ce.ActivityInput{Title: "Recovery circle", Provider: "County", Date: ce.Day(cert.IssuedAt).Format(ce.DateLayout), Hours: "2", Category: ce.PeerSupportRecovery}, nil); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{
		"holder": html.UnescapeString(apptest.Body(get(env, "/certificates/"+cert.ID, cookie(env, p.Cand)))),
		"vendor": html.UnescapeString(apptest.Body(get(env, "/vendor/certificates", cookie(env, p.Admin)))),
	}
	for who, body := range pages {
		if strings.Contains(body, "<td>peer_support_recovery</td>") || !strings.Contains(body, "<td>peer support or recovery</td>") {
			t.Errorf("%s: the CE category is not in words", who)
		}
	}
	if !strings.Contains(pages["holder"], "<td>waiting for review</td>") {
		t.Error("holder: the activity's status is not in words")
	}
	if !strings.Contains(pages["vendor"], `<label class="inline-label" for="cr-`) || !strings.Contains(pages["vendor"], `">Reason for revoking<span class="visually-hidden"> `+cert.Number) {
		t.Error("vendor: the reason fields have no visible labels")
	}
	if !strings.Contains(pages["vendor"], "1 cohort, 1 candidate enrolled") {
		t.Error(`vendor: the dashboard does not say "1 cohort, 1 candidate enrolled"`)
	}

	home := apptest.Body(get(env, "/", nil))
	if !strings.Contains(home, `<a href="/verify">Look up a certificate</a>`) {
		t.Error("home: no link to the public look-up")
	}
	m := regexp.MustCompile(`<link rel="icon" href="([^"]+)" type="image/svg\+xml">`).FindStringSubmatch(home)
	if m == nil {
		t.Fatal("home: no favicon link")
	}
	resp := get(env, m[1], nil)
	if b := apptest.Body(resp); resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(b, "<svg") {
		t.Errorf("favicon %s: %d %s", m[1], resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

// A booking made inside the cancellation cutoff: the page says it can no longer be changed here and
// who can change it, offers no Cancel button (it led to "You do not have access"), and counts the
// other open times correctly; the email does not promise a change deadline already past; the
// booking's calendar file downloads from the page.
func TestLateOralBooking(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		ctx := context.Background()
		p := env.PassedWritten("lateoral")
		now := time.Now().UTC().Truncate(time.Minute)
		var ids []string
		for i, at := range []time.Time{now.Add(3 * time.Hour), now.Add(72 * time.Hour), now.Add(96 * time.Hour)} {
			sl := &oral.Slot{ID: uuid.NewString(), VendorID: p.Vendor.ID, TrainerID: p.Trainer.ID, StartsAt: at, EndsAt: at.Add(45 * time.Minute),
				Mode: oral.ModeInPerson, Location: "Room " + strconv.Itoa(i+1), Status: oral.SlotOpen, CreatedAt: now}
			if _, err := env.App.DB.NewInsert().Model(sl).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, sl.ID)
		}
		b, err := env.App.Oral.Book(ctx, p.CandActor(), p.Cand, ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if m := env.LastMail(p.Cand.Email); strings.Contains(m.Body, "You can cancel or reschedule until") || !strings.Contains(m.Body, "can no longer be cancelled or moved online") {
			t.Errorf("confirmation of a late booking:\n%s", m.Body)
		}
		c := cookie(env, p.Cand)
		page := html.UnescapeString(apptest.Body(get(env, "/oral", c)))
		for _, want := range []string{"This booking can no longer be cancelled or moved here", "If you cannot attend, contact " + p.Vendor.Name, "2 other times are open.", `href="/oral/bookings/` + b.ID + `/calendar.ics"`} {
			if !strings.Contains(page, want) {
				t.Errorf("oral page lacks %q", want)
			}
		}
		for _, no := range []string{"You can cancel or change it until", `action="/oral/bookings/` + b.ID + `/cancel"`, "No other open times"} {
			if strings.Contains(page, no) {
				t.Errorf("oral page shows %q for a late booking", no)
			}
		}
		resp := get(env, "/oral/bookings/"+b.ID+"/calendar.ics", c)
		body := apptest.Body(resp)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/calendar") || !strings.Contains(body, "UID:"+oral.BookingUID(b.ID)) {
			t.Errorf("calendar download: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if resp := get(env, "/oral/bookings/"+b.ID+"/calendar.ics", cookie(env, env.User(account.RoleCandidate, ""))); resp.StatusCode != 404 {
			t.Errorf("another candidate downloaded the booking's calendar: %d", resp.StatusCode)
		}
	})
}

// The vendor admin's dashboard lists the work waiting, with counts, oldest first, each linking to the
// work: applications to review, cohorts starting soon without a trainer, oral exams taken and not graded.
func TestVendorWorkQueues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		ctx := context.Background()
		p := env.PassedWritten("queues") // a cohort with a trainer; the candidate has passed the written exam
		now := time.Now().UTC()

		// Two submitted applications, the older first.
		var apps []string
		for _, name := range []string{"Olive Older", "Nina Newer"} {
			cand := env.User(account.RoleCandidate, "")
			if _, err := env.App.DB.NewUpdate().Table("users").Set("name = ?", name).Where("id = ?", cand.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			v, err := env.App.Eligibility.Start(ctx, audit.System, cand, p.Vendor.ID)
			if err != nil {
				t.Fatal(err)
			}
			today := time.Now().In(eligibility.Pennsylvania)
			dr := eligibility.Draft{LegalName: name, Email: cand.Email, DateOfBirth: "1985-04-12", Education: eligibility.EducationGED, EducationYear: "2003",
				SelfIdentifies: true, Attestation: "I have been in recovery for several years and support others.", Consent: true,
				Positions: []eligibility.PositionInput{{Title: "Volunteer", Organisation: "Drop-in center", Start: today.AddDate(-2, 0, 0).Format("2006-01-02"), Hours: "10"}}}
			if err := env.App.Eligibility.SaveDraft(ctx, audit.System, cand, v.ID, dr); err != nil {
				t.Fatal(err)
			}
			env.Proofs(cand, v.ID)
			if err := env.App.Eligibility.Submit(ctx, audit.System, cand, v.ID); err != nil {
				t.Fatal(err)
			}
			apps = append(apps, v.ID)
		}
		// The older one was submitted three days ago.
		if _, err := env.App.DB.NewUpdate().Table("applications").Set("submitted_at = ?", now.Add(-73*time.Hour)).Where("id = ?", apps[0]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		// A cohort starting in five days with no trainer.
		start := now.AddDate(0, 0, 5).In(eligibility.Pennsylvania)
		var dates []string
		for i := 0; i < 10; i++ {
			dates = append(dates, start.AddDate(0, 0, i).Format("2006-01-02"))
		}
		if _, err := env.App.Cohorts.Create(ctx, audit.System, p.Admin, cohort.CreateInput{Name: "Spring without trainer", Delivery: "virtual", Capacity: 5, Dates: dates}); err != nil {
			t.Fatal(err)
		}
		// An oral exam that began an hour ago and has no grade.
		sl := &oral.Slot{ID: uuid.NewString(), VendorID: p.Vendor.ID, TrainerID: p.Trainer.ID, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(-15 * time.Minute),
			Mode: oral.ModeInPerson, Location: "Room 9", Status: oral.SlotOpen, CreatedAt: now.Add(-48 * time.Hour)}
		bk := &oral.Booking{ID: uuid.NewString(), SlotID: sl.ID, CandidateID: p.Cand.ID, Status: oral.BookingActive, BookedAt: now.Add(-47 * time.Hour)}
		for _, m := range []any{sl, bk} {
			if _, err := env.App.DB.NewInsert().Model(m).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}

		q, err := report.ForVendorQueues(ctx, env.App.DB, p.Vendor.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if q.Applications.Count != 2 || len(q.Applications.Items) != 2 || q.Applications.Items[0].Name != "Olive Older" || q.Applications.Items[0].Link != "/review/"+apps[0] {
			t.Errorf("applications queue: %+v", q.Applications)
		}
		if q.Untrained.Count != 1 || q.Untrained.Items[0].Name != "Spring without trainer" {
			t.Errorf("cohorts without a trainer: %+v (the cohort with a trainer must not be listed)", q.Untrained)
		}
		if q.OralsUngraded.Count != 1 || q.OralsUngraded.Items[0].Link != "/oral/bookings/"+bk.ID+"/grade" {
			t.Errorf("orals to grade: %+v", q.OralsUngraded)
		}

		page := html.UnescapeString(apptest.Body(get(env, "/dashboard", cookie(env, p.Admin))))
		for _, want := range []string{"2 applications to review", `<a href="/review/` + apps[0] + `">Olive Older</a> <span class="muted">waiting 3 days</span>`,
			"1 cohort starting within two weeks without a trainer", "1 oral exam taken and not graded", "0 candidates ready to certify", "0 CE activities to review"} {
			if !strings.Contains(page, want) {
				t.Errorf("dashboard lacks %q", want)
			}
		}
		if strings.Index(page, "Olive Older") > strings.Index(page, "Nina Newer") {
			t.Error("the applications are not oldest first")
		}
	})
}

// Enrolment is announced to the candidate by email: the cohort, when day 1 opens, where to start.
func TestEnrolmentEmail(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	vendor := env.Vendor("enrolmail")
	admin := env.User(account.RoleVendorAdmin, vendor.ID)
	cand := env.User(account.RoleCandidate, "")
	dates := tenDays(3)
	co, err := env.App.Cohorts.Create(context.Background(), audit.System, admin, cohort.CreateInput{Name: "Winter evening", Delivery: "virtual", Capacity: 5, Dates: dates})
	if err != nil {
		t.Fatal(err)
	}
	env.Enroll(admin, co.ID, cand)
	m := env.LastMail(cand.Email)
	day1, _ := time.Parse("2006-01-02", dates[0])
	if m.Subject != "You are enrolled: Winter evening" || !strings.Contains(m.Body, "Day 1 opens on "+day1.Format("Monday, January 2, 2006")) || !strings.Contains(m.Body, "http://peeracademy.test/learn") {
		t.Errorf("enrolment email %q:\n%s", m.Subject, m.Body)
	}
}

// Retiring an exam item asks for a reason (with a visible label) and for confirmation; option counts
// are a table of letters and numbers, not "[0 1 0 1]".
func TestRetireItemAsksForAReason(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	p := env.PassedWritten("retire")
	c := cookie(env, p.Admin)
	page := apptest.Body(get(env, "/vendor/exam?section=items", c))
	m := regexp.MustCompile(`action="/vendor/exam/items/([^/"]+)/retire" novalidate data-confirm="Retire item ([^?"]+)\? It leaves every new exam form.">`).FindStringSubmatch(page)
	if m == nil || m[1] != m[2] {
		t.Fatalf("no retire form with a confirmation")
	}
	item := m[1]
	if !strings.Contains(page, `<label for="rt-`+item+`">Reason to retire `+item+`</label>`) {
		t.Error("the reason has no visible label")
	}
	if strings.Contains(page, "<td>[") || !strings.Contains(page, `<table class="option-counts">`) {
		t.Error("option counts are not a table")
	}
	post := func(reason string) *http.Response {
		token, _ := env.CSRF("/vendor/exam", c)
		req := apptest.Request("POST", "/vendor/exam/items/"+item+"/retire", "_csrf="+token+"&reason="+reason)
		req.AddCookie(c)
		return env.Do(req)
	}
	if resp := post(""); resp.StatusCode != 422 || !strings.Contains(apptest.Body(resp), "Say why item "+item+" is retired.") {
		t.Errorf("retire without a reason: %d", resp.StatusCode)
	}
	if resp := post("Ambiguous+wording"); resp.StatusCode != 303 {
		t.Errorf("retire with a reason: %d", resp.StatusCode)
	}
}

// A trainer's dashboard: registers still to complete, oral exams to grade, the next open slots.
func TestTrainerWorkQueues(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		ctx := context.Background()
		vendor := env.Vendor("trainerq")
		admin := env.User(account.RoleVendorAdmin, vendor.ID)
		trainer := env.User(account.RoleTrainer, vendor.ID)
		cand := env.User(account.RoleCandidate, "")
		co, err := env.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{Name: "Queue cohort", Delivery: "virtual", Capacity: 5, Dates: tenDays(-1), TrainerIDs: []string{trainer.ID}})
		if err != nil {
			t.Fatal(err)
		}
		env.Enroll(admin, co.ID, cand)
		// Day 1 (yesterday) is recorded; day 2 (today) is not.
		if err := env.App.Cohorts.RecordAttendance(ctx, audit.System, admin, co.ID, 1, []cohort.Mark{{CandidateID: cand.ID, Status: cohort.Present}}); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		past := &oral.Slot{ID: uuid.NewString(), VendorID: vendor.ID, TrainerID: trainer.ID, StartsAt: now.Add(-2 * time.Hour), EndsAt: now.Add(-time.Hour), Mode: oral.ModeInPerson, Location: "Room 1", Status: oral.SlotOpen, CreatedAt: now.Add(-72 * time.Hour)}
		next := &oral.Slot{ID: uuid.NewString(), VendorID: vendor.ID, TrainerID: trainer.ID, StartsAt: now.Add(48 * time.Hour), EndsAt: now.Add(49 * time.Hour), Mode: oral.ModeInPerson, Location: "Room 2", Status: oral.SlotOpen, CreatedAt: now}
		bk := &oral.Booking{ID: uuid.NewString(), SlotID: past.ID, CandidateID: cand.ID, Status: oral.BookingActive, BookedAt: now.Add(-70 * time.Hour)}
		for _, m := range []any{past, next, bk} {
			if _, err := env.App.DB.NewInsert().Model(m).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		q, err := report.ForTrainerQueues(ctx, env.App.DB, trainer.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if q.Registers.Count != 1 || q.Registers.Items[0].Link != "/teach/cohorts/"+co.ID+"/days/2" || q.Registers.Items[0].Name != "Queue cohort, day 2" {
			t.Errorf("registers: %+v", q.Registers)
		}
		if q.OralsUngraded.Count != 1 || q.OralsUngraded.Items[0].Link != "/oral/bookings/"+bk.ID+"/grade" {
			t.Errorf("orals to grade: %+v", q.OralsUngraded)
		}
		if q.NextSlots.Count != 1 || q.NextSlots.Items[0].Name != "Room 2" {
			t.Errorf("next slots: %+v", q.NextSlots)
		}
		page := html.UnescapeString(apptest.Body(get(env, "/dashboard", cookie(env, trainer))))
		for _, want := range []string{"1 register to complete", `href="/teach/cohorts/` + co.ID + `/days/2">Queue cohort, day 2</a>`, "1 oral exam to grade", "1 open slot published"} {
			if !strings.Contains(page, want) {
				t.Errorf("trainer dashboard lacks %q", want)
			}
		}
	})
}

// The candidate's dashboard puts the next action first and shows the course as bars.
func TestCandidateDashboardNextActionAndBars(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	vendor := env.Vendor("nextaction")
	admin := env.User(account.RoleVendorAdmin, vendor.ID)
	cand := env.User(account.RoleCandidate, "")
	c := cookie(env, cand)
	if page := html.UnescapeString(apptest.Body(get(env, "/dashboard", c))); !strings.Contains(page, `<h3>Next: Apply to a training organisation</h3>`) {
		t.Error("new candidate: the next action is not first")
	}
	co, err := env.App.Cohorts.Create(context.Background(), audit.System, admin, cohort.CreateInput{Name: "Bars", Delivery: "virtual", Capacity: 5, Dates: tenDays(-2)})
	if err != nil {
		t.Fatal(err)
	}
	env.Enroll(admin, co.ID, cand)
	page := html.UnescapeString(apptest.Body(get(env, "/dashboard", c)))
	if i, j := strings.Index(page, "<h3>Next: Complete the ten-day course</h3>"), strings.Index(page, `<ol class="steps">`); i < 0 || i > j {
		t.Error("enrolled: the next action is not the course, first")
	}
	if !regexp.MustCompile(`Modules completed: 0 of \d+ modules<progress max="\d+" value="0">`).MatchString(page) || !strings.Contains(page, "Training hours: 0 of ") {
		t.Error("enrolled: no progress bars for modules and hours")
	}
}
