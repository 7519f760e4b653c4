package apptest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// recorder collects contract failures instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Helper() {}

// TestContractCatchesWhatTheDocumentDoesNotSay feeds the contract check answers the document does
// not allow: an undocumented status, an undocumented field, a wrong type and a wrong content type.
func TestContractCatchesWhatTheDocumentDoesNotSay(t *testing.T) {
	env := New(t, dbtest.SQLite)
	cases := []struct {
		name, method, path string
		status             int
		ct, body           string
		wantErr            bool
	}{
		{"documented", "GET", "/api/v1/me", 401, "application/json", `{"error":{"code":"unauthenticated","message":"x"}}`, false},
		{"undocumented status", "GET", "/api/v1/me", 418, "application/json", `{"error":{"code":"x","message":"x"}}`, true},
		{"undocumented field", "GET", "/api/v1/me", 401, "application/json", `{"error":{"code":"x","message":"x","extra":1}}`, true},
		{"wrong type", "POST", "/api/v1/auth/register", 202, "application/json", `{"message":7}`, true},
		{"null array", "GET", "/api/v1/vendors", 200, "application/json", `{"vendors":null}`, true},
		{"wrong content type", "GET", "/api/v1/vendors", 200, "text/html", `<p>hi</p>`, true},
	}
	for _, c := range cases {
		rec := &recorder{TB: t}
		e := &Env{T: rec, App: env.App}
		req, _ := http.NewRequest(c.method, c.path, nil)
		resp := &http.Response{StatusCode: c.status, Header: http.Header{"Content-Type": {c.ct}}, Body: io.NopCloser(strings.NewReader(c.body))}
		e.checkContract(req, resp)
		if got := len(rec.errs) > 0; got != c.wantErr {
			t.Errorf("%s: contract errors %v, want an error: %v", c.name, rec.errs, c.wantErr)
		}
	}
}
