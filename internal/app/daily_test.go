package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/ce"
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
