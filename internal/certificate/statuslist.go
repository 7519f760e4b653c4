package certificate

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/database"
)

// Revocation a verifier can check without asking about one certificate: every credential carries a
// credentialStatus entry of the W3C Bitstring Status List v1.0 (statusPurpose "revocation"), naming
// its position in its vendor's list; the list is itself a credential (BitstringStatusListCredential)
// that the vendor's current key signs, built from the database on each request and published at
// StatusListURL. A bit is 1 while the certificate is revoked; reinstating clears it again. One list
// serves every certificate of the vendor, so fetching it does not tell us which one is checked.

const (
	// StatusPurposeRevocation is the purpose of the one list each vendor publishes.
	StatusPurposeRevocation = "revocation"
	// StatusListMinEntries is the smallest list the specification allows: 16 KB uncompressed.
	StatusListMinEntries = 131072
	// StatusListTTL is how long a fetched list may be used: the list credential's ttl and the
	// Cache-Control max-age it is served with.
	StatusListTTL = time.Minute

	maxStatusListJWS  = 1 << 20  // a signed list we accept to read
	maxStatusListBits = 16 << 20 // bytes of an uncompressed list we accept to expand (a GZIP bomb stops here)
)

// Errors of VerifyStatusList and StatusList.Bit.
var (
	ErrNotStatusList = errors.New("not a bitstring status list credential")
	ErrStatusRange   = errors.New("the status list index lies outside the list")
)

// StatusListURL is the public address of a vendor's revocation list.
func (s *Service) StatusListURL(vendorSlug string) string {
	return s.urls().StatusList(vendorSlug, StatusPurposeRevocation)
}

func (s *Service) statusEntry(vendorSlug string, index int) *StatusEntry {
	u := s.StatusListURL(vendorSlug)
	i := strconv.Itoa(index)
	return &StatusEntry{ID: u + "#" + i, Type: "BitstringStatusListEntry", StatusPurpose: StatusPurposeRevocation,
		StatusListIndex: i, StatusListCredential: u}
}

// EncodeStatusList returns the encodedList of a list of at least entries positions (and at least
// StatusListMinEntries; grown in steps of it) whose bits at set are 1: the bitstring, index 0 at the
// left-most (most significant) bit of the first byte, GZIP-compressed, base64url without padding,
// with the multibase prefix "u".
func EncodeStatusList(set []int, entries int) (string, error) {
	n := StatusListMinEntries
	for n < entries {
		n += StatusListMinEntries
	}
	bits := make([]byte, n/8)
	for _, i := range set {
		if i < 0 || i >= n {
			return "", fmt.Errorf("status list: index %d outside 0..%d", i, n-1)
		}
		bits[i/8] |= 0x80 >> (i % 8)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(bits); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return "u" + b64.EncodeToString(buf.Bytes()), nil
}

// DecodeStatusList expands an encodedList into its bitstring, refusing one that is not multibase
// base64url, not GZIP, larger than 16 MB or smaller than the specification's minimum.
func DecodeStatusList(encoded string) ([]byte, error) {
	rest, ok := strings.CutPrefix(encoded, "u")
	if !ok {
		return nil, fmt.Errorf("%w: encodedList is not multibase base64url (no \"u\" prefix)", ErrNotStatusList)
	}
	raw, err := b64.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: encodedList: %v", ErrNotStatusList, err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: encodedList is not GZIP: %v", ErrNotStatusList, err)
	}
	bits, err := io.ReadAll(io.LimitReader(zr, maxStatusListBits+1))
	if err != nil {
		return nil, fmt.Errorf("%w: encodedList: %v", ErrNotStatusList, err)
	}
	switch {
	case len(bits) > maxStatusListBits:
		return nil, fmt.Errorf("%w: the list is larger than %d bytes", ErrNotStatusList, maxStatusListBits)
	case len(bits)*8 < StatusListMinEntries:
		return nil, fmt.Errorf("%w: the list has %d entries, fewer than the %d required", ErrNotStatusList, len(bits)*8, StatusListMinEntries)
	}
	return bits, nil
}

// StatusList is a verified status list credential.
type StatusList struct {
	ID         string
	IssuerID   string
	VendorName string
	KeyID      string
	Purposes   []string
	ValidFrom  time.Time
	Bits       []byte // the expanded bitstring
}

// Bit reads the status at index: true when set (for a revocation list: revoked).
func (l *StatusList) Bit(index int) (bool, error) {
	if index < 0 || index/8 >= len(l.Bits) {
		return false, fmt.Errorf("%w (%d of %d)", ErrStatusRange, index, len(l.Bits)*8)
	}
	return l.Bits[index/8]&(0x80>>(index%8)) != 0, nil
}

// statusPurposes is statusPurpose: one string or several.
type statusPurposes []string

func (p *statusPurposes) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*p = []string{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	*p = many
	return err
}

func (p statusPurposes) MarshalJSON() ([]byte, error) {
	if len(p) == 1 {
		return json.Marshal(p[0])
	}
	return json.Marshal([]string(p))
}

type statusListCredential struct {
	Context           []string      `json:"@context"`
	ID                string        `json:"id"`
	Type              []string      `json:"type"`
	Issuer            issuerProfile `json:"issuer"`
	ValidFrom         string        `json:"validFrom"`
	ValidUntil        string        `json:"validUntil,omitempty"`
	CredentialSubject struct {
		ID            string         `json:"id"`
		Type          string         `json:"type"`
		StatusPurpose statusPurposes `json:"statusPurpose"`
		EncodedList   string         `json:"encodedList"`
		TTL           int64          `json:"ttl,omitempty"`
	} `json:"credentialSubject"`
}

func (vc *statusListCredential) issuerID() string { return vc.Issuer.ID }

// VerifyStatusList checks a status list credential secured as a compact JWS: signed by one of keys
// (EdDSA, as the credentials), its issuer the key's DID, of type BitstringStatusListCredential with a
// BitstringStatusList subject, valid at now, and its list well formed.
func VerifyStatusList(jws []byte, keys map[string]ed25519.PublicKey, now time.Time) (*StatusList, error) {
	var vc statusListCredential
	hdr, _, err := verifyJWSInto(jws, keys, maxStatusListJWS, &vc)
	if err != nil {
		return nil, err
	}
	if !contains(vc.Type, "VerifiableCredential") || !contains(vc.Type, "BitstringStatusListCredential") || vc.CredentialSubject.Type != "BitstringStatusList" {
		return nil, ErrNotStatusList
	}
	l := &StatusList{ID: vc.ID, IssuerID: vc.Issuer.ID, VendorName: vc.Issuer.Name, KeyID: hdr.Kid, Purposes: vc.CredentialSubject.StatusPurpose}
	if l.ValidFrom, err = time.Parse(time.RFC3339, vc.ValidFrom); err != nil {
		return nil, fmt.Errorf("%w: validFrom: %v", ErrNotStatusList, err)
	}
	if now.Add(5 * time.Minute).Before(l.ValidFrom) {
		return nil, fmt.Errorf("%w (the list is valid from %s)", ErrNotYetValid, vc.ValidFrom)
	}
	if vc.ValidUntil != "" {
		until, err := time.Parse(time.RFC3339, vc.ValidUntil)
		if err != nil {
			return nil, fmt.Errorf("%w: validUntil: %v", ErrNotStatusList, err)
		}
		if !now.Before(until) {
			return nil, fmt.Errorf("%w (the list was valid until %s)", ErrExpired, vc.ValidUntil)
		}
	}
	if l.Bits, err = DecodeStatusList(vc.CredentialSubject.EncodedList); err != nil {
		return nil, err
	}
	return l, nil
}

// SignedStatusList is a vendor's revocation list as published.
type SignedStatusList struct {
	JWS       []byte    // compact JWS, media type application/vc+jwt
	ChangedAt time.Time // the last revocation or reinstatement (the list's validFrom)
}

var errNoStatusList = apperr.New(apperr.NotFound, "not_found", "There is no status list here.")

// StatusList builds the revocation list of the vendor with slug from the database and signs it with
// the vendor's current key. The same database state gives the same bytes (Ed25519 signatures are
// deterministic), so the caller can use a hash of them as an ETag. A vendor that never issued a
// certificate has no list (NotFound).
func (s *Service) StatusList(ctx context.Context, vendorSlug string) (*SignedStatusList, error) {
	v, err := account.LoadVendorBySlug(ctx, s.DB, vendorSlug)
	if err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errNoStatusList
		}
		return nil, err
	}
	var last int
	var changed time.Time
	if err := s.DB.NewSelect().Table("status_lists").Column("last_index", "changed_at").Where("vendor_id = ?", v.ID).Scan(ctx, &last, &changed); err != nil {
		if database.ErrIsNotFound(err) {
			return nil, errNoStatusList
		}
		return nil, err
	}
	var revoked []int
	if err := s.DB.NewSelect().Model((*Certificate)(nil)).Column("status_index").Where("vendor_id = ?", v.ID).
		Where("status = ?", StatusRevoked).Where("status_index IS NOT NULL").Scan(ctx, &revoked); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	endorsed, err := revokedEndorsements(ctx, s.DB, v.ID)
	if err != nil {
		return nil, err
	}
	revoked = append(revoked, endorsed...)
	kid, key, err := s.signingKey(ctx, s.DB, v.ID)
	if err != nil {
		return nil, err
	}
	encoded, err := EncodeStatusList(revoked, last+1)
	if err != nil {
		return nil, err
	}
	u := s.StatusListURL(v.Slug)
	vc := statusListCredential{Context: []string{contextVC}, ID: u, Type: []string{"VerifiableCredential", "BitstringStatusListCredential"},
		Issuer:    issuerProfile{ID: DIDKey(key.Public().(ed25519.PublicKey)), Type: []string{"Profile"}, Name: v.Name},
		ValidFrom: changed.UTC().Truncate(time.Second).Format(time.RFC3339)}
	sub := &vc.CredentialSubject
	sub.ID, sub.Type, sub.StatusPurpose, sub.EncodedList = u+"#list", "BitstringStatusList", statusPurposes{StatusPurposeRevocation}, encoded
	sub.TTL = StatusListTTL.Milliseconds()
	payload, err := json.Marshal(vc)
	if err != nil {
		return nil, err
	}
	jws, err := SignJWS(payload, kid, key)
	if err != nil {
		return nil, err
	}
	return &SignedStatusList{JWS: []byte(jws), ChangedAt: changed}, nil
}

// nextStatusIndex gives the next position in the vendor's list, in one atomic statement, in the
// issuing transaction (as nextNumbers).
func nextStatusIndex(ctx context.Context, tx bun.IDB, vendorID string, now time.Time) (int, error) {
	return nextStatusIndices(ctx, tx, vendorID, now, 1)
}

// nextStatusIndices reserves the next n positions in the vendor's list in one atomic statement and
// returns the first.
func nextStatusIndices(ctx context.Context, tx bun.IDB, vendorID string, now time.Time, n int) (int, error) {
	var last int
	err := tx.NewRaw(`INSERT INTO status_lists (vendor_id, last_index, changed_at) VALUES (?, ?, ?)
		ON CONFLICT (vendor_id) DO UPDATE SET last_index = status_lists.last_index + ? RETURNING last_index`, vendorID, n-1, now, n).Scan(ctx, &last)
	return last - n + 1, err
}

// ensureStatusIndex gives c a position in its vendor's list if it has none yet (a certificate made
// outside Issue), in the caller's transaction.
func (s *Service) ensureStatusIndex(ctx context.Context, tx bun.IDB, c *Certificate) error {
	if c.StatusIndex != nil {
		return nil
	}
	n, err := nextStatusIndex(ctx, tx, c.VendorID, s.now())
	if err != nil {
		return err
	}
	if _, err := tx.NewUpdate().Model((*Certificate)(nil)).Set("status_index = ?", n).Where("id = ?", c.ID).Exec(ctx); err != nil {
		return err
	}
	c.StatusIndex = &n
	return nil
}

// touchStatusList records that a bit of the vendor's list changed, in the caller's transaction.
func touchStatusList(ctx context.Context, tx bun.IDB, vendorID string, now time.Time) error {
	_, err := tx.NewUpdate().Table("status_lists").Set("changed_at = ?", now).Where("vendor_id = ?", vendorID).Exec(ctx)
	return err
}
