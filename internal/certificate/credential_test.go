package certificate_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

func newKey(t *testing.T) (string, ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return certificate.KeyID(pub), pub, priv
}

func TestJWSRoundTripAndTampering(t *testing.T) {
	kid, pub, priv := newKey(t)
	payload := []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"https://x.test/verify/abc","type":["VerifiableCredential","OpenBadgeCredential"],` +
		`"issuer":{"id":"` + certificate.DIDKey(pub) + `","type":["Profile"],"name":"Recovery Works"},"validFrom":"2027-03-14T15:00:00Z","validUntil":"2029-03-14T04:00:00Z",` +
		`"credentialSubject":{"type":["AchievementSubject"],"name":"Zoë Nuñez-O'Brien","identifier":[{"type":"IdentityObject","identityHash":"PA-CPS-X-2027-000001","identityType":"identifier","hashed":false}],` +
		`"achievement":{"id":"https://x.test/a","type":["Achievement"],"achievementType":"Certificate","name":"Certified Peer Specialist","description":"d","criteria":{"narrative":"n"}}}}`)
	jws, err := certificate.SignJWS(payload, kid, priv)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]ed25519.PublicKey{kid: pub}
	at := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	c, err := certificate.VerifyCredentialAt([]byte(jws), keys, at)
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != "PA-CPS-X-2027-000001" || c.HolderName != "Zoë Nuñez-O'Brien" || c.VendorName != "Recovery Works" || c.KeyID != kid || !bytes.Equal(c.CredentialPayload, payload) {
		t.Fatalf("claims: %+v", c)
	}
	// The embedded did:key gives the same key.
	emb, err := certificate.EmbeddedKey([]byte(jws))
	if err != nil || !emb[kid].Equal(pub) {
		t.Fatalf("embedded key: %v", err)
	}

	// Any byte changed, anywhere, fails.
	alphabet := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
	for i := 0; i < len(jws); i++ {
		b := []byte(jws)
		// Change to another character, cycling through a few replacements (including padding-bit changes).
		for _, r := range []byte{alphabet[(strings.IndexByte(alphabet, b[i])+1)%len(alphabet)], alphabet[(strings.IndexByte(alphabet, b[i])+2)%len(alphabet)], ' ', '\n', '='} {
			if r == jws[i] {
				continue
			}
			b[i] = r
			if _, err := certificate.VerifyCredentialAt(b, keys, at); err == nil {
				t.Fatalf("altered byte %d (%q -> %q) still verifies", i, jws[i], r)
			}
		}
	}
	// Appended or inserted bytes fail too.
	for _, bad := range []string{jws + "A", jws + "\n", "A" + jws, strings.Replace(jws, ".", ".\n", 1), jws + ".x"} {
		if _, err := certificate.VerifyCredentialAt([]byte(bad), keys, at); err == nil {
			t.Fatalf("%q verifies", bad[:10])
		}
	}

	// Wrong key, unknown kid, expired, not yet valid.
	kid2, pub2, priv2 := newKey(t)
	if _, err := certificate.VerifyCredentialAt([]byte(jws), map[string]ed25519.PublicKey{kid: pub2}, at); !errors.Is(err, certificate.ErrBadSignature) {
		t.Fatalf("wrong key: %v", err)
	}
	if _, err := certificate.VerifyCredentialAt([]byte(jws), map[string]ed25519.PublicKey{kid2: pub2}, at); !errors.Is(err, certificate.ErrUnknownKey) {
		t.Fatalf("unknown kid: %v", err)
	}
	if _, err := certificate.VerifyCredentialAt([]byte(jws), keys, time.Date(2029, 3, 14, 4, 0, 0, 0, time.UTC)); !errors.Is(err, certificate.ErrExpired) {
		t.Fatalf("expired: %v", err)
	}
	if _, err := certificate.VerifyCredentialAt([]byte(jws), keys, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); !errors.Is(err, certificate.ErrNotYetValid) {
		t.Fatalf("not yet valid: %v", err)
	}

	// Signed by another key but claiming the first issuer: the kid's DID must be the issuer.
	forged, _ := certificate.SignJWS(payload, kid2, priv2)
	if _, err := certificate.VerifyCredentialAt([]byte(forged), map[string]ed25519.PublicKey{kid2: pub2}, at); !errors.Is(err, certificate.ErrBadSignature) {
		t.Fatalf("issuer mismatch: %v", err)
	}
	if _, err := certificate.EmbeddedKey([]byte(forged)); err == nil {
		t.Fatal("embedded key of a forged credential")
	}

	// alg "none" and other algorithms are refused before any key is used.
	parts := strings.Split(jws, ".")
	for _, h := range []string{`{"alg":"none","typ":"vc+jwt","kid":"` + kid + `"}`, `{"alg":"HS256","typ":"vc+jwt","kid":"` + kid + `"}`,
		`{"alg":"EdDSA","typ":"vc+jwt","kid":"` + kid + `","crit":["b64"]}`} {
		bad := base64.RawURLEncoding.EncodeToString([]byte(h)) + "." + parts[1] + "."
		if _, err := certificate.VerifyCredentialAt([]byte(bad), keys, at); err == nil {
			t.Fatalf("header %s accepted", h)
		}
		bad += parts[2]
		if _, err := certificate.VerifyCredentialAt([]byte(bad), keys, at); err == nil {
			t.Fatalf("header %s accepted", h)
		}
	}
}

func TestDIDKey(t *testing.T) {
	_, pub, _ := newKey(t)
	did := certificate.DIDKey(pub)
	if !strings.HasPrefix(did, "did:key:z6Mk") {
		t.Fatalf("did %s", did)
	}
	got, err := certificate.ParseDIDKey(certificate.KeyID(pub))
	if err != nil || !got.Equal(pub) {
		t.Fatalf("round trip: %v", err)
	}
	// The test vector of the did:key specification.
	const vector = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp"
	k, err := certificate.ParseDIDKey(vector)
	if err != nil || certificate.DIDKey(k) != vector {
		t.Fatalf("spec vector: %v %s", err, certificate.DIDKey(k))
	}
	for _, bad := range []string{"did:key:z0OIl", "did:web:x", "did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme"} {
		if _, err := certificate.ParseDIDKey(bad); err == nil {
			t.Fatalf("%s parsed", bad)
		}
	}
}

func TestVerifyCommand(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		c := f.issue(f.candidate(holderName))
		other := f.candidate("Olive Other") // the other vendor issues too, so it has a key of its own
		_, err := f.svc.Issue(f.ctx, actor(f.admin2), f.admin2, []string{other.ID})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		write := func(name string, b []byte) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		jws, _ := f.svc.Credential(f.ctx, f.admin, c.ID)
		credFile := write("cred.jwt", append(append([]byte{}, jws...), '\n'))
		keys, _ := f.svc.PublicKeys(f.ctx)
		jwks, _ := certificate.JWKS(keys)
		keysFile := write("jwks.json", jwks)
		var onlyOther []certificate.VendorKey
		for _, k := range keys {
			if k.VendorID == f.other.ID {
				onlyOther = append(onlyOther, k)
			}
		}
		otherJWKS, _ := certificate.JWKS(onlyOther)
		otherKeysFile := write("other.json", otherJWKS)
		tampered := bytes.Replace(jws, []byte(".ey"), []byte(".ez"), 1)
		tamperedFile := write("tampered.jwt", tampered)
		now := f.clock()

		run := func(args ...string) (string, string, error) {
			var out, errb bytes.Buffer
			err := certificate.RunVerify(append(args, "-offline"), strings.NewReader(string(jws)), &out, &errb, now)
			return out.String(), errb.String(), err
		}
		want := "valid: " + c.Number + " issued to " + holderName + " by Recovery Works Training, valid until 2029-03-14\n"
		for _, args := range [][]string{{credFile, "-keys", keysFile}, {"-keys", keysFile, credFile}, {"--keys=" + keysFile, credFile}, {"-", "-keys", keysFile}} {
			out, _, err := run(args...)
			if err != nil || !strings.HasPrefix(out, want) {
				t.Fatalf("%v: %q %v", args, out, err)
			}
		}
		// Without -keys: the issuer key named in the credential, with a note saying what that proves.
		out, note, err := run(credFile)
		if err != nil || !strings.HasPrefix(out, want) || !strings.Contains(note, "-keys") || !strings.Contains(out, "not checked (-offline); the current status is at "+baseURL+"/verify/"+c.VerifyCode) {
			t.Fatalf("embedded key: %q %q %v", out, note, err)
		}
		// Failures: tampered, another vendor's keys, expired, bad usage, missing file.
		if _, _, err := run(tamperedFile, "-keys", keysFile); err == nil || !strings.Contains(err.Error(), "invalid credential") {
			t.Fatalf("tampered: %v", err)
		}
		if _, _, err := run(tamperedFile); err == nil {
			t.Fatal("tampered accepted against its embedded key")
		}
		if _, _, err := run(credFile, "-keys", otherKeysFile); err == nil || !strings.Contains(err.Error(), "not among the trusted keys") {
			t.Fatalf("other vendor's keys: %v", err)
		}
		var outb, errb bytes.Buffer
		if err := certificate.RunVerify([]string{credFile}, nil, &outb, &errb, time.Date(2029, 3, 14, 4, 0, 0, 0, time.UTC)); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("expired: %v", err)
		}
		for _, args := range [][]string{{}, {credFile, "extra"}, {"-x", credFile}, {credFile, "-keys"}, {filepath.Join(dir, "missing")}} {
			if _, _, err := run(args...); err == nil {
				t.Fatalf("%v accepted", args)
			}
		}
	})
}

// After a rotation new credentials are signed with the new key, the old key stays published (retired),
// and a credential signed before the rotation still verifies against the published key set.
func TestRotateSigningKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d)
		before := f.issue(f.candidate(holderName))
		kid, err := f.svc.RotateKey(f.ctx, actor(f.admin), f.vendor.ID)
		if err != nil {
			t.Fatal(err)
		}
		after := f.issue(f.candidate("Sam Second"))
		keys, err := f.svc.PublicKeys(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var current, retired []string
		for _, k := range keys {
			if k.VendorID != f.vendor.ID {
				continue
			}
			if k.RetiredAt == nil {
				current = append(current, k.KID)
			} else {
				retired = append(retired, k.KID)
			}
		}
		if len(current) != 1 || current[0] != kid || len(retired) != 1 || retired[0] == kid {
			t.Fatalf("keys after rotation: current %v, retired %v (new %s)", current, retired, kid)
		}
		header := func(jws string) string {
			h, _, _ := strings.Cut(jws, ".")
			b, err := base64.RawURLEncoding.DecodeString(h)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		if !strings.Contains(header(before.CredentialJSON), retired[0]) || !strings.Contains(header(after.CredentialJSON), kid) {
			t.Fatal("credentials are not signed with the key current when they were issued")
		}
		jwks, _ := certificate.JWKS(keys)
		keysFile := filepath.Join(t.TempDir(), "jwks.json")
		if err := os.WriteFile(keysFile, jwks, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, c := range []certificate.Certificate{before, after} {
			var out, errb bytes.Buffer
			if err := certificate.RunVerify([]string{"-", "-keys", keysFile, "-offline"}, strings.NewReader(c.CredentialJSON), &out, &errb, f.clock()); err != nil || !strings.HasPrefix(out.String(), "valid: "+c.Number) {
				t.Fatalf("%s after rotation: %q %v", c.Number, out.String(), err)
			}
		}
		if f.auditCount("vendor.key_rotate", f.vendor.ID) != 1 {
			t.Fatal("rotation not audited")
		}
	})
}
