package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

var testAD = AD{OrgID: "org1", Table: "applications", Column: "client_secret", RowID: "app1"}

func TestSealOpenRoundTrip(t *testing.T) {
	kr := newTestKeyring(t, "k1")
	plaintexts := [][]byte{
		[]byte("s3cr3t"),
		{},
		bytes.Repeat([]byte{0, 1, 2, 0xff}, 4096),
	}
	for _, want := range plaintexts {
		sealed, err := kr.Seal(want, testAD)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if !strings.HasPrefix(sealed, "v1.k1.") {
			t.Errorf("sealed value %q does not start with v1.k1.", sealed)
		}
		if len(want) > 0 && strings.Contains(sealed, string(want)) {
			t.Errorf("sealed value contains the plaintext")
		}
		got, err := kr.Open(sealed, testAD)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Open = %q, want %q", got, want)
		}
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	kr := newTestKeyring(t, "k1")
	a, err := kr.Seal([]byte("same"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	b, err := kr.Seal([]byte("same"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Errorf("two seals of one plaintext are equal: %q", a)
	}

	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(a, "v1.k1."))
	if err != nil {
		t.Fatal(err)
	}
	// 12-byte nonce, 4-byte plaintext, 16-byte tag.
	if got, want := len(payload), 12+4+16; got != want {
		t.Errorf("payload length = %d, want %d", got, want)
	}
}

func TestOpenWrongAD(t *testing.T) {
	kr := newTestKeyring(t, "k1")
	sealed, err := kr.Seal([]byte("s3cr3t"), testAD)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		edit func(*AD)
	}{
		{"other org", func(ad *AD) { ad.OrgID = "org2" }},
		{"other table", func(ad *AD) { ad.Table = "credentials" }},
		{"other column", func(ad *AD) { ad.Column = "refresh_token" }},
		{"other row", func(ad *AD) { ad.RowID = "app2" }},
		// Moving bytes across field boundaries must not give the same encoding.
		{"shifted boundary", func(ad *AD) { ad.Table = "applicationsc"; ad.Column = "lient_secret" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ad := testAD
			tt.edit(&ad)
			got, err := kr.Open(sealed, ad)
			if !errors.Is(err, ErrOpen) {
				t.Errorf("Open error = %v, want ErrOpen", err)
			}
			if got != nil {
				t.Errorf("Open returned %q with the error, want nil", got)
			}
		})
	}
}

func TestOpenTampered(t *testing.T) {
	kr := newTestKeyring(t, "k1")
	sealed, err := kr.Seal([]byte("s3cr3t"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	prefix := "v1.k1."
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, prefix))
	if err != nil {
		t.Fatal(err)
	}

	// Flip one bit in every byte in turn: nonce, ciphertext and tag.
	for i := range payload {
		tampered := bytes.Clone(payload)
		tampered[i] ^= 0x01
		_, err := kr.Open(prefix+base64.RawURLEncoding.EncodeToString(tampered), testAD)
		if !errors.Is(err, ErrOpen) {
			t.Errorf("Open with byte %d changed: error = %v, want ErrOpen", i, err)
		}
	}

	truncated := prefix + base64.RawURLEncoding.EncodeToString(payload[:len(payload)-1])
	if _, err := kr.Open(truncated, testAD); !errors.Is(err, ErrOpen) {
		t.Errorf("Open truncated: error = %v, want ErrOpen", err)
	}
}

func TestOpenHeaderKeyIDSwapped(t *testing.T) {
	// Both keys are equal, so only the authenticated header distinguishes them.
	kr, err := NewKeyring("k1", map[string][]byte{"k1": testKey(1), "k2": testKey(1)})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := kr.Seal([]byte("s3cr3t"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	swapped := "v1.k2." + strings.TrimPrefix(sealed, "v1.k1.")
	if _, err := kr.Open(swapped, testAD); !errors.Is(err, ErrOpen) {
		t.Errorf("Open with key ID swapped: error = %v, want ErrOpen", err)
	}
}

func TestOpenWrongKeySameID(t *testing.T) {
	sealer := newTestKeyring(t, "k1")
	opener, err := NewKeyring("k1", map[string][]byte{"k1": testKey(7)})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := sealer.Seal([]byte("s3cr3t"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := opener.Open(sealed, testAD); !errors.Is(err, ErrOpen) {
		t.Errorf("Open with another key under the same ID: error = %v, want ErrOpen", err)
	}
}

func TestOpenUnknownKey(t *testing.T) {
	sealer := newTestKeyring(t, "oldkey")
	opener := newTestKeyring(t, "newkey")
	sealed, err := sealer.Seal([]byte("s3cr3t"), testAD)
	if err != nil {
		t.Fatal(err)
	}

	_, err = opener.Open(sealed, testAD)
	if !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Open error = %v, want ErrUnknownKey", err)
	}
	if !strings.Contains(err.Error(), `"oldkey"`) {
		t.Errorf("error %q does not name the key ID", err)
	}
}

func TestOpenOldKeyAndNeedsReseal(t *testing.T) {
	old := newTestKeyring(t, "k1")
	sealedOld, err := old.Seal([]byte("old"), testAD)
	if err != nil {
		t.Fatal(err)
	}

	// The ring keeps k1 with its bytes and adds k2 as the new primary.
	ring, err := NewKeyring("k2", map[string][]byte{"k1": testKey(1), "k2": testKey(2)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ring.Open(sealedOld, testAD)
	if err != nil {
		t.Fatalf("Open(old value): %v", err)
	}
	if string(got) != "old" {
		t.Errorf("Open(old value) = %q, want %q", got, "old")
	}

	sealedNew, err := ring.Seal([]byte("new"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealedNew, "v1.k2.") {
		t.Errorf("new value %q is not sealed with the primary key k2", sealedNew)
	}

	tests := []struct {
		name   string
		sealed string
		want   bool
	}{
		{"old key", sealedOld, true},
		{"primary key", sealedNew, false},
		{"unknown key", "v1.k9." + strings.TrimPrefix(sealedNew, "v1.k2."), true},
		{"malformed", "not sealed", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ring.NeedsReseal(tt.sealed); got != tt.want {
				t.Errorf("NeedsReseal = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOpenMalformed(t *testing.T) {
	kr := newTestKeyring(t, "k1")
	sealed, err := kr.Seal([]byte("s3cr3t"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	payload := strings.TrimPrefix(sealed, "v1.k1.")

	tests := []struct {
		name   string
		sealed string
	}{
		{"empty", ""},
		{"plaintext", "plain-secret-value"},
		{"no payload separator", "v1.k1"},
		{"version 2", "v2.k1." + payload},
		{"empty key ID", "v1.." + payload},
		{"invalid key ID", "v1.k$1." + payload},
		{"padded payload", sealed + "="},
		{"standard alphabet", "v1.k1." + strings.NewReplacer("-", "+", "_", "/").Replace(payload) + "+/"},
		{"extra field", sealed + ".x"},
		{"short payload", "v1.k1.AAAA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kr.Open(tt.sealed, testAD)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Open error = %v, want ErrMalformed", err)
			}
			if tt.sealed != "" && strings.Contains(err.Error(), tt.sealed) {
				t.Errorf("error %q contains the input", err)
			}
		})
	}
}

func TestSealOpenIncompleteAD(t *testing.T) {
	kr := newTestKeyring(t, "k1")
	sealed, err := kr.Seal([]byte("s3cr3t"), testAD)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		field string
		edit  func(*AD)
	}{
		{"org", "OrgID", func(ad *AD) { ad.OrgID = "" }},
		{"table", "Table", func(ad *AD) { ad.Table = "" }},
		{"column", "Column", func(ad *AD) { ad.Column = "" }},
		{"row", "RowID", func(ad *AD) { ad.RowID = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ad := testAD
			tt.edit(&ad)

			_, err := kr.Seal([]byte("s3cr3t"), ad)
			if !errors.Is(err, ErrInvalidAD) {
				t.Errorf("Seal error = %v, want ErrInvalidAD", err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.field) {
				t.Errorf("Seal error %q does not name %s", err, tt.field)
			}
			if _, err := kr.Open(sealed, ad); !errors.Is(err, ErrInvalidAD) {
				t.Errorf("Open error = %v, want ErrInvalidAD", err)
			}
		})
	}
}

func TestOpenErrorHidesPlaintext(t *testing.T) {
	kr := newTestKeyring(t, "k1")
	sealed, err := kr.Seal([]byte("s3cr3t-value"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	ad := testAD
	ad.RowID = "other"
	_, err = kr.Open(sealed, ad)
	if err == nil {
		t.Fatal("Open with another row succeeded")
	}
	if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), sealed) {
		t.Errorf("error %q contains the value", err)
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	kr := newTestKeyring(t, "k1", "k0")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ad := testAD
			ad.RowID = fmt.Sprint("row", i)
			for range 100 {
				sealed, err := kr.Seal([]byte("s3cr3t"), ad)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := kr.Open(sealed, ad); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
