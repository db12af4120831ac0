package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestNewKeyringInvalid(t *testing.T) {
	tests := []struct {
		name      string
		primaryID string
		keys      map[string][]byte
	}{
		{"no keys", "a", nil},
		{"primary missing", "b", map[string][]byte{"a": testKey(1)}},
		{"short key", "a", map[string][]byte{"a": testKey(1)[:31]}},
		{"long key", "a", map[string][]byte{"a": append(testKey(1), 0)}},
		{"empty ID", "", map[string][]byte{"": testKey(1)}},
		{"ID with dot", "a.b", map[string][]byte{"a.b": testKey(1)}},
		{"ID with colon", "a:b", map[string][]byte{"a:b": testKey(1)}},
		{"ID too long", strings.Repeat("a", 33), map[string][]byte{strings.Repeat("a", 33): testKey(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewKeyring(tt.primaryID, tt.keys)
			if !errors.Is(err, ErrInvalidKey) {
				t.Errorf("NewKeyring error = %v, want ErrInvalidKey", err)
			}
		})
	}
}

func TestNewKeyringCopiesKeys(t *testing.T) {
	key := testKey(1)
	kr, err := NewKeyring("a", map[string][]byte{"a": key})
	if err != nil {
		t.Fatal(err)
	}
	ad := AD{OrgID: "o", Table: "t", Column: "c", RowID: "r"}
	sealed, err := kr.Seal([]byte("x"), ad)
	if err != nil {
		t.Fatal(err)
	}

	key[0] ^= 0xff
	if _, err := kr.Open(sealed, ad); err != nil {
		t.Errorf("Open after changing the caller's key slice: %v", err)
	}
	if got := FormatKeyring(kr).Reveal(); !strings.Contains(got, base64.StdEncoding.EncodeToString(testKey(1))) {
		t.Errorf("FormatKeyring does not contain the original key")
	}
}

func TestKeyID(t *testing.T) {
	// SHA-256 of 32 zero bytes starts with 66687aad.
	if got, want := KeyID(make([]byte, KeySize)), "66687aad"; got != want {
		t.Errorf("KeyID(zeros) = %q, want %q", got, want)
	}
	if KeyID(testKey(1)) == KeyID(testKey(2)) {
		t.Errorf("KeyID is equal for different keys")
	}
}

func TestGenerateKey(t *testing.T) {
	a, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != KeySize {
		t.Errorf("len(GenerateKey()) = %d, want %d", len(a), KeySize)
	}
	if bytes.Equal(a, b) {
		t.Errorf("two generated keys are equal")
	}
}

func TestKeyIDsPrimaryFirst(t *testing.T) {
	kr := newTestKeyring(t, "m", "z", "a")
	if got, want := kr.KeyIDs(), []string{"m", "a", "z"}; !slices.Equal(got, want) {
		t.Errorf("KeyIDs() = %v, want %v", got, want)
	}
	if got := kr.PrimaryID(); got != "m" {
		t.Errorf("PrimaryID() = %q, want %q", got, "m")
	}
}

func TestWithPrimary(t *testing.T) {
	old := newTestKeyring(t, "k1")
	ad := AD{OrgID: "o", Table: "t", Column: "c", RowID: "r"}
	sealedOld, err := old.Seal([]byte("old"), ad)
	if err != nil {
		t.Fatal(err)
	}

	rotated, err := old.WithPrimary("k2", testKey(9))
	if err != nil {
		t.Fatalf("WithPrimary: %v", err)
	}
	if got := rotated.PrimaryID(); got != "k2" {
		t.Errorf("rotated PrimaryID() = %q, want k2", got)
	}
	if got := old.PrimaryID(); got != "k1" {
		t.Errorf("old PrimaryID() = %q after WithPrimary, want k1", got)
	}
	if got, err := rotated.Open(sealedOld, ad); err != nil || string(got) != "old" {
		t.Errorf("rotated Open(old value) = %q, %v; want \"old\", nil", got, err)
	}
	if !rotated.NeedsReseal(sealedOld) {
		t.Errorf("rotated NeedsReseal(old value) = false, want true")
	}

	if _, err := old.WithPrimary("k1", testKey(9)); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("WithPrimary(existing ID, other key) error = %v, want ErrInvalidKey", err)
	}
	if _, err := old.WithPrimary("k1", testKey(1)); err != nil {
		t.Errorf("WithPrimary(existing ID, same key) error = %v, want nil", err)
	}
}

func TestKeyringOutputHidesKeys(t *testing.T) {
	kr := newTestKeyring(t, "k1", "k2")
	logger, buf := newTestLogger()
	logger.Info("loaded", "keyring", kr)

	outputs := map[string]string{
		"%v":    fmt.Sprintf("%v", kr),
		"%+v":   fmt.Sprintf("%+v", kr),
		"%#v":   fmt.Sprintf("%#v", kr),
		"%x":    fmt.Sprintf("%x", kr),
		"%v *":  fmt.Sprintf("%v", *kr),
		"%#v *": fmt.Sprintf("%#v", *kr),
		"slog":  buf.String(),
	}
	for name, out := range outputs {
		for i, key := range [][]byte{testKey(1), testKey(2)} {
			if strings.Contains(out, string(key)) || strings.Contains(out, fmt.Sprintf("%x", key[:8])) || strings.Contains(out, fmt.Sprint(key[:8])) {
				t.Errorf("%s output contains key %d: %s", name, i+1, out)
			}
		}
	}
	if !strings.Contains(outputs["%v"], "k1") {
		t.Errorf("%%v output %q does not name the primary key ID", outputs["%v"])
	}
}
