package app_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

type errBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

func TestAPIBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		cand := env.User(account.RoleCandidate, "")
		cases := []struct {
			name, method, path string
			body               any
			status             int
			code               string
			field              string
		}{
			{"malformed JSON", "POST", "/api/v1/auth/token", []byte(`{"email": "a@b.org",`), 400, "malformed_json", ""},
			{"wrong type", "POST", "/api/v1/auth/token", []byte(`{"email": 5}`), 400, "malformed_json", ""},
			{"unknown field", "POST", "/api/v1/auth/register", []byte(`{"email":"x@y.org","admin":true}`), 400, "malformed_json", ""},
			{"empty body", "POST", "/api/v1/auth/register", []byte(``), 400, "malformed_json", ""},
			{"not JSON", "POST", "/api/v1/auth/register", "email=x", 415, "unsupported_media_type", ""},
			{"weak password", "POST", "/api/v1/auth/register", map[string]string{"email": "new@example.org", "name": "New Person", "password": "short"}, 422, "invalid_input", "password"},
			{"common password", "POST", "/api/v1/auth/register", map[string]string{"email": "new@example.org", "name": "New Person", "password": "Password123456"}, 422, "invalid_input", "password"},
			{"bad email", "POST", "/api/v1/auth/register", map[string]string{"email": "not-an-email", "name": "New Person", "password": apptest.Password}, 422, "invalid_input", "email"},
			{"wrong password", "POST", "/api/v1/auth/token", map[string]string{"email": cand.Email, "password": "wrong password entirely"}, 401, "bad_credentials", ""},
			{"unknown account", "POST", "/api/v1/auth/token", map[string]string{"email": "nobody@example.org", "password": "wrong password entirely"}, 401, "bad_credentials", ""},
			{"reused or unknown token", "POST", "/api/v1/auth/verify-email", map[string]string{"token": "nope"}, 410, "token_invalid", ""},
			{"unknown endpoint", "GET", "/api/v1/nothing-here", nil, 404, "not_found", ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp := env.Do(apptest.Request(tc.method, tc.path, tc.body))
				var eb errBody
				decode(t, resp, &eb)
				if resp.StatusCode != tc.status || eb.Error.Code != tc.code || eb.Error.Message == "" {
					t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, eb, tc.status, tc.code)
				}
				if tc.field != "" && eb.Error.Fields[tc.field] == "" {
					t.Fatalf("no message for field %s: %+v", tc.field, eb)
				}
			})
		}
		// Wrong password and unknown account read exactly the same: no account enumeration.
		r1 := apptest.Body(env.Do(apptest.Request("POST", "/api/v1/auth/token", map[string]string{"email": cand.Email, "password": "wrong password entirely"})))
		r2 := apptest.Body(env.Do(apptest.Request("POST", "/api/v1/auth/token", map[string]string{"email": "nobody@example.org", "password": "wrong password entirely"})))
		if strip(r1) != strip(r2) {
			t.Fatalf("responses differ:\n%s\n%s", r1, r2)
		}
	})
}

// strip removes the request id, which differs per request.
func strip(s string) string {
	if i := strings.Index(s, `"request_id"`); i >= 0 {
		return s[:i]
	}
	return s
}

func TestDuplicateRegistrationRevealsNothing(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	body := map[string]string{"email": "Dana@Example.org", "name": "Dana", "password": apptest.Password}
	first := env.Do(apptest.Request("POST", "/api/v1/auth/register", body))
	body["email"] = " dana@example.org "
	second := env.Do(apptest.Request("POST", "/api/v1/auth/register", body))
	if first.StatusCode != 202 || second.StatusCode != 202 || strip(apptest.Body(first)) != strip(apptest.Body(second)) {
		t.Fatalf("statuses %d %d", first.StatusCode, second.StatusCode)
	}
	n, err := env.App.DB.NewSelect().Model((*account.User)(nil)).Where("email = ?", "dana@example.org").Count(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("users with that email: %d %v", n, err)
	}
	if m := env.LastMail("dana@example.org"); !strings.Contains(m.Body, "already have one") {
		t.Fatalf("owner not told: %q", m.Body)
	}
}

func TestFormWithoutCSRFIsRefused(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	resp := env.Do(apptest.Request("POST", "/register", "email=a%40b.org&name=A&password=long+enough+password"))
	body := apptest.Body(resp)
	if resp.StatusCode != 403 || !strings.Contains(body, "This form has expired or did not come from PeerAcademy") {
		t.Fatalf("got %d: %s", resp.StatusCode, body)
	}
	// A token bound to another visitor does not work either.
	token, _ := env.CSRF("/login")
	req := apptest.Request("POST", "/register", "_csrf="+url.QueryEscape(token)+"&email=a%40b.org")
	req.AddCookie(&http.Cookie{Name: "pa_anon", Value: account.NewSecret()})
	if resp := env.Do(req); resp.StatusCode != 403 {
		t.Fatalf("foreign token: got %d", resp.StatusCode)
	}
	// JSON clients get the same refusal as JSON.
	req = apptest.Request("POST", "/register", "email=x")
	req.Header.Set("Accept", "application/json")
	resp = env.Do(req)
	var eb errBody
	decode(t, resp, &eb)
	if resp.StatusCode != 403 || eb.Error.Code != "csrf_failed" {
		t.Fatalf("got %d %+v", resp.StatusCode, eb)
	}
}

func TestRegisterFormKeepsInputOnError(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	token, cookies := env.CSRF("/register")
	req := apptest.Request("POST", "/register", "_csrf="+url.QueryEscape(token)+"&name=Zo%C3%AB+Nu%C3%B1ez&email=zoe%40example.org&password=short")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp := env.Do(req)
	body := apptest.Body(resp)
	if resp.StatusCode != 422 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{`value="Zoë Nuñez"`, `value="zoe@example.org"`, "Use at least 12 characters", `aria-invalid="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, `value="short"`) {
		t.Error("the password was echoed back")
	}
}

func multipartBody(t *testing.T, field, filename string, data []byte, extra map[string]string) (*bytes.Buffer, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range extra {
		_ = w.WriteField(k, v)
	}
	fw, err := w.CreateFormFile(field, filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return &buf, w.FormDataContentType()
}

func TestUploads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		vendor := env.Vendor("beta")
		admin := env.User(account.RoleVendorAdmin, vendor.ID)
		sess := &http.Cookie{Name: "pa_session", Value: env.Session(admin, account.KindWeb)}
		token, _ := env.CSRF("/vendor", sess)
		upload := func(name string, data []byte) *http.Response {
			body, ct := multipartBody(t, "logo", name, data, map[string]string{"_csrf": token})
			req, _ := http.NewRequest("POST", "/vendor/logo", body)
			req.Header.Set("Content-Type", ct)
			req.AddCookie(sess)
			return env.Do(req)
		}
		png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 200)...)

		if resp := upload("big.png", append(png, bytes.Repeat([]byte{1}, 3<<20)...)); resp.StatusCode != 413 {
			t.Fatalf("oversized: %d", resp.StatusCode)
		}
		if resp := upload("tool.png", append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 500)...)); resp.StatusCode != 415 {
			t.Fatalf("executable renamed: %d %s", resp.StatusCode, apptest.Body(resp))
		}
		if resp := upload("empty.png", nil); resp.StatusCode != 422 {
			t.Fatalf("empty file: %d", resp.StatusCode)
		}
		if resp := upload("logo.png", png); resp.StatusCode != 303 {
			t.Fatalf("good upload: %d %s", resp.StatusCode, apptest.Body(resp))
		}
		// The file is served only through the authorising handler, with ranges.
		req := apptest.Request("GET", "/vendors/"+vendor.ID+"/logo", nil)
		req.AddCookie(sess)
		req.Header.Set("Range", "bytes=0-7")
		resp := env.Do(req)
		if got := apptest.Body(resp); resp.StatusCode != 206 || got != "\x89PNG\r\n\x1a\n" || resp.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("range get: %d %q %s", resp.StatusCode, got, resp.Header.Get("Content-Type"))
		}
		// Another vendor's admin gets 404, a visitor is sent to sign in.
		other := env.User(account.RoleVendorAdmin, env.Vendor("gamma").ID)
		req = apptest.Request("GET", "/vendors/"+vendor.ID+"/logo", nil)
		req.AddCookie(&http.Cookie{Name: "pa_session", Value: env.Session(other, account.KindWeb)})
		if resp := env.Do(req); resp.StatusCode != 404 {
			t.Fatalf("other vendor: %d", resp.StatusCode)
		}
		if resp := env.Do(apptest.Request("GET", "/vendors/"+vendor.ID+"/logo", nil)); resp.StatusCode != 303 {
			t.Fatalf("visitor: %d", resp.StatusCode)
		}
	})
}

func TestBodyOverGlobalLimitIs413(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	big := bytes.Repeat([]byte("a"), int(env.App.Cfg.MaxUploadBytes)+2<<20)
	req, _ := http.NewRequest("POST", "/api/v1/auth/register", bytes.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	resp, err := env.App.Fiber.Test(req, -1)
	if err == nil && resp.StatusCode != 413 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// fasthttp may close the connection instead of answering; either way nothing was accepted.
}

func TestPrivatePagesAreNotCached(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	u := env.User(account.RoleCandidate, "")
	req := apptest.Request("GET", "/dashboard", nil)
	req.AddCookie(&http.Cookie{Name: "pa_session", Value: env.Session(u, account.KindWeb)})
	resp := env.Do(req)
	if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d cache-control %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	req = apptest.Request("GET", "/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+env.Session(u, account.KindAPI))
	if resp := env.Do(req); resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("api cache-control %q", resp.Header.Get("Cache-Control"))
	}
	// A browser session cookie does not authenticate the API (no CSRF exposure), nor a token a page.
	req = apptest.Request("GET", "/api/v1/me", nil)
	req.AddCookie(&http.Cookie{Name: "pa_session", Value: env.Session(u, account.KindWeb)})
	if resp := env.Do(req); resp.StatusCode != 401 {
		t.Fatalf("cookie on API: %d", resp.StatusCode)
	}
}

func TestOperationsEndpoints(t *testing.T) {
	env := apptest.New(t, dbtest.SQLite)
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": `"database":"ok"`, "/metrics": "peeracademy_change_feed_healthy 1"} {
		env.Do(apptest.Request("GET", "/", nil)) // so the request counter has a sample
		resp := env.Do(apptest.Request("GET", path, nil))
		if body := apptest.Body(resp); resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d %.200s", path, resp.StatusCode, body)
		}
	}
	if body := apptest.Body(env.Do(apptest.Request("GET", "/metrics", nil))); !strings.Contains(body, "peeracademy_http_requests_total") {
		t.Error("/metrics has no request counter")
	}
	resp := env.Do(apptest.Request("GET", "/", nil))
	if resp.Header.Get("X-Request-ID") == "" || resp.Header.Get("Content-Security-Policy") == "" {
		t.Fatal("missing request id or CSP header")
	}
}
