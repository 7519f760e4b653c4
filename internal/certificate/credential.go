package certificate

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
)

// The signed credential is a W3C Verifiable Credential 2.0 shaped as an Open Badges 3.0
// OpenBadgeCredential, secured as a compact JWS (VC-JOSE: the payload is the credential itself)
// signed with the issuing vendor's Ed25519 key: header {"alg":"EdDSA","typ":"vc+jwt","cty":"vc","kid":…}.
// The issuer's id is its did:key, so the credential carries the key that checks it; the published
// JWKS (PublicKeys, JWKS) ties that key to the vendor.

// Errors of VerifyCredential. Callers test with errors.Is.
var (
	ErrMalformed    = errors.New("not a compact JWS credential")
	ErrBadSignature = errors.New("the signature does not match: the credential was altered or was not signed by this key")
	ErrUnknownKey   = errors.New("the credential is signed with a key that is not among the trusted keys")
	ErrExpired      = errors.New("the credential has expired")
	ErrNotYetValid  = errors.New("the credential is not valid yet")
)

const (
	contextVC  = "https://www.w3.org/ns/credentials/v2"
	contextOB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
)

type jwsHeader struct {
	Alg  string   `json:"alg"`
	Typ  string   `json:"typ,omitempty"`
	Cty  string   `json:"cty,omitempty"`
	Kid  string   `json:"kid"`
	Crit []string `json:"crit,omitempty"`
}

type identity struct {
	Type         string `json:"type"`
	IdentityHash string `json:"identityHash"`
	IdentityType string `json:"identityType"`
	Hashed       bool   `json:"hashed"`
}

// Achievement is what a credential attests. In a credential it is credentialSubject.achievement; its
// id is a public URL that answers with this description (JSON, with @context, for machines; HTML
// for people).
type Achievement struct {
	Context         []string `json:"@context,omitempty"`
	ID              string   `json:"id"`
	Type            []string `json:"type"`
	AchievementType string   `json:"achievementType"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	Criteria        struct {
		ID        string `json:"id,omitempty"`
		Narrative string `json:"narrative"`
	} `json:"criteria"`
	Specialization string `json:"specialization,omitempty"`
}

type subject struct {
	Type        []string    `json:"type"`
	Name        string      `json:"name"`
	Identifier  []identity  `json:"identifier"`
	Achievement Achievement `json:"achievement"`
}

type issuerProfile struct {
	ID   string   `json:"id"`
	Type []string `json:"type"`
	Name string   `json:"name"`
}

type verifiableCredential struct {
	Context           []string      `json:"@context"`
	ID                string        `json:"id"`
	Type              []string      `json:"type"`
	Issuer            issuerProfile `json:"issuer"`
	Name              string        `json:"name"`
	ValidFrom         string        `json:"validFrom"`
	ValidUntil        string        `json:"validUntil"`
	CredentialSubject subject       `json:"credentialSubject"`
	CredentialStatus  *StatusEntry  `json:"credentialStatus,omitempty"`
}

// StatusEntry is a credential's credentialStatus: a W3C Bitstring Status List entry pointing at its
// position in the vendor's revocation list.
type StatusEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// Claims is what a verified credential says.
type Claims struct {
	ID         string    `json:"id"` // the verification URL
	Number     string    `json:"number"`
	HolderName string    `json:"holder_name"`
	Credential string    `json:"credential"`
	Track      string    `json:"track,omitempty"`
	IssuerID   string    `json:"issuer_id"` // the vendor's did:key
	VendorName string    `json:"vendor_name"`
	KeyID      string    `json:"kid"`
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until"`
	// Status is the credential's status list entry; nil for a credential signed before status lists.
	Status            *StatusEntry `json:"credential_status,omitempty"`
	CredentialPayload []byte       `json:"-"` // the credential JSON as signed
}

func (s *Service) credentialJSON(c *Certificate, v *account.Vendor, pub ed25519.PublicKey) ([]byte, error) {
	vc := verifiableCredential{
		Context: []string{contextVC, contextOB3},
		ID:      s.VerifyURL(c.VerifyCode),
		Type:    []string{"VerifiableCredential", "OpenBadgeCredential"},
		Issuer:  issuerProfile{ID: DIDKey(pub), Type: []string{"Profile"}, Name: v.Name},
		Name:    c.Credential + " " + c.Number,
		// Seconds precision, in UTC. validFrom is the first issue (a renewed credential is valid from then on).
		ValidFrom:  c.IssuedAt.UTC().Truncate(time.Second).Format(time.RFC3339),
		ValidUntil: c.ExpiresAt.UTC().Truncate(time.Second).Format(time.RFC3339),
		CredentialSubject: subject{
			Type: []string{"AchievementSubject"},
			Name: c.HolderName,
			Identifier: []identity{
				{Type: "IdentityObject", IdentityHash: c.HolderName, IdentityType: "name", Hashed: false},
				{Type: "IdentityObject", IdentityHash: c.Number, IdentityType: "identifier", Hashed: false},
			},
			Achievement: s.achievement(),
		},
	}
	vc.CredentialSubject.Achievement.Name = c.Credential
	vc.CredentialSubject.Achievement.Specialization = c.Track
	if c.StatusIndex != nil {
		vc.CredentialStatus = s.statusEntry(v.Slug, *c.StatusIndex)
	}
	return json.Marshal(vc)
}

var b64 = base64.RawURLEncoding.Strict()

// SignJWS secures payload as a compact JWS with EdDSA (Ed25519).
func SignJWS(payload []byte, kid string, key ed25519.PrivateKey) (string, error) {
	h, err := json.Marshal(jwsHeader{Alg: "EdDSA", Typ: "vc+jwt", Cty: "vc", Kid: kid})
	if err != nil {
		return "", err
	}
	input := b64.EncodeToString(h) + "." + b64.EncodeToString(payload)
	return input + "." + b64.EncodeToString(ed25519.Sign(key, []byte(input))), nil
}

// VerifyCredentialAt checks a compact-JWS credential: the algorithm is EdDSA, its kid names one of
// keys and the signature matches (any altered byte fails), the issuer is the key's DID, and now
// lies in [validFrom, validUntil). It does not know about revocation: Claims.Status points at the
// vendor's status list (see VerifyStatusList and CheckStatus), and the credential's id is the
// verification URL, which gives the current status too.
func VerifyCredentialAt(jws []byte, keys map[string]ed25519.PublicKey, now time.Time) (*Claims, error) {
	var vc verifiableCredential
	hdr, payload, err := verifyJWSInto(jws, keys, maxCredentialJWS, &vc)
	if err != nil {
		return nil, err
	}
	if !contains(vc.Type, "VerifiableCredential") {
		return nil, fmt.Errorf("%w: not a verifiable credential", ErrMalformed)
	}
	c := &Claims{ID: vc.ID, HolderName: vc.CredentialSubject.Name, Credential: vc.CredentialSubject.Achievement.Name,
		Track: vc.CredentialSubject.Achievement.Specialization, IssuerID: vc.Issuer.ID, VendorName: vc.Issuer.Name, KeyID: hdr.Kid,
		Status: vc.CredentialStatus, CredentialPayload: payload}
	for _, id := range vc.CredentialSubject.Identifier {
		if id.IdentityType == "identifier" && !id.Hashed {
			c.Number = id.IdentityHash
		}
	}
	if c.ValidFrom, err = time.Parse(time.RFC3339, vc.ValidFrom); err != nil {
		return nil, fmt.Errorf("%w: validFrom: %v", ErrMalformed, err)
	}
	if c.ValidUntil, err = time.Parse(time.RFC3339, vc.ValidUntil); err != nil {
		return nil, fmt.Errorf("%w: validUntil: %v", ErrMalformed, err)
	}
	if !now.Before(c.ValidUntil) {
		return c, fmt.Errorf("%w (valid until %s)", ErrExpired, c.ValidUntil.Format(time.RFC3339))
	}
	if now.Add(5 * time.Minute).Before(c.ValidFrom) {
		return c, fmt.Errorf("%w (valid from %s)", ErrNotYetValid, c.ValidFrom.Format(time.RFC3339))
	}
	return c, nil
}

// verifyJWS checks a compact JWS of at most max bytes: the algorithm is EdDSA, the type vc+jwt, no
// critical extensions, its kid names one of keys and the signature matches. It returns the header
// and the payload.
func verifyJWS(jws []byte, keys map[string]ed25519.PublicKey, max int) (jwsHeader, []byte, error) {
	var hdr jwsHeader
	h, payload, sig, err := splitJWS(jws, max)
	if err != nil {
		return hdr, nil, err
	}
	if err := json.Unmarshal(h, &hdr); err != nil {
		return hdr, nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	if hdr.Alg != "EdDSA" {
		return hdr, nil, fmt.Errorf("%w: algorithm %q is not accepted (only EdDSA)", ErrMalformed, hdr.Alg)
	}
	if hdr.Typ != "vc+jwt" {
		return hdr, nil, fmt.Errorf("%w: type %q is not vc+jwt", ErrMalformed, hdr.Typ)
	}
	if len(hdr.Crit) > 0 {
		return hdr, nil, fmt.Errorf("%w: unsupported critical header parameters %v", ErrMalformed, hdr.Crit)
	}
	pub, ok := keys[hdr.Kid]
	if !ok || hdr.Kid == "" {
		return hdr, nil, fmt.Errorf("%w (kid %q)", ErrUnknownKey, hdr.Kid)
	}
	if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return hdr, nil, ErrBadSignature
	}
	dot := strings.LastIndexByte(string(jws), '.')
	if !ed25519.Verify(pub, jws[:dot], sig) {
		return hdr, nil, ErrBadSignature
	}
	return hdr, payload, nil
}

// issued is a credential whose issuer names its key.
type issued interface{ issuerID() string }

func (vc *verifiableCredential) issuerID() string { return vc.Issuer.ID }

// verifyJWSInto verifies as verifyJWS, decodes the payload into v and checks that v's issuer is the
// DID of the key that signed it.
func verifyJWSInto(jws []byte, keys map[string]ed25519.PublicKey, max int, v issued) (jwsHeader, []byte, error) {
	hdr, payload, err := verifyJWS(jws, keys, max)
	if err != nil {
		return hdr, nil, err
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return hdr, nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if did, _, _ := strings.Cut(hdr.Kid, "#"); strings.HasPrefix(did, "did:") && did != v.issuerID() {
		return hdr, nil, fmt.Errorf("%w: the credential names issuer %q but is signed with a key of %q", ErrBadSignature, v.issuerID(), did)
	}
	return hdr, payload, nil
}

// maxCredentialJWS bounds a certificate's credential.
const maxCredentialJWS = 64 << 10

// splitJWS decodes the three parts of a compact JWS, refusing anything outside the base64url
// alphabet (a decoder that skipped such bytes would let an altered credential verify).
func splitJWS(jws []byte, max int) (h, payload, sig []byte, err error) {
	if len(jws) > max {
		return nil, nil, nil, fmt.Errorf("%w: too long", ErrMalformed)
	}
	parts := strings.Split(string(jws), ".")
	if len(parts) != 3 {
		return nil, nil, nil, fmt.Errorf("%w: want three dot-separated parts", ErrMalformed)
	}
	var out [3][]byte
	for i, p := range parts {
		for j := 0; j < len(p); j++ {
			c := p[j]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return nil, nil, nil, fmt.Errorf("%w: part %d holds a character outside base64url", ErrMalformed, i+1)
			}
		}
		if out[i], err = b64.DecodeString(p); err != nil {
			if i == 2 {
				return nil, nil, nil, ErrBadSignature
			}
			return nil, nil, nil, fmt.Errorf("%w: part %d: %v", ErrMalformed, i+1, err)
		}
	}
	return out[0], out[1], out[2], nil
}

// EmbeddedKey returns the key a credential names for itself: its issuer's did:key, under the kid of
// its header (which must be that DID's key). Checking a credential against it proves the credential
// is intact and was signed by the holder of that key, not that the key is a vendor's: compare the
// issuer with the published keys for that.
func EmbeddedKey(jws []byte) (map[string]ed25519.PublicKey, error) {
	h, payload, _, err := splitJWS(jws, maxCredentialJWS)
	if err != nil {
		return nil, err
	}
	var hdr jwsHeader
	if err := json.Unmarshal(h, &hdr); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	var vc struct {
		Issuer issuerProfile `json:"issuer"`
	}
	if err := json.Unmarshal(payload, &vc); err != nil {
		return nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	pub, err := ParseDIDKey(vc.Issuer.ID)
	if err != nil {
		return nil, fmt.Errorf("%w: issuer: %v", ErrMalformed, err)
	}
	if did, _, _ := strings.Cut(hdr.Kid, "#"); did != vc.Issuer.ID {
		return nil, fmt.Errorf("%w: the header's key is not the issuer's", ErrUnknownKey)
	}
	return map[string]ed25519.PublicKey{hdr.Kid: pub}, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
