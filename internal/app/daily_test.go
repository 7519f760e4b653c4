package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/oral"
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
