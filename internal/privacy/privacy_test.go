package privacy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/privacy"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

type world struct {
	env    *apptest.Env
	p      apptest.People
	cert   certificate.Certificate
	other  *account.User
	cookie *http.Cookie
}

func pngBytes(t *testing.T) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newWorld: a certified candidate with a CE activity (with proof) and a second, draft application
// holding a document; and another candidate of the same vendor, whose data must never leak.
func newWorld(t *testing.T, d dbtest.Dialect) *world {
	ctx := context.Background()
	env := apptest.New(t, d)
	p, cert := env.Certified("priv")
	if _, err := env.App.CE.Record(ctx, p.CandActor(), p.Cand, cert.ID, ce.ActivityInput{Title: "Wellness planning refresher", Provider: "Peer Network",
		Date: time.Now().In(eligibility.Pennsylvania).Format("2006-01-02"), Hours: "2", Category: ce.Category("peer_support_recovery")}, bytes.NewReader(pngBytes(t))); err != nil {
		t.Fatal(err)
	}
	second := env.Vendor("second")
	v, err := env.App.Eligibility.Start(ctx, audit.System, p.Cand, second.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.App.Eligibility.UploadDocument(ctx, p.CandActor(), p.Cand, v.ID, eligibility.KindDiploma, "my diploma.png", bytes.NewReader(pngBytes(t))); err != nil {
		t.Fatal(err)
	}
	other := env.User(account.RoleCandidate, "")
	env.Approve(p.Admin, other)
	return &world{env: env, p: p, cert: cert, other: other,
		cookie: &http.Cookie{Name: "pa_session", Value: env.Session(p.Cand, account.KindWeb)}}
}

func (w *world) post(path string, form url.Values) *http.Response {
	token, cookies := w.env.CSRF("/account/data", w.cookie)
	form.Set("_csrf", token)
	req := apptest.Request("POST", path, form.Encode())
	req.AddCookie(w.cookie)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	return w.env.Do(req)
}

func (w *world) get(path string) *http.Response {
	req := apptest.Request("GET", path, nil)
	req.AddCookie(w.cookie)
	return w.env.Do(req)
}

func TestDownloadMyData(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		w := newWorld(t, d)
		if resp := w.post("/account/data/export", url.Values{}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("request: %d", resp.StatusCode)
		}
		if resp := w.get("/account/data"); !strings.Contains(apptest.Body(resp), "Being prepared") {
			t.Fatal("the pending request is not shown")
		}
		if n, err := w.env.App.Privacy.BuildPending(ctx); err != nil || n != 1 {
			t.Fatalf("built %d: %v", n, err)
		}
		if m := w.env.LastMail(w.p.Cand.Email); !strings.Contains(m.Subject, "ready to download") {
			t.Fatalf("no ready mail: %q", m.Subject)
		}
		list, err := w.env.App.Privacy.Exports(ctx, w.p.Cand)
		if err != nil || len(list) != 1 || list[0].Status != privacy.StatusReady {
			t.Fatalf("exports: %+v %v", list, err)
		}
		link := "/account/data/exports/" + list[0].ID + "/download"
		if body := apptest.Body(w.get("/account/data")); !strings.Contains(body, link) {
			t.Fatal("no download link on the page")
		}
		// Another user cannot take it.
		otherReq := apptest.Request("GET", link, nil)
		otherReq.AddCookie(&http.Cookie{Name: "pa_session", Value: w.env.Session(w.other, account.KindWeb)})
		if resp := w.env.Do(otherReq); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("another candidate downloads it: %d", resp.StatusCode)
		}
		resp := w.get(link)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		zipped, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp := w.get(link); resp.StatusCode != http.StatusGone {
			t.Fatalf("second download: %d, want 410", resp.StatusCode)
		}
		if objs, err := w.env.App.Media.List(ctx, "exports/"); err != nil || len(objs) != 0 {
			t.Fatalf("the archive is still stored after its download: %d %v", len(objs), err)
		}

		zr, err := zip.NewReader(bytes.NewReader(zipped), int64(len(zipped)))
		if err != nil {
			t.Fatal(err)
		}
		names := map[string][]byte{}
		for _, f := range zr.File {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			names[f.Name] = b
		}
		var data map[string]json.RawMessage
		if err := json.Unmarshal(names["data.json"], &data); err != nil {
			t.Fatalf("data.json: %v", err)
		}
		for _, section := range []string{"account", "applications", "sessions", "enrollments", "attendance", "module_progress", "exam_attempts", "exam_answers",
			"oral_bookings", "oral_grades", "certificates", "ce_activities", "emails", "audit_events"} {
			if s := string(data[section]); s == "" || s == "[]" || s == "null" {
				t.Errorf("section %s is empty", section)
			}
		}
		all := string(names["data.json"])
		for _, want := range []string{w.p.Cand.Email, "1985-04-12", "I have lived with depression", w.cert.Number, "Wellness planning refresher", "data_export.request"} {
			if !strings.Contains(all, want) {
				t.Errorf("data.json lacks %q", want)
			}
		}
		for _, leak := range []string{w.other.ID, w.other.Email, "password_hash", "totp_secret", "code_hash", "dob_sealed"} {
			if strings.Contains(all, leak) {
				t.Errorf("data.json holds %q", leak)
			}
		}
		files := 0
		for n := range names {
			for _, prefix := range []string{"documents/", "certificates/", "ce-proofs/"} {
				if strings.HasPrefix(n, prefix) {
					files++
				}
			}
		}
		// The approved application's GED and letter, the second application's diploma, the
		// certificate and the CE proof.
		if files != 5 || names["certificates/"+w.cert.Number+".pdf"] == nil {
			t.Errorf("files in the archive: %v", keys(names))
		}
		var downloads int
		if err := w.env.App.DB.NewSelect().Table("audit_events").ColumnExpr("count(*)").Where("action = 'data_export.download' AND actor_id = ?", w.p.Cand.ID).Scan(ctx, &downloads); err != nil || downloads != 1 {
			t.Fatalf("download audit: %d %v", downloads, err)
		}
	})
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestDeleteMyAccount(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		w := newWorld(t, d)
		var objects []string
		for _, prefix := range []string{"applications/", "certificates/", "ce/"} {
			objs, err := w.env.App.Media.List(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				objects = append(objects, o.Key)
			}
		}
		// The other candidate's documents are theirs: they must survive.
		var otherDocs []string
		if err := w.env.App.DB.NewRaw(`SELECT d.media_key FROM application_documents d JOIN applications a ON a.id = d.application_id WHERE a.candidate_id = ?`, w.other.ID).Scan(ctx, &otherDocs); err != nil || len(otherDocs) == 0 {
			t.Fatalf("the other candidate's documents: %v %v", otherDocs, err)
		}
		objects = slices.DeleteFunc(objects, func(k string) bool { return slices.Contains(otherDocs, k) })
		if len(objects) < 3 {
			t.Fatalf("stored objects before: %v", objects)
		}
		if resp := w.post("/account/delete", url.Values{"password": {apptest.Password}}); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("without the confirmation: %d", resp.StatusCode)
		}
		if resp := w.post("/account/delete", url.Values{"understand": {"yes"}, "password": {"wrong password here"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(apptest.Body(resp), "not your current password") {
			t.Fatal("a wrong password is not refused")
		}
		// Staff cannot delete themselves over the API.
		req := apptest.Request("POST", "/api/v1/me/deletion", map[string]string{"password": apptest.Password})
		req.Header.Set("Authorization", "Bearer "+w.env.Session(w.p.Trainer, account.KindAPI))
		if resp := w.env.Do(req); resp.StatusCode != http.StatusForbidden {
			t.Fatalf("trainer deletion: %d", resp.StatusCode)
		}
		resp := w.post("/account/delete", url.Values{"understand": {"yes"}, "password": {apptest.Password}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d %s", resp.StatusCode, apptest.Body(resp))
		}
		if resp := w.get("/account"); resp.StatusCode == 200 {
			t.Fatal("the session survived the deletion")
		}
		for _, k := range objects {
			if _, err := w.env.App.Media.Stat(ctx, k); err == nil {
				t.Errorf("object %s survived", k)
			}
		}
		for _, k := range otherDocs {
			if _, err := w.env.App.Media.Stat(ctx, k); err != nil {
				t.Errorf("another candidate's document %s went with the account: %v", k, err)
			}
		}
		for _, table := range []string{"applications", "enrollments", "attendance", "module_progress", "exam_attempts", "oral_bookings", "oral_grades", "ce_activities", "sessions"} {
			col := "candidate_id"
			switch table {
			case "ce_activities":
				col = "holder_id"
			case "sessions":
				col = "user_id"
			}
			var n int
			if err := w.env.App.DB.NewSelect().Table(table).ColumnExpr("count(*)").Where(col+" = ?", w.p.Cand.ID).Scan(ctx, &n); err != nil || n != 0 {
				t.Errorf("%s: %d rows left (%v)", table, n, err)
			}
		}
		// No personal field remains anywhere: scan every text value of every table for the e-mail.
		for _, table := range tables(t, w.env, d) {
			rows := []map[string]any{}
			if err := w.env.App.DB.NewSelect().Table(table).Scan(ctx, &rows); err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				for col, v := range r {
					if s := fmt.Sprint(v); strings.Contains(s, w.p.Cand.Email) || (strings.Contains(s, "1985-04-12") && table != "audit_events") {
						t.Errorf("%s.%s still holds personal data: %.80s", table, col, s)
					}
				}
			}
		}
		// The certificate's public record still answers.
		pub := w.env.Do(apptest.Request("GET", "/verify/"+w.cert.VerifyCode, nil))
		if body := apptest.Body(pub); pub.StatusCode != 200 || !strings.Contains(body, w.cert.Number) || !strings.Contains(body, "Nuñez-O") {
			t.Fatalf("verification after deletion: %d", pub.StatusCode)
		}
		var deleted int
		if err := w.env.App.DB.NewSelect().Table("audit_events").ColumnExpr("count(*)").Where("action = 'account.delete' AND subject_id = ?", w.p.Cand.ID).Scan(ctx, &deleted); err != nil || deleted != 1 {
			t.Fatalf("deletion audit: %d %v", deleted, err)
		}
		// The other candidate is untouched.
		if u, err := w.env.App.Accounts.UserByID(ctx, w.other.ID); err != nil || u.Email != w.other.Email {
			t.Fatalf("the other candidate changed: %v", err)
		}
	})
}

func tables(t *testing.T, env *apptest.Env, d dbtest.Dialect) []string {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if d == dbtest.Postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`
	}
	var names []string
	if err := env.App.DB.NewRaw(q).Scan(context.Background(), &names); err != nil {
		t.Fatal(err)
	}
	return names
}
