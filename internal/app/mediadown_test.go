package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
	"github.com/peeracademy/peeracademy/internal/testutil/miniotest"
)

// TestMediaStoreDown cuts the app off from MinIO: the instance stays ready (exams, courses and
// verification do not need the store), the outage shows on /readyz?verbose, /metrics and the admin
// status page, and upload and download answer 503 "the document store is unavailable", not 500.
func TestMediaStoreDown(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		s3 := miniotest.Start(t)
		proxy := newTCPProxy(t, s3.Endpoint)
		env := apptest.New(t, d, func(c *config.Config) {
			c.Media.S3Endpoint, c.Media.S3Bucket, c.Media.S3Region = proxy.Addr(), s3.Bucket, s3.Region
			c.Media.S3AccessKey, c.Media.S3SecretKey, c.Media.S3UseTLS = s3.AccessKey, s3.SecretKey, s3.UseTLS
		})
		vendor := env.Vendor("sigma")
		candU := env.User(account.RoleCandidate, "")
		cand := &browser{env, cookie(env, candU)}
		admin := &browser{env, cookie(env, env.User(account.RolePlatformAdmin, ""))}
		resp, _ := cand.post("/applications", url.Values{"vendor_id": {vendor.ID}})
		appURL := strings.TrimSuffix(resp.Header.Get("Location"), "/edit")
		appID := appURL[strings.LastIndexByte(appURL, '/')+1:]
		if resp := cand.upload(appURL+"/documents", "diploma", "ged.pdf", []byte("%PDF-1.4\n%%EOF\n")); resp.StatusCode != 303 {
			t.Fatalf("upload with the store up: %d", resp.StatusCode)
		}
		v, err := env.App.Eligibility.Load(context.Background(), audit.System, candU, appID)
		if err != nil || len(v.Documents) != 1 {
			t.Fatalf("documents: %v", err)
		}
		docURL := appURL + "/documents/" + v.Documents[0].ID

		proxy.Stop()

		if resp, body := admin.get("/readyz"); resp.StatusCode != 200 || strings.Contains(body, "media") {
			t.Fatalf("/readyz with the store down: %d %s, want 200 about the database only", resp.StatusCode, body)
		}
		if resp, body := admin.get("/readyz?verbose"); resp.StatusCode != 200 || !strings.Contains(body, `"media":"unreachable"`) {
			t.Fatalf("/readyz?verbose: %d %s", resp.StatusCode, body)
		}
		if _, body := admin.get("/metrics"); !strings.Contains(body, "peeracademy_media_store_up 0") {
			t.Fatal("/metrics does not report the store down")
		}
		if resp, body := admin.get("/admin/status"); resp.StatusCode != 200 || !strings.Contains(body, "<strong>unreachable</strong>") {
			t.Fatalf("admin status: %d", resp.StatusCode)
		}
		check := func(name string, resp *http.Response) {
			t.Helper()
			body := apptest.Body(resp)
			if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "document store is unavailable") {
				t.Fatalf("%s with the store down: %d (Retry-After %q) %.300s", name, resp.StatusCode, resp.Header.Get("Retry-After"), body)
			}
		}
		check("upload", cand.upload(appURL+"/documents", "work", "letter.pdf", []byte("%PDF-1.4\n%%EOF\n")))
		check("download", get(env, docURL, cand.cookie))
		check("API download", func() *http.Response {
			req := apptest.Request("GET", "/api/v1/applications/"+appID+"/documents/"+v.Documents[0].ID, nil)
			req.Header.Set("Authorization", "Bearer "+env.Session(candU, account.KindAPI))
			return env.Do(req)
		}())
		// Pages that do not need the store still work.
		if resp, _ := cand.get(appURL); resp.StatusCode != 200 {
			t.Fatalf("application page with the store down: %d", resp.StatusCode)
		}
	})
}
