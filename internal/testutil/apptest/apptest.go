// Package apptest builds a complete PeerAcademy app for tests (real database of either dialect, real
// media directory, captured mail) and offers fixtures: users of each role, signed-in sessions, and
// helpers to send requests through Fiber's app.Test.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// Password is the password of every fixture user.
const Password = "correct horse battery staple"

// Env is an app under test.
type Env struct {
	T   testing.TB
	App *app.App
}

// New builds an app on dialect d. opts may adjust the configuration.
func New(t testing.TB, d dbtest.Dialect, opts ...func(*config.Config)) *Env {
	t.Helper()
	env := map[string]string{
		"PEERACADEMY_DATABASE_URL": dbtest.URL(t, d),
		"PEERACADEMY_MEDIA_DIR":    t.TempDir(),
		"PEERACADEMY_BASE_URL":     "http://peeracademy.test",
		"PEERACADEMY_LOG_LEVEL":    "error",
	}
	cfg, err := config.LoadFrom(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range opts {
		o(&cfg)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return &Env{T: t, App: a}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Vendor creates a recognised vendor.
func (e *Env) Vendor(slug string) *account.Vendor {
	e.T.Helper()
	ctx := context.Background()
	v, err := e.App.Accounts.CreateVendor(ctx, audit.System, account.VendorInput{Name: strings.ToUpper(slug[:1]) + slug[1:] + " Training", Slug: slug})
	if err != nil {
		e.T.Fatal(err)
	}
	if v, err = e.App.Accounts.SetRecognised(ctx, audit.System, v.ID, true); err != nil {
		e.T.Fatal(err)
	}
	return v
}

// User creates a verified user with Password. Staff and admins get two-factor sign-in enabled.
func (e *Env) User(role, vendorID string) *account.User {
	e.T.Helper()
	ctx := context.Background()
	email := role + "-" + uuid.NewString()[:8] + "@example.org"
	u, err := e.App.Accounts.CreateUser(ctx, audit.System, account.CreateUserInput{Email: email, Name: account.RoleLabel(role) + " Tester", Role: role, VendorID: vendorID, Password: Password})
	if err != nil {
		e.T.Fatal(err)
	}
	if u.MFARequired() {
		now := database.Now()
		if _, err := e.App.DB.NewUpdate().Model((*account.User)(nil)).Set("totp_secret = ?", "JBSWY3DPEHPK3PXP").Set("totp_enabled_at = ?", now).Where("id = ?", u.ID).Exec(ctx); err != nil {
			e.T.Fatal(err)
		}
		u.TOTPSecret, u.TOTPEnabledAt = "JBSWY3DPEHPK3PXP", &now
	}
	return u
}

// Session signs u in directly (a fixture: the sign-in flow itself is tested elsewhere) and returns the
// secret token, for a cookie (kind web) or a bearer header (kind api).
func (e *Env) Session(u *account.User, kind string) string {
	e.T.Helper()
	secret := account.NewSecret()
	now := database.Now()
	s := &account.Session{ID: account.HashSecret(secret), UserID: u.ID, Kind: kind, Stage: account.StageFull, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if _, err := e.App.DB.NewInsert().Model(s).Exec(context.Background()); err != nil {
		e.T.Fatal(err)
	}
	return secret
}

// Do sends a request through the app.
func (e *Env) Do(req *http.Request) *http.Response {
	e.T.Helper()
	resp, err := e.App.Fiber.Test(req, -1)
	if err != nil {
		e.T.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	e.checkContract(req, resp)
	return resp
}

// Request builds a request; body may be nil, a string (form-encoded) or any value (JSON).
func Request(method, path string, body any) *http.Request {
	var r io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		r, ct = strings.NewReader(b), "application/x-www-form-urlencoded"
	case []byte:
		r, ct = strings.NewReader(string(b)), "application/json"
	default:
		j, _ := json.Marshal(b)
		r, ct = strings.NewReader(string(j)), "application/json"
	}
	req := httptest.NewRequest(method, path, r)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return req
}

// Body reads and closes a response body.
func Body(resp *http.Response) string {
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b)
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// CSRF fetches a page with the given cookies and returns its CSRF token and any cookie the server set.
func (e *Env) CSRF(path string, cookies ...*http.Cookie) (string, []*http.Cookie) {
	e.T.Helper()
	req := Request("GET", path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp := e.Do(req)
	body := Body(resp)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		e.T.Fatalf("no CSRF token on %s (status %d)", path, resp.StatusCode)
	}
	return m[1], resp.Cookies()
}

// LastMail returns the newest captured email to addr.
func (e *Env) LastMail(addr string) *notify.Message {
	e.T.Helper()
	ms, _, err := notify.List(context.Background(), e.App.DB, addr, 1, 0)
	if err != nil || len(ms) == 0 {
		e.T.Fatalf("no mail to %s (%v)", addr, err)
	}
	return &ms[0]
}

var linkRE = regexp.MustCompile(`https?://\S+`)

// LinkIn returns the first URL in an email body.
func LinkIn(m *notify.Message) string {
	return linkRE.FindString(m.Body)
}

// Approve gives a candidate an approved eligibility application with the vendor of admin, through
// the real eligibility service (start, fill in, submit, approve), so the candidate can be enrolled.
func (e *Env) Approve(admin, cand *account.User) {
	e.T.Helper()
	ctx := context.Background()
	svc := e.App.Eligibility
	v, err := svc.Start(ctx, audit.System, cand, admin.Vendor())
	if err != nil {
		e.T.Fatal(err)
	}
	today := time.Now().In(eligibility.Pennsylvania)
	d := eligibility.Draft{LegalName: cand.Name, Email: cand.Email, DateOfBirth: "1985-04-12", Education: eligibility.EducationGED, EducationYear: "2003",
		SelfIdentifies: true, Attestation: "I have lived with depression and have been in recovery for several years.", Consent: true,
		Positions: []eligibility.PositionInput{{Title: "Volunteer", Organisation: "Community drop-in center", Start: today.AddDate(-2, 0, 0).Format("2006-01-02"), Hours: "10"}}}
	if err := svc.SaveDraft(ctx, audit.System, cand, v.ID, d); err != nil {
		e.T.Fatal(err)
	}
	e.Proofs(cand, v.ID)
	if err := svc.Submit(ctx, audit.System, cand, v.ID); err != nil {
		e.T.Fatal(err)
	}
	if err := svc.Decide(ctx, audit.System, admin, v.ID, eligibility.DecisionApprove, ""); err != nil {
		e.T.Fatal(err)
	}
}

// ProofPDF is a small valid PDF for uploads.
var ProofPDF = []byte("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n")

// Proofs attaches to the candidate's application the proofs Submit asks for when the candidate
// claims a GED and a year of volunteering: a copy of the GED and a volunteering letter.
func (e *Env) Proofs(cand *account.User, appID string) {
	e.T.Helper()
	for kind, name := range map[string]string{eligibility.KindDiploma: "ged.pdf", eligibility.KindWork: "letter.pdf"} {
		if _, err := e.App.Eligibility.UploadDocument(context.Background(), audit.System, cand, appID, kind, name, bytes.NewReader(ProofPDF)); err != nil {
			e.T.Fatal(err)
		}
	}
}

// Enroll approves the candidate with admin's vendor and enrols them in the cohort.
func (e *Env) Enroll(admin *account.User, cohortID string, cand *account.User) {
	e.T.Helper()
	e.Approve(admin, cand)
	if _, err := e.App.Cohorts.Enroll(context.Background(), audit.System, admin, cohortID, cand.Email); err != nil {
		e.T.Fatal(err)
	}
}
