package certificate

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/sealbox"
)

// vendorKey is a vendor's signing key as stored. The private key is sealed with the service's
// sealbox keyring (AES-256-GCM under PEERACADEMY_ENCRYPTION_KEYS), bound to the vendor id.
type vendorKey struct {
	bun.BaseModel `bun:"table:vendor_keys"`

	KID              string     `bun:"kid,pk"`
	VendorID         string     `bun:"vendor_id,notnull"`
	PublicKey        string     `bun:"public_key,notnull"` // standard base64 of the 32-byte key
	PrivateKeySealed string     `bun:"private_key_sealed,notnull"`
	CreatedAt        time.Time  `bun:"created_at,notnull"`
	RetiredAt        *time.Time `bun:"retired_at"` // nil for the vendor's current key
}

// VendorKey is a vendor's public signing key, for a published JWKS.
type VendorKey struct {
	VendorID   string            `json:"vendor_id"`
	VendorName string            `json:"vendor_name"`
	KID        string            `json:"kid"`
	PublicKey  ed25519.PublicKey `json:"-"`
	CreatedAt  time.Time         `json:"created_at"`
	RetiredAt  *time.Time        `json:"retired_at,omitempty"` // no longer signs; still verifies what it signed
}

func sealAAD(vendorID string) string { return "vendor_key/" + vendorID }

// signingKey returns the vendor's key pair, creating it on first use. Two callers at once both
// insert with ON CONFLICT DO NOTHING and then read the one row that won.
func (s *Service) signingKey(ctx context.Context, db bun.IDB, vendorID string) (string, ed25519.PrivateKey, error) {
	if s.Keys == nil {
		return "", nil, errors.New("certificate: no keyring to seal vendor signing keys")
	}
	k := new(vendorKey)
	err := db.NewSelect().Model(k).Where("vendor_id = ?", vendorID).Where("retired_at IS NULL").Scan(ctx)
	if database.ErrIsNotFound(err) {
		if err := s.newKey(ctx, db, vendorID); err != nil {
			return "", nil, err
		}
		err = db.NewSelect().Model(k).Where("vendor_id = ?", vendorID).Where("retired_at IS NULL").Scan(ctx)
	}
	if err != nil {
		return "", nil, err
	}
	seed, err := s.Keys.Open(k.PrivateKeySealed, sealAAD(vendorID))
	if err != nil {
		return "", nil, fmt.Errorf("certificate: open signing key of vendor %s: %w", vendorID, err)
	}
	if len(seed) != ed25519.SeedSize {
		return "", nil, fmt.Errorf("certificate: signing key of vendor %s is malformed", vendorID)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	if pub, _ := base64.StdEncoding.DecodeString(k.PublicKey); !bytes.Equal(pub, priv.Public().(ed25519.PublicKey)) {
		return "", nil, fmt.Errorf("certificate: signing key of vendor %s does not match its public key", vendorID)
	}
	return k.KID, priv, nil
}

// newKey stores a new current key pair for the vendor, unless it has one (the partial unique index on
// current keys settles two callers at once: the loser inserts nothing).
func (s *Service) newKey(ctx context.Context, db bun.IDB, vendorID string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	sealed, err := s.Keys.Seal(priv.Seed(), sealAAD(vendorID))
	if err != nil {
		return err
	}
	nk := &vendorKey{KID: KeyID(pub), VendorID: vendorID, PublicKey: base64.StdEncoding.EncodeToString(pub), PrivateKeySealed: sealed, CreatedAt: s.now()}
	_, err = db.NewInsert().Model(nk).On("CONFLICT DO NOTHING").Exec(ctx)
	return err
}

// RotateKey retires the vendor's current signing key and makes a new one current, for example after
// a suspected compromise. Certificates already issued keep their credentials: the retired key stays
// in the published key set, so they still verify. It returns the new key id.
func (s *Service) RotateKey(ctx context.Context, a audit.Actor, vendorID string) (string, error) {
	if s.Keys == nil {
		return "", errors.New("certificate: no keyring to seal vendor signing keys")
	}
	var kid string
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		var old []string
		if err := tx.NewSelect().Model((*vendorKey)(nil)).Column("kid").Where("vendor_id = ?", vendorID).Where("retired_at IS NULL").
			Scan(ctx, &old); err != nil && !database.ErrIsNotFound(err) {
			return err
		}
		if _, err := tx.NewUpdate().Model((*vendorKey)(nil)).Set("retired_at = ?", s.now()).Where("vendor_id = ?", vendorID).
			Where("retired_at IS NULL").Exec(ctx); err != nil {
			return err
		}
		if err := s.newKey(ctx, tx, vendorID); err != nil {
			return err
		}
		if err := tx.NewSelect().Model((*vendorKey)(nil)).Column("kid").Where("vendor_id = ?", vendorID).Where("retired_at IS NULL").
			Scan(ctx, &kid); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "vendor.key_rotate", SubjectType: "vendor", SubjectID: vendorID, VendorID: vendorID,
			Details: map[string]any{"retired": old, "current": kid}})
	})
	return kid, err
}

// PublicKeys lists every vendor's public signing keys, retired ones included (for a published JWKS;
// see JWKS): a credential signed before a rotation still verifies.
func (s *Service) PublicKeys(ctx context.Context) ([]VendorKey, error) {
	var rows []struct {
		vendorKey
		VendorName string `bun:"-"`
	}
	err := s.DB.NewSelect().TableExpr("vendor_keys AS k").
		ColumnExpr("k.vendor_id, k.kid, k.public_key, k.created_at, k.retired_at").OrderExpr("k.vendor_id, k.created_at, k.kid").Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	names, err := account.VendorNames(ctx, s.DB)
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i].VendorName = names[rows[i].VendorID]
	}
	out := make([]VendorKey, 0, len(rows))
	for _, r := range rows {
		pub, err := base64.StdEncoding.DecodeString(r.PublicKey)
		if err != nil || len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("certificate: stored public key of vendor %s is malformed", r.VendorID)
		}
		out = append(out, VendorKey{VendorID: r.VendorID, VendorName: r.VendorName, KID: r.KID, PublicKey: pub, CreatedAt: r.CreatedAt, RetiredAt: r.RetiredAt})
	}
	return out, nil
}

// jwk is an Ed25519 public key as a JSON Web Key (RFC 8037).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
}

// JWKS renders keys as a JSON Web Key Set ({"keys":[{"kty":"OKP","crv":"Ed25519","x":…,"kid":…}]}),
// the document to publish (for example at /.well-known/jwks.json) for offline verification.
func JWKS(keys []VendorKey) ([]byte, error) {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: []jwk{}}
	for _, k := range keys {
		set.Keys = append(set.Keys, jwk{Kty: "OKP", Crv: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.PublicKey), Kid: k.KID, Alg: "EdDSA", Use: "sig"})
	}
	return json.MarshalIndent(set, "", "  ")
}

// ParseJWKS reads the Ed25519 keys of a JSON Web Key Set, by kid. Keys of other types are ignored.
func ParseJWKS(b []byte) (map[string]ed25519.PublicKey, error) {
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	out := map[string]ed25519.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Kid == "" {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("key %q: malformed Ed25519 key", k.Kid)
		}
		out[k.Kid] = ed25519.PublicKey(x)
	}
	if len(out) == 0 {
		return nil, errors.New("the key set holds no Ed25519 keys")
	}
	return out, nil
}

// ---- did:key ----

// multicodec prefix of an Ed25519 public key (0xed, as an unsigned varint).
var ed25519Codec = []byte{0xed, 0x01}

// DIDKey is the did:key of an Ed25519 public key ("did:key:z6Mk…").
func DIDKey(pub ed25519.PublicKey) string {
	return "did:key:z" + base58Encode(append(append([]byte{}, ed25519Codec...), pub...))
}

// KeyID is the key id used in JWS headers and the JWKS: the did:key URL with its key fragment
// ("did:key:z6Mk…#z6Mk…").
func KeyID(pub ed25519.PublicKey) string {
	did := DIDKey(pub)
	return did + "#" + strings.TrimPrefix(did, "did:key:")
}

// ParseDIDKey returns the Ed25519 public key a did:key (or a did:key URL with a fragment) names.
func ParseDIDKey(did string) (ed25519.PublicKey, error) {
	did, _, _ = strings.Cut(did, "#")
	mb, ok := strings.CutPrefix(did, "did:key:z")
	if !ok {
		return nil, errors.New("not a base58btc did:key")
	}
	b, err := base58Decode(mb)
	if err != nil {
		return nil, err
	}
	if len(b) != len(ed25519Codec)+ed25519.PublicKeySize || !bytes.HasPrefix(b, ed25519Codec) {
		return nil, errors.New("the did:key is not an Ed25519 key")
	}
	return ed25519.PublicKey(b[len(ed25519Codec):]), nil
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

func base58Encode(b []byte) string {
	n := new(big.Int).SetBytes(b)
	radix, mod := big.NewInt(58), new(big.Int)
	var out []byte
	for n.Sign() > 0 {
		n.DivMod(n, radix, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func base58Decode(s string) ([]byte, error) {
	if s == "" || len(s) > 128 {
		return nil, errors.New("malformed base58")
	}
	n := new(big.Int)
	radix := big.NewInt(58)
	zeros := 0
	for i, c := range []byte(s) {
		v := strings.IndexByte(base58Alphabet, c)
		if v < 0 {
			return nil, errors.New("malformed base58")
		}
		if v == 0 && i == zeros {
			zeros++
		}
		n.Mul(n, radix).Add(n, big.NewInt(int64(v)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}

// Reseal re-seals vendor signing keys sealed under an older encryption key with the current one (see
// eligibility.Service.Reseal). It returns how many it changed.
func (s *Service) Reseal(ctx context.Context) (int, error) {
	return s.Keys.ResealRows(ctx, s.DB, sealbox.Columns{Table: "vendor_keys", Key: "kid", AADColumn: "vendor_id",
		Sealed: []string{"private_key_sealed"}, AAD: func(vendorID, _ string) string { return sealAAD(vendorID) }})
}
