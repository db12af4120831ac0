package secrets

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseKeyringValid(t *testing.T) {
	// testKey(0xfb) encodes with '+' and '/' in the standard alphabet and with
	// '-' and '_' in the URL alphabet.
	key := testKey(0xfb)
	std := base64.StdEncoding.EncodeToString(key)
	rawURL := base64.RawURLEncoding.EncodeToString(key)
	other := base64.StdEncoding.EncodeToString(testKey(2))

	tests := []struct {
		name        string
		text        string
		wantPrimary string
		wantIDs     []string
	}{
		{"standard base64", std, KeyID(key), []string{KeyID(key)}},
		{"raw url base64", rawURL, KeyID(key), []string{KeyID(key)}},
		{"raw standard base64", strings.TrimRight(std, "="), KeyID(key), []string{KeyID(key)}},
		{"surrounding white space", "\n  " + std + " \r\n", KeyID(key), []string{KeyID(key)}},
		{"one entry", "main:" + std, "main", []string{"main"}},
		{"two entries", "new:" + other + ",old:" + rawURL, "new", []string{"new", "old"}},
		{"spaces around entries", " new : " + other + " ,\n old:" + std + "\n", "new", []string{"new", "old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := ParseKeyring(tt.text)
			if err != nil {
				t.Fatalf("ParseKeyring: %v", err)
			}
			if got := kr.PrimaryID(); got != tt.wantPrimary {
				t.Errorf("PrimaryID() = %q, want %q", got, tt.wantPrimary)
			}
			if got := kr.KeyIDs(); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("KeyIDs() = %v, want %v", got, tt.wantIDs)
			}
		})
	}
}

func TestParseKeyringKeyBytes(t *testing.T) {
	// A value sealed by a ring built from raw bytes opens with the parsed ring.
	want := newTestKeyring(t, "a", "b")
	sealed, err := want.Seal([]byte("x"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseKeyring("b:" + base64.StdEncoding.EncodeToString(testKey(2)) + ",a:" + base64.RawURLEncoding.EncodeToString(testKey(1)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parsed.Open(sealed, testAD); err != nil {
		t.Errorf("parsed Open: %v", err)
	}
}

func TestParseKeyringInvalid(t *testing.T) {
	short := base64.StdEncoding.EncodeToString(testKey(0xab)[:31])
	long := base64.StdEncoding.EncodeToString(append(testKey(0xab), 0xab))
	good := base64.StdEncoding.EncodeToString(testKey(0xab))

	tests := []struct {
		name     string
		text     string
		material string // key material that the error must not contain
		wantText string // part of the error message
	}{
		{"empty", "", "", "empty"},
		{"white space", " \n\t", "", "empty"},
		{"short key", short, short, "31 bytes"},
		{"long key", long, long, "33 bytes"},
		{"not base64", "!!" + good[2:], good[2:], "not valid base64"},
		{"mixed alphabets", "-+" + good[2:], good[2:], "not valid base64"},
		{"entry without ID", "a:" + good + "," + good, good, "entry 2"},
		{"empty entry", "a:" + good + ",", good, "entry 2"},
		{"duplicate ID", "a:" + good + ",a:" + good, good, "appears twice"},
		{"invalid ID", "a.b:" + good, good, "key ID"},
		{"empty ID", ":" + good, good, "key ID is empty"},
		{"short key in entry", "a:" + short, short, "31 bytes"},
		{"key bytes in ID", good + "x:" + good, good, "key ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKeyring(tt.text)
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("ParseKeyring error = %v, want ErrInvalidKey", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not contain %q", err, tt.wantText)
			}
			if tt.material != "" && strings.Contains(err.Error(), tt.material[:8]) {
				t.Errorf("error %q contains key material", err)
			}
		})
	}
}

func TestFormatKeyringRoundTrip(t *testing.T) {
	kr := newTestKeyring(t, "new", "old", "older")
	text := FormatKeyring(kr)

	if got := text.String(); got != "[redacted]" {
		t.Errorf("FormatKeyring(...).String() = %q, want [redacted]", got)
	}
	if !strings.HasPrefix(text.Reveal(), "new:") {
		t.Errorf("FormatKeyring does not start with the primary entry")
	}

	parsed, err := ParseKeyring(text.Reveal())
	if err != nil {
		t.Fatalf("ParseKeyring(FormatKeyring): %v", err)
	}
	if got, want := parsed.KeyIDs(), kr.KeyIDs(); !slices.Equal(got, want) {
		t.Errorf("KeyIDs() = %v, want %v", got, want)
	}
	if got := FormatKeyring(parsed).Reveal(); got != text.Reveal() {
		t.Errorf("FormatKeyring after parsing differs from the original text")
	}
}
