package app_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// browser is a tiny cookie-keeping client over app.Test for page flows.
type browser struct {
	env    *apptest.Env
	cookie *http.Cookie
}

func (b *browser) get(path string) (*http.Response, string) {
	resp := get(b.env, path, b.cookie)
	return resp, apptest.Body(resp)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	token, _ := b.env.CSRF("/dashboard", b.cookie)
	form.Set("_csrf", token)
	req := apptest.Request("POST", path, form.Encode())
	req.AddCookie(b.cookie)
	resp := b.env.Do(req)
	return resp, apptest.Body(resp)
}

func (b *browser) upload(path, kind, name string, data []byte) *http.Response {
	token, _ := b.env.CSRF("/dashboard", b.cookie)
	body, ct := multipartBody(b.env.T.(*testing.T), "file", name, data, map[string]string{"_csrf": token, "kind": kind})
	req, _ := http.NewRequest("POST", path, body)
	req.Header.Set("Content-Type", ct)
	req.AddCookie(b.cookie)
	return b.env.Do(req)
}

func auditCount(t *testing.T, env *apptest.Env, action, subject string) int {
	evs, _, err := audit.List(context.Background(), env.App.DB, audit.Filter{Action: action, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if subject == "" || e.SubjectID == subject || strings.Contains(e.Details, subject) {
			n++
		}
	}
	return n
}

func TestEligibilityThroughThePages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		vendor, other := env.Vendor("kappa"), env.Vendor("lambda")
		admin, otherAdmin := env.User(account.RoleVendorAdmin, vendor.ID), env.User(account.RoleVendorAdmin, other.ID)
		candU, strangerU := env.User(account.RoleCandidate, ""), env.User(account.RoleCandidate, "")
		cand := &browser{env, cookie(env, candU)}
		stranger := &browser{env, cookie(env, strangerU)}
		reviewer := &browser{env, cookie(env, admin)}
		foreign := &browser{env, cookie(env, otherAdmin)}

		resp, _ := cand.post("/applications", url.Values{"vendor_id": {vendor.ID}})
		if resp.StatusCode != 303 || !strings.HasSuffix(resp.Header.Get("Location"), "/edit") {
			t.Fatalf("start: %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
		appURL := strings.TrimSuffix(resp.Header.Get("Location"), "/edit")
		appID := appURL[strings.LastIndexByte(appURL, '/')+1:]

		// Bad input: each message beside its field, everything typed kept, nothing stored.
		future := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
		bad := url.Values{"legal_name": {"Zoë Nuñez-O'Brien"}, "dob": {future}, "email": {"zoe@example.org"}, "education": {"ged"}, "education_year": {"2004"},
			"positions[0].title": {"Peer volunteer"}, "positions[0].organisation": {"Drop-in center"}, "positions[0].start": {"2025-06-01"}, "positions[0].end": {"2025-01-01"}, "positions[0].hours": {"-4"},
			"attestation": {"My own words about recovery."}, "self_identifies": {"yes"}, "consent": {"yes"}}
		resp, body := cand.post(appURL+"/edit", bad)
		if resp.StatusCode != 422 {
			t.Fatalf("bad draft: %d", resp.StatusCode)
		}
		for _, want := range []string{"cannot be in the future", "The end date is before the start date.", "Hours a week cannot be negative.",
			`value="Zoë Nuñez-O&#39;Brien"`, `value="Drop-in center"`, "My own words about recovery.", `value="` + future + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("bad draft page lacks %q", want)
			}
		}
		// Fix it: two years of part-time volunteering in the window.
		good := url.Values{}
		for k, v := range bad {
			good[k] = v
		}
		good.Set("dob", "1990-02-14")
		good.Set("positions[0].start", time.Now().AddDate(-2, 0, 0).Format("2006-01-02"))
		good.Set("positions[0].end", "")
		good.Set("positions[0].hours", "12.5")
		if resp, body := cand.post(appURL+"/edit", good); resp.StatusCode != 303 {
			t.Fatalf("good draft: %d %.300s", resp.StatusCode, body)
		}
		// The rule is met, but the organisation needs the proofs: the checklist names them and Submit
		// is disabled (and refused).
		if _, body := cand.get(appURL); strings.Contains(body, "All requirements met") ||
			!strings.Contains(body, "Upload a copy of your high-school diploma or GED") || !strings.Contains(body, "Upload a letter from an employer or organisation confirming your work or volunteering") ||
			!strings.Contains(body, `<button type="submit" disabled aria-describedby="req-h">Submit for review</button>`) {
			t.Fatal("requirements shown as met without any proof")
		} else if !strings.Contains(body, "left untouched for 180 days, its documents are deleted") {
			t.Error("the draft page does not say when an abandoned draft's documents are deleted")
		}
		// Documents: the type is sniffed, not taken from the name.
		if resp := cand.upload(appURL+"/documents", "diploma", "diploma.pdf", append([]byte("MZ\x90\x00"), make([]byte, 400)...)); resp.StatusCode != 415 {
			t.Fatalf("executable as pdf: %d", resp.StatusCode)
		}
		if resp := cand.upload(appURL+"/documents", "diploma", "empty.pdf", nil); resp.StatusCode != 422 {
			t.Fatalf("empty file: %d", resp.StatusCode)
		}
		if resp := cand.upload(appURL+"/documents", "diploma", "Zoë's GED; 2003.pdf", []byte("%PDF-1.4\n%%EOF\n")); resp.StatusCode != 303 {
			t.Fatalf("good pdf: %d", resp.StatusCode)
		}
		if resp, body := cand.post(appURL+"/submit", url.Values{}); resp.StatusCode != 422 ||
			!strings.Contains(html.UnescapeString(body), "Your application cannot be sent yet. Upload a letter from an employer") || strings.Contains(body, "Upload a copy of your high-school diploma") {
			t.Fatalf("submit without proof of the volunteering: %d", resp.StatusCode)
		}
		if resp := cand.upload(appURL+"/documents", "work", "letter.pdf", []byte("%PDF-1.4\n%%EOF\n")); resp.StatusCode != 303 {
			t.Fatalf("letter: %d", resp.StatusCode)
		}
		if _, body := cand.get(appURL); !strings.Contains(body, "All requirements met") {
			t.Fatal("requirements not shown as met with the proofs")
		}
		v, err := env.App.Eligibility.Load(context.Background(), audit.System, candU, appID)
		if err != nil || len(v.Documents) != 2 {
			t.Fatalf("documents: %v", err)
		}
		docPath := "/documents/" + v.Documents[0].ID
		// The download keeps the candidate's file name: a safe ASCII one, and the real one (RFC 5987).
		if resp, _ := cand.get(appURL + docPath); resp.Header.Get("Content-Disposition") != `attachment; filename="Zo_'s GED_ 2003.pdf"; filename*=UTF-8''Zo%C3%AB%27s%20GED%3B%202003.pdf` {
			t.Errorf("download's Content-Disposition %q", resp.Header.Get("Content-Disposition"))
		}
		if resp, _ := cand.post(appURL+"/submit", url.Values{}); resp.StatusCode != 303 {
			t.Fatalf("submit: %d", resp.StatusCode)
		}

		// Nobody else sees it: another candidate, another vendor's admin.
		for name, b := range map[string]*browser{"stranger": stranger, "foreign admin": foreign} {
			for _, p := range []string{appURL, appURL + docPath, "/review/" + appID, "/review/" + appID + docPath} {
				if resp, _ := b.get(p); resp.StatusCode != 404 && resp.StatusCode != 403 {
					t.Errorf("%s GET %s: %d", name, p, resp.StatusCode)
				}
			}
			if resp, _ := b.get(appURL + docPath); b == stranger && resp.StatusCode != 404 {
				t.Errorf("another candidate asking for the document: %d, want 404", resp.StatusCode)
			}
			if resp, _ := b.get("/review/" + appID + docPath); b == foreign && resp.StatusCode != 404 {
				t.Errorf("another vendor asking for the document: %d, want 404", resp.StatusCode)
			}
		}
		if _, body := foreign.get("/review"); strings.Contains(body, "Zoë") {
			t.Fatal("another vendor's queue shows the application")
		}

		// The vendor reviews: queue, application and document views are audited.
		if _, body := reviewer.get("/review"); !strings.Contains(body, "Zoë Nuñez-O&#39;Brien") {
			t.Fatal("not in the review queue")
		}
		views := auditCount(t, env, "application.view", appID)
		if resp, body := reviewer.get("/review/" + appID); resp.StatusCode != 200 || !strings.Contains(body, "My own words about recovery.") {
			t.Fatalf("review page: %d", resp.StatusCode)
		}
		if auditCount(t, env, "application.view", appID) != views+1 {
			t.Fatal("application view not audited")
		}
		resp, _ = reviewer.get("/review/" + appID + docPath)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "no-store") || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("document: %d %q %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Disposition"))
		}
		if auditCount(t, env, "document.view", "") < 1 {
			t.Fatal("document view not audited")
		}

		// Ask for more (a reason is required), the candidate amends and resubmits, then approval.
		if resp, body := reviewer.post("/review/"+appID+"/decision", url.Values{"decision": {"needs_info"}}); resp.StatusCode != 422 || !strings.Contains(body, "aria-invalid") && !strings.Contains(body, "error-message") {
			t.Fatalf("needs_info without reason: %d", resp.StatusCode)
		}
		if resp, _ := reviewer.post("/review/"+appID+"/decision", url.Values{"decision": {"needs_info"}, "reason": {"Please add a letter confirming your volunteering."}}); resp.StatusCode != 303 {
			t.Fatalf("needs_info: %d", resp.StatusCode)
		}
		if m := env.LastMail(candU.Email); strings.Contains(m.Body, "letter confirming") {
			t.Fatal("the reviewer's note was emailed")
		}
		if _, body := cand.get(appURL); !strings.Contains(body, "Please add a letter confirming your volunteering.") {
			t.Fatal("candidate does not see the request")
		}
		if resp := cand.upload(appURL+"/documents", "work", "letter.png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)); resp.StatusCode != 303 {
			t.Fatalf("second document: %d", resp.StatusCode)
		}
		if resp, _ := cand.post(appURL+"/submit", url.Values{}); resp.StatusCode != 303 {
			t.Fatalf("resubmit: %d", resp.StatusCode)
		}
		if resp, _ := reviewer.post("/review/"+appID+"/decision", url.Values{"decision": {"approve"}}); resp.StatusCode != 303 {
			t.Fatalf("approve: %d", resp.StatusCode)
		}
		if ok, _, err := env.App.Eligibility.Enrollable(context.Background(), env.App.DB, candU.ID, vendor.ID); err != nil || !ok {
			t.Fatalf("approved candidate not enrollable: %v", err)
		}
		if ok, _, _ := env.App.Eligibility.Enrollable(context.Background(), env.App.DB, strangerU.ID, vendor.ID); ok {
			t.Fatal("a candidate without an application is enrollable")
		}
		// Nothing private in the audit trail.
		evs, _, _ := audit.List(context.Background(), env.App.DB, audit.Filter{Limit: 200})
		for _, e := range evs {
			for _, secret := range []string{"Zoë", "1990-02-14", "recovery.", "ged.pdf"} {
				if strings.Contains(e.Details, secret) {
					t.Fatalf("audit event %s holds %q", e.Action, secret)
				}
			}
		}
		_ = eligibility.StatusApproved
	})
}
