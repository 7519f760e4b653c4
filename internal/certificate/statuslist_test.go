package certificate_test

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// The encoding the specification fixes: index 0 is the left-most bit of the first byte, the list is
// at least 16 KB, GZIP-compressed, base64url without padding, with the multibase prefix "u".
func TestStatusListEncoding(t *testing.T) {
	enc, err := certificate.EncodeStatusList([]int{0, 9, 131071}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "u") || strings.ContainsAny(enc, "+/=") {
		t.Fatalf("not multibase base64url: %q", enc)
	}
	// Decode independently of the package.
	gz, err := base64.RawURLEncoding.DecodeString(enc[1:])
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	bits, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if len(bits) != 16384 || bits[0] != 0x80 || bits[1] != 0x40 || bits[16383] != 0x01 {
		t.Fatalf("bitstring: %d bytes, first %08b %08b, last %08b", len(bits), bits[0], bits[1], bits[16383])
	}
	for i, b := range bits {
		if b != 0 && i != 0 && i != 1 && i != 16383 {
			t.Fatalf("byte %d set: %08b", i, b)
		}
	}
	got, err := certificate.DecodeStatusList(enc)
	if err != nil || !bytes.Equal(got, bits) {
		t.Fatalf("decode: %v", err)
	}
	// The list grows in steps of the minimum.
	big, _ := certificate.EncodeStatusList([]int{131072}, 131073)
	if b, err := certificate.DecodeStatusList(big); err != nil || len(b) != 2*16384 || b[16384] != 0x80 {
		t.Fatalf("grown list: %d %v", len(b), err)
	}
	if _, err := certificate.EncodeStatusList([]int{131072}, 1); err == nil {
		t.Fatal("index outside the list accepted")
	}
	// Refused: no multibase prefix, not GZIP, too short.
	var small bytes.Buffer
	zw := gzip.NewWriter(&small)
	_, _ = zw.Write(make([]byte, 1024))
	_ = zw.Close()
	for name, bad := range map[string]string{"no prefix": enc[1:], "not gzip": "u" + base64.RawURLEncoding.EncodeToString([]byte("hello")),
		"too short": "u" + base64.RawURLEncoding.EncodeToString(small.Bytes()), "padding": enc + "="} {
		if _, err := certificate.DecodeStatusList(bad); !errors.Is(err, certificate.ErrNotStatusList) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

func statusOf(t *testing.T, f *fixture, c certificate.Certificate) *certificate.StatusEntry {
	t.Helper()
	claims, err := certificate.VerifyCredentialAt([]byte(c.CredentialJSON), embedded(t, c.CredentialJSON), f.clock())
	if err != nil {
		t.Fatal(err)
	}
	if claims.Status == nil {
		t.Fatalf("credential %s carries no credentialStatus", c.Number)
	}
	return claims.Status
}

func embedded(t *testing.T, jws string) map[string]ed25519.PublicKey {
	t.Helper()
	k, err := certificate.EmbeddedKey([]byte(jws))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// publishedBit fetches the vendor's list as published, verifies it against the published keys and
// reads bit index.
func publishedBit(t *testing.T, f *fixture, slug string, index int) (bool, *certificate.SignedStatusList) {
	t.Helper()
	l, err := f.svc.StatusList(f.ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := f.svc.PublicKeys(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := certificate.JWKS(keys)
	trusted, _ := certificate.ParseJWKS(b)
	list, err := certificate.VerifyStatusList(l.JWS, trusted, f.clock())
	if err != nil {
		t.Fatal(err)
	}
	if list.ID != f.svc.StatusListURL(slug) || len(list.Purposes) != 1 || list.Purposes[0] != "revocation" {
		t.Fatalf("list %+v", list)
	}
	bit, err := list.Bit(index)
	if err != nil {
		t.Fatal(err)
	}
	return bit, l
}

// Each credential names its own position in its vendor's list; revoking sets the bit at once and
// reinstating clears it; a rotated key signs the list from then on.
func TestStatusListFollowsRevocation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		c1 := f.issue(f.candidate("Ann One"))
		c2 := f.issue(f.candidate("Ben Two"))
		cs, err := f.svc.Issue(f.ctx, actor(f.admin2), f.admin2, []string{f.candidate("Cy Other").ID})
		if err != nil {
			t.Fatal(err)
		}
		s1, s2, so := statusOf(t, f, c1), statusOf(t, f, c2), statusOf(t, f, cs[0])
		listURL := baseURL + "/status/recovery-works/revocation"
		if *s1 != (certificate.StatusEntry{ID: listURL + "#0", Type: "BitstringStatusListEntry", StatusPurpose: "revocation", StatusListIndex: "0", StatusListCredential: listURL}) {
			t.Fatalf("entry %+v", s1)
		}
		if s2.StatusListIndex != "1" || s2.StatusListCredential != listURL || so.StatusListIndex != "0" || so.StatusListCredential != baseURL+"/status/other-org/revocation" {
			t.Fatalf("entries %+v %+v", s2, so)
		}
		if a, err := f.svc.Achievement(certificate.AchievementSlug); err != nil || a.ID != baseURL+"/credentials/certified-peer-specialist" {
			t.Fatalf("achievement %+v %v", a, err)
		}

		bit, before := publishedBit(t, f, "recovery-works", 0)
		if bit {
			t.Fatal("active certificate marked revoked")
		}
		if _, again := publishedBit(t, f, "recovery-works", 0); !bytes.Equal(before.JWS, again.JWS) {
			t.Fatal("the same state gives different bytes (no stable ETag)")
		}
		f.setNow(f.clock().Add(3600e9))
		if err := f.svc.Revoke(f.ctx, actor(f.admin), f.admin, c1.ID, "issued in error"); err != nil {
			t.Fatal(err)
		}
		bit, after := publishedBit(t, f, "recovery-works", 0)
		if !bit || !after.ChangedAt.Equal(f.clock()) {
			t.Fatalf("after revoke: bit %v, changed %v", bit, after.ChangedAt)
		}
		if bit, _ := publishedBit(t, f, "recovery-works", 1); bit {
			t.Fatal("revoking one certificate marked another")
		}
		if bit, _ := publishedBit(t, f, "other-org", 0); bit {
			t.Fatal("revoking one vendor's certificate marked another vendor's list")
		}
		if pub, _ := f.svc.Verify(f.ctx, c1.VerifyCode); pub.Status != certificate.StateRevoked {
			t.Fatalf("verification page says %s", pub.Status)
		}
		if err := f.svc.Reinstate(f.ctx, actor(f.admin), f.admin, c1.ID, "the revocation was a mistake"); err != nil {
			t.Fatal(err)
		}
		if bit, _ := publishedBit(t, f, "recovery-works", 0); bit {
			t.Fatal("reinstated certificate still marked revoked")
		}
		if pub, _ := f.svc.Verify(f.ctx, c1.VerifyCode); pub.Status != certificate.StateActive {
			t.Fatalf("verification page says %s", pub.Status)
		}

		// A certificate without a position (made before status lists, outside Issue) gets one when revoked.
		if _, err := f.db.NewUpdate().Model((*certificate.Certificate)(nil)).Set("status_index = NULL").Where("id = ?", c2.ID).Exec(f.ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Revoke(f.ctx, actor(f.admin), f.admin, c2.ID, "issued in error"); err != nil {
			t.Fatal(err)
		}
		var idx int
		if err := f.db.NewSelect().Model((*certificate.Certificate)(nil)).Column("status_index").Where("id = ?", c2.ID).Scan(f.ctx, &idx); err != nil || idx != 2 {
			t.Fatalf("lazily allocated index %d %v", idx, err)
		}
		if bit, _ := publishedBit(t, f, "recovery-works", 2); !bit {
			t.Fatal("lazily indexed certificate not marked revoked")
		}

		// After a rotation the new key signs the list.
		kid, err := f.svc.RotateKey(f.ctx, actor(f.admin), f.vendor.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, rotated := publishedBit(t, f, "recovery-works", 0)
		list, err := certificate.VerifyStatusList(rotated.JWS, embedded(t, c1.CredentialJSON), f.clock())
		if !errors.Is(err, certificate.ErrUnknownKey) || list != nil {
			t.Fatalf("list after rotation verified with the old key: %v", err)
		}
		if !strings.Contains(string(rotated.JWS), ".") || kid == "" {
			t.Fatal("no rotation")
		}

		// A vendor that never issued has no list.
		f.newVendor("no-certs", "No Certificates Yet")
		for _, slug := range []string{"no-certs", "nobody"} {
			if _, err := f.svc.StatusList(f.ctx, slug); err == nil {
				t.Fatalf("%s: a list", slug)
			}
		}
	})
}

// The command checks the status list when online: not revoked, revoked (an error), unreachable or
// forged (said plainly), skipped with -offline; after a key rotation it checks the list against the
// key set published at the same origin.
func TestVerifyCommandChecksStatusList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		failing, forge, tamper := false, false, false
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failing {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			switch {
			case r.URL.Path == "/.well-known/jwks.json":
				keys, _ := f.svc.PublicKeys(f.ctx)
				b, _ := certificate.JWKS(keys)
				_, _ = w.Write(b)
			case strings.HasPrefix(r.URL.Path, "/status/"):
				slug := strings.Split(r.URL.Path, "/")[2]
				if forge {
					slug = "other-org" // a list signed by another vendor's key
				}
				l, err := f.svc.StatusList(f.ctx, slug)
				if err != nil {
					http.Error(w, err.Error(), 404)
					return
				}
				if tamper { // the signature's last bytes changed
					l.JWS = append(l.JWS[:len(l.JWS)-4:len(l.JWS)-4], "AAAA"...)
				}
				_, _ = w.Write(l.JWS)
			default:
				http.NotFound(w, r)
			}
		}))
		defer srv.Close()
		f.svc.BaseURL = srv.URL
		c := f.issue(f.candidate(holderName))
		if _, err := f.svc.Issue(f.ctx, actor(f.admin2), f.admin2, []string{f.candidate("Olive Other").ID}); err != nil {
			t.Fatal(err)
		}
		credFile := filepath.Join(t.TempDir(), "cred.jwt")
		if err := os.WriteFile(credFile, []byte(c.CredentialJSON), 0o600); err != nil {
			t.Fatal(err)
		}
		keysFile := filepath.Join(t.TempDir(), "jwks.json")
		writeKeys := func() {
			keys, _ := f.svc.PublicKeys(f.ctx)
			b, _ := certificate.JWKS(keys)
			if err := os.WriteFile(keysFile, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		writeKeys()
		run := func(args ...string) (string, error) {
			var out, errb bytes.Buffer
			err := certificate.RunVerify(args, nil, &out, &errb, f.clock())
			return out.String(), err
		}
		listURL := srv.URL + "/status/recovery-works/revocation"
		ok := "revocation: not revoked, according to the issuer's signed status list " + listURL + "\n"
		for _, args := range [][]string{{credFile}, {credFile, "-keys", keysFile}} {
			if out, err := run(args...); err != nil || !strings.HasPrefix(out, "valid: "+c.Number) || !strings.HasSuffix(out, ok) {
				t.Fatalf("%v: %q %v", args, out, err)
			}
		}
		if out, err := run(credFile, "-offline"); err != nil || !strings.Contains(out, "revocation: not checked (-offline)") {
			t.Fatalf("offline: %q %v", out, err)
		}

		if err := f.svc.Revoke(f.ctx, actor(f.admin), f.admin, c.ID, "issued in error"); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{credFile}, {credFile, "-keys", keysFile}} {
			if out, err := run(args...); err == nil || !strings.Contains(err.Error(), "revoked") || !strings.Contains(err.Error(), listURL) {
				t.Fatalf("revoked, %v: %q %v", args, out, err)
			}
		}
		// Offline the signature is all the command can check, and it says so.
		if out, err := run(credFile, "-offline"); err != nil || !strings.Contains(out, "not checked (-offline)") {
			t.Fatalf("offline after revocation: %q %v", out, err)
		}

		// Could not check: the server is down; the list is signed by another vendor.
		failing = true
		if out, err := run(credFile); err != nil || !strings.Contains(out, "revocation: NOT CHECKED: could not fetch the status list") || !strings.Contains(out, "503") {
			t.Fatalf("server down: %q %v", out, err)
		}
		failing, forge = false, true
		for _, args := range [][]string{{credFile}, {credFile, "-keys", keysFile}} {
			if out, err := run(args...); err != nil || !strings.Contains(out, "revocation: NOT CHECKED: the status list at "+listURL+" says it is ") {
				t.Fatalf("another vendor's list, %v: %q %v", args, out, err)
			}
		}
		forge, tamper = false, true
		for _, args := range [][]string{{credFile}, {credFile, "-keys", keysFile}} {
			if out, err := run(args...); err != nil || !strings.Contains(out, "revocation: NOT CHECKED: the status list does not verify") {
				t.Fatalf("forged list, %v: %q %v", args, out, err)
			}
		}
		tamper = false

		if err := f.svc.Reinstate(f.ctx, actor(f.admin), f.admin, c.ID, "the revocation was a mistake"); err != nil {
			t.Fatal(err)
		}
		// After a rotation the list is signed by the new key: found in the key set published at the
		// list's origin (which still holds the credential's key), or in -keys once updated.
		if _, err := f.svc.RotateKey(f.ctx, actor(f.admin), f.vendor.ID); err != nil {
			t.Fatal(err)
		}
		if out, err := run(credFile); err != nil || !strings.HasSuffix(out, ok) {
			t.Fatalf("after rotation: %q %v", out, err)
		}
		if out, err := run(credFile, "-keys", keysFile); err != nil || !strings.Contains(out, "NOT CHECKED") {
			t.Fatalf("after rotation with stale keys: %q %v", out, err)
		}
		writeKeys()
		if out, err := run(credFile, "-keys", keysFile); err != nil || !strings.HasSuffix(out, ok) {
			t.Fatalf("after rotation with fresh keys: %q %v", out, err)
		}
	})
}
