// Package sealbox encrypts small private values (a date of birth, a written statement) before they
// are stored, with AES-256-GCM under a named key, so that keys can be rotated: a sealed value names
// the key that sealed it ("keyid:base64url(nonce||ciphertext)"), new values are sealed with the current
// key, and values sealed with an older key still open as long as that key stays in the ring.
//
// The additional authenticated data (aad) binds a value to where it belongs (for example an
// application id and a column name), so a sealed value copied into another row or column does not
// open. Nothing in a sealed string is secret except through the key.
package sealbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// KeySize is the length of every key: AES-256.
const KeySize = 32

// Errors from Open. Callers test for them with errors.Is.
var (
	// ErrUnknownKey reports a sealed value whose key id is not in the ring.
	ErrUnknownKey = errors.New("sealbox: unknown key id")
	// ErrMalformed reports a string that is not a sealed value.
	ErrMalformed = errors.New("sealbox: malformed sealed value")
	// ErrOpen reports a value that fails authentication: tampered with, or opened with the wrong aad.
	ErrOpen = errors.New("sealbox: cannot open sealed value")
)

// Keyring holds the keys that open sealed values and names the one that seals new values.
// It is safe for concurrent use.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// validID reports whether id can name a key: 1 to 32 characters from [A-Za-z0-9_-].
func validID(id string) bool {
	if id == "" || len(id) > 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// NewKeyring builds a ring from keys (each exactly 32 bytes) that seals with keys[current].
func NewKeyring(current string, keys map[string][]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("sealbox: no keys")
	}
	k := &Keyring{current: current, aeads: make(map[string]cipher.AEAD, len(keys))}
	for id, key := range keys {
		if !validID(id) {
			return nil, fmt.Errorf("sealbox: key id %q: use 1 to 32 letters, digits, '_' or '-'", id)
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("sealbox: key %q is %d bytes, want %d", id, len(key), KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("sealbox: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("sealbox: key %q: %w", id, err)
		}
		k.aeads[id] = aead
	}
	if _, ok := k.aeads[current]; !ok {
		return nil, fmt.Errorf("sealbox: current key %q is not among the keys", current)
	}
	return k, nil
}

// Current returns the id of the key that seals new values.
func (k *Keyring) Current() string { return k.current }

// IDs returns the ids of every key in the ring, sorted.
func (k *Keyring) IDs() []string {
	ids := make([]string, 0, len(k.aeads))
	for id := range k.aeads {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Seal encrypts plaintext with the current key, bound to aad, and returns "keyid:base64url(nonce||ciphertext)".
func (k *Keyring) Seal(plaintext []byte, aad string) (string, error) {
	aead := k.aeads[k.current]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("sealbox: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, plaintext, []byte(aad))
	return k.current + ":" + base64.RawURLEncoding.EncodeToString(out), nil
}

// Open decrypts a value produced by Seal with the key it names, checking aad.
func (k *Keyring) Open(sealed, aad string) ([]byte, error) {
	id, enc, ok := strings.Cut(sealed, ":")
	if !ok || !validID(id) {
		return nil, ErrMalformed
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrMalformed
	}
	ns := aead.NonceSize()
	pt, err := aead.Open(nil, raw[:ns], raw[ns:], []byte(aad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// KeyID returns the id of the key that sealed a value, or "" when it is not a sealed value. A job that
// re-seals old rows after a rotation uses it to find values not under the current key.
func KeyID(sealed string) string {
	id, _, ok := strings.Cut(sealed, ":")
	if !ok || !validID(id) {
		return ""
	}
	return id
}

// ParseKeys reads a configuration value "k1:BASE64,k2:BASE64" (standard or URL-safe base64, padded or
// not; spaces around items ignored) into keys by id. Every key must decode to 32 bytes.
func ParseKeys(spec string) (map[string][]byte, error) {
	_, keys, err := parse(spec)
	return keys, err
}

// FromSpec builds a ring from a ParseKeys value; the first key listed is the current one. To rotate,
// put a new key first and keep the old ones after it until every value has been re-sealed.
func FromSpec(spec string) (*Keyring, error) {
	first, keys, err := parse(spec)
	if err != nil {
		return nil, err
	}
	return NewKeyring(first, keys)
}

func parse(spec string) (string, map[string][]byte, error) {
	keys := map[string][]byte{}
	first := ""
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		id, enc, ok := strings.Cut(item, ":")
		id, enc = strings.TrimSpace(id), strings.TrimSpace(enc)
		if !ok || !validID(id) {
			return "", nil, fmt.Errorf("sealbox: each key is written id:base64 with an id of letters, digits, '_' or '-'")
		}
		if _, dup := keys[id]; dup {
			return "", nil, fmt.Errorf("sealbox: key id %q appears twice", id)
		}
		key, err := decode(enc)
		if err != nil {
			return "", nil, fmt.Errorf("sealbox: key %q is not base64", id)
		}
		if len(key) != KeySize {
			return "", nil, fmt.Errorf("sealbox: key %q is %d bytes, want %d (openssl rand -base64 32)", id, len(key), KeySize)
		}
		keys[id] = key
		if first == "" {
			first = id
		}
	}
	if len(keys) == 0 {
		return "", nil, errors.New("sealbox: no keys given")
	}
	return first, keys, nil
}

func decode(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// Reseal returns sealed re-sealed under the current key, and whether that changed anything: a value
// already under the current key (or empty) is returned as it is. Used after a rotation, so the old
// key can be retired.
func (k *Keyring) Reseal(sealed, aad string) (string, bool, error) {
	if sealed == "" || KeyID(sealed) == k.current {
		return sealed, false, nil
	}
	pt, err := k.Open(sealed, aad)
	if err != nil {
		return "", false, err
	}
	out, err := k.Seal(pt, aad)
	if err != nil {
		return "", false, err
	}
	return out, true, nil
}
