package sealbox_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/sealbox"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, sealbox.KeySize) }

func ring(t *testing.T, current string, keys map[string][]byte) *sealbox.Keyring {
	t.Helper()
	k, err := sealbox.NewKeyring(current, keys)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	k := ring(t, "k1", map[string][]byte{"k1": key(1)})
	for _, pt := range []string{"", "1990-02-28", strings.Repeat("my recovery story ", 300)} {
		s, err := k.Seal([]byte(pt), "app-1:dob")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s, "k1:") || (pt != "" && strings.Contains(s, pt)) {
			t.Fatalf("sealed value %q", s)
		}
		got, err := k.Open(s, "app-1:dob")
		if err != nil || string(got) != pt {
			t.Fatalf("Open = %q, %v; want %q", got, err, pt)
		}
	}
	a, _ := k.Seal([]byte("same"), "x")
	b, _ := k.Seal([]byte("same"), "x")
	if a == b {
		t.Error("two seals of the same value are identical: the nonce is not random")
	}
}

func TestTamperFails(t *testing.T) {
	k := ring(t, "k1", map[string][]byte{"k1": key(1)})
	s, _ := k.Seal([]byte("secret"), "aad")
	id, enc, _ := strings.Cut(s, ":")
	raw, _ := base64.RawURLEncoding.DecodeString(enc)
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x01
		if _, err := k.Open(id+":"+base64.RawURLEncoding.EncodeToString(bad), "aad"); !errors.Is(err, sealbox.ErrOpen) {
			t.Fatalf("flipping byte %d: err = %v, want ErrOpen", i, err)
		}
	}
	for _, bad := range []string{"", "k1", "k1:", "k1:!!!", "k1:AAAA", "no colon", ":abc", s[:len(s)-4]} {
		if _, err := k.Open(bad, "aad"); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
}

func TestWrongAADFails(t *testing.T) {
	k := ring(t, "k1", map[string][]byte{"k1": key(1)})
	s, _ := k.Seal([]byte("1990-02-28"), "app-1:dob")
	for _, aad := range []string{"app-2:dob", "app-1:attestation", ""} {
		if _, err := k.Open(s, aad); !errors.Is(err, sealbox.ErrOpen) {
			t.Errorf("aad %q: err = %v, want ErrOpen", aad, err)
		}
	}
}

func TestRotation(t *testing.T) {
	old := ring(t, "k1", map[string][]byte{"k1": key(1)})
	s1, _ := old.Seal([]byte("before rotation"), "aad")

	rotated := ring(t, "k2", map[string][]byte{"k1": key(1), "k2": key(2)})
	got, err := rotated.Open(s1, "aad")
	if err != nil || string(got) != "before rotation" {
		t.Fatalf("old value after rotation: %q, %v", got, err)
	}
	s2, _ := rotated.Seal([]byte("after rotation"), "aad")
	if sealbox.KeyID(s2) != "k2" || sealbox.KeyID(s1) != "k1" {
		t.Fatalf("key ids %q %q", sealbox.KeyID(s1), sealbox.KeyID(s2))
	}
	if _, err := old.Open(s2, "aad"); !errors.Is(err, sealbox.ErrUnknownKey) {
		t.Fatalf("old ring opening a k2 value: %v, want ErrUnknownKey", err)
	}
	// A value relabelled with another key id does not open.
	_, enc, _ := strings.Cut(s1, ":")
	if _, err := rotated.Open("k2:"+enc, "aad"); !errors.Is(err, sealbox.ErrOpen) {
		t.Fatalf("relabelled value: %v", err)
	}
}

func TestUnknownKeyID(t *testing.T) {
	k := ring(t, "k1", map[string][]byte{"k1": key(1)})
	other := ring(t, "k9", map[string][]byte{"k9": key(9)})
	s, _ := other.Seal([]byte("x"), "aad")
	if _, err := k.Open(s, "aad"); !errors.Is(err, sealbox.ErrUnknownKey) {
		t.Fatalf("err = %v, want ErrUnknownKey", err)
	}
}

func TestNewKeyringRejects(t *testing.T) {
	cases := map[string]struct {
		current string
		keys    map[string][]byte
	}{
		"no keys":         {"k1", nil},
		"short key":       {"k1", map[string][]byte{"k1": make([]byte, 16)}},
		"current missing": {"k2", map[string][]byte{"k1": key(1)}},
		"bad id":          {"k:1", map[string][]byte{"k:1": key(1)}},
		"empty id":        {"", map[string][]byte{"": key(1)}},
	}
	for name, tc := range cases {
		if _, err := sealbox.NewKeyring(tc.current, tc.keys); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseKeys(t *testing.T) {
	k1, k2 := key(1), key(0xfb)
	spec := "k1:" + base64.StdEncoding.EncodeToString(k1) + ", k2:" + base64.RawURLEncoding.EncodeToString(k2)
	keys, err := sealbox.ParseKeys(spec)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || !bytes.Equal(keys["k1"], k1) || !bytes.Equal(keys["k2"], k2) {
		t.Fatalf("keys = %v", keys)
	}
	r, err := sealbox.FromSpec(spec)
	if err != nil || r.Current() != "k1" || strings.Join(r.IDs(), ",") != "k1,k2" {
		t.Fatalf("FromSpec: %v %v", r, err)
	}
	good := base64.StdEncoding.EncodeToString(k1)
	for _, bad := range []string{
		"", " , ", "k1", "k1:", "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 16)),
		"k1:not base64!", "k1:" + good + ",k1:" + good, "bad id:" + good,
	} {
		if _, err := sealbox.ParseKeys(bad); err == nil {
			t.Errorf("ParseKeys(%q) accepted", bad)
		} else if strings.Contains(err.Error(), good) {
			t.Errorf("error message leaks key material: %v", err)
		}
	}
}

func TestReseal(t *testing.T) {
	old, err := sealbox.NewKeyring("k1", map[string][]byte{"k1": bytes.Repeat([]byte{1}, sealbox.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	both, err := sealbox.NewKeyring("k2", map[string][]byte{"k1": bytes.Repeat([]byte{1}, sealbox.KeySize), "k2": bytes.Repeat([]byte{2}, sealbox.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := old.Seal([]byte("1990-02-14"), "application/a/dob")
	out, changed, err := both.Reseal(sealed, "application/a/dob")
	if err != nil || !changed || sealbox.KeyID(out) != "k2" {
		t.Fatalf("reseal: %q %v %v", out, changed, err)
	}
	if pt, err := both.Open(out, "application/a/dob"); err != nil || string(pt) != "1990-02-14" {
		t.Fatalf("resealed value opens to %q, %v", pt, err)
	}
	if again, changed, err := both.Reseal(out, "application/a/dob"); err != nil || changed || again != out {
		t.Fatal("a value under the current key was resealed")
	}
	if _, _, err := both.Reseal(sealed, "application/b/dob"); err == nil {
		t.Fatal("resealed with the wrong aad")
	}
	if v, changed, err := both.Reseal("", "x"); v != "" || changed || err != nil {
		t.Fatal("empty value")
	}
}
