package app_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// The status list is public, cached briefly with an honest ETag, and follows revocation at once;
// the credential's achievement.id answers with a description, JSON or HTML by Accept.
func TestStatusListAndAchievementArePublished(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		p, cert := env.Certified("statusco")
		ctx := context.Background()
		claims, err := certificate.VerifyCredentialAt([]byte(cert.CredentialJSON), mustEmbedded(t, cert.CredentialJSON), time.Now())
		if err != nil || claims.Status == nil {
			t.Fatalf("credential: %+v %v", claims, err)
		}
		listURL, _ := url.Parse(claims.Status.StatusListCredential)
		if listURL.Path != "/status/statusco/revocation" {
			t.Fatalf("status list at %s", listURL)
		}
		keys, _ := env.App.Certificates.PublicKeys(ctx)
		jwks, _ := certificate.JWKS(keys)
		trusted, _ := certificate.ParseJWKS(jwks)
		fetch := func(etag string) (status int, tag string, revoked bool) {
			req := apptest.Request("GET", listURL.Path, nil)
			if etag != "" {
				req.Header.Set("If-None-Match", etag)
			}
			resp := env.Do(req)
			body := apptest.Body(resp)
			if resp.StatusCode == 304 {
				return 304, resp.Header.Get("ETag"), false
			}
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vc+jwt" || resp.Header.Get("Cache-Control") != "public, max-age=60" ||
				resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("ETag") == "" {
				t.Fatalf("status list: %d %v", resp.StatusCode, resp.Header)
			}
			l, err := certificate.VerifyStatusList([]byte(body), trusted, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			index, err := strconv.Atoi(claims.Status.StatusListIndex)
			if err != nil {
				t.Fatal(err)
			}
			bit, err := l.Bit(index)
			if err != nil {
				t.Fatal(err)
			}
			return 200, resp.Header.Get("ETag"), bit
		}
		st, tag, revoked := fetch("")
		if st != 200 || revoked {
			t.Fatalf("fresh certificate: %d revoked=%v", st, revoked)
		}
		if st, _, _ := fetch(tag); st != 304 {
			t.Fatalf("revalidation with the current ETag: %d, want 304", st)
		}
		if err := env.App.Certificates.Revoke(ctx, p.AdminActor(), p.Admin, cert.ID, "issued in error"); err != nil {
			t.Fatal(err)
		}
		st, tag2, revoked := fetch(tag)
		if st != 200 || !revoked || tag2 == tag {
			t.Fatalf("after revocation: %d revoked=%v etag %s -> %s", st, revoked, tag, tag2)
		}
		if err := env.App.Certificates.Reinstate(ctx, p.AdminActor(), p.Admin, cert.ID, "a mistake"); err != nil {
			t.Fatal(err)
		}
		if st, _, revoked := fetch(tag2); st != 200 || revoked {
			t.Fatalf("after reinstatement: %d revoked=%v", st, revoked)
		}
		if resp := env.Do(apptest.Request("GET", "/status/nobody/revocation", nil)); resp.StatusCode != 404 {
			t.Fatalf("unknown vendor: %d", resp.StatusCode)
		}

		// achievement.id resolves: JSON for machines, HTML for people.
		var vc struct {
			CredentialSubject struct {
				Achievement struct {
					ID string `json:"id"`
				} `json:"achievement"`
			} `json:"credentialSubject"`
		}
		if err := json.Unmarshal(claims.CredentialPayload, &vc); err != nil {
			t.Fatal(err)
		}
		achURL, _ := url.Parse(vc.CredentialSubject.Achievement.ID)
		req := apptest.Request("GET", achURL.Path, nil)
		req.Header.Set("Accept", "application/json")
		resp := env.Do(req)
		var a certificate.Achievement
		if resp.StatusCode != 200 || json.Unmarshal([]byte(apptest.Body(resp)), &a) != nil || a.ID != vc.CredentialSubject.Achievement.ID ||
			a.Name != certificate.CredentialName || len(a.Context) == 0 || a.Criteria.Narrative == "" || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
			t.Fatalf("achievement JSON: %d %+v", resp.StatusCode, a)
		}
		req = apptest.Request("GET", achURL.Path, nil)
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
		resp = env.Do(req)
		if body := apptest.Body(resp); resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "<h1>Certified Peer Specialist</h1>") || !strings.Contains(body, a.Criteria.Narrative) {
			t.Fatalf("achievement page: %d %s", resp.StatusCode, body)
		}
		if resp := env.Do(apptest.Request("GET", "/credentials/no-such-thing", nil)); resp.StatusCode != 404 {
			t.Fatalf("unknown achievement: %d", resp.StatusCode)
		}
	})
}

func mustEmbedded(t *testing.T, jws string) map[string]ed25519.PublicKey {
	t.Helper()
	k, err := certificate.EmbeddedKey([]byte(jws))
	if err != nil {
		t.Fatal(err)
	}
	return k
}
