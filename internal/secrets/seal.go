package secrets

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// sealVersion is the first field of every sealed value. A change to the
// cipher or to the associated data encoding needs a new version.
const sealVersion = "v1"

// adLabel starts the associated data, so values sealed by this package never
// open in another use of the same key.
const adLabel = "plugboard/secrets"

// Errors returned by [Keyring.Open], wrapped with context.
var (
	// ErrUnknownKey means the sealed value names a key ID that is not in the
	// keyring. The error message contains the key ID.
	ErrUnknownKey = errors.New("unknown key ID")
	// ErrOpen means authentication failed: the value was sealed for another
	// org, table, column or row, under another key with the same ID, or it
	// was changed after sealing.
	ErrOpen = errors.New("authentication failed")
	// ErrMalformed means the text is not a sealed value of a known version.
	ErrMalformed = errors.New("malformed sealed value")
)

// ErrInvalidAD is returned when a field of the associated data is empty.
var ErrInvalidAD = errors.New("invalid associated data")

// AD is the associated data of a sealed value: where the value is stored.
// A value opens only with the AD it was sealed with. Every field is required.
// RowID is the row's primary key, joined by the caller into one string when
// the key has several columns.
type AD struct {
	OrgID  string
	Table  string
	Column string
	RowID  string
}

func (ad AD) validate() error {
	fields := []struct{ name, value string }{
		{"OrgID", ad.OrgID},
		{"Table", ad.Table},
		{"Column", ad.Column},
		{"RowID", ad.RowID},
	}
	for _, f := range fields {
		if f.value == "" {
			return fmt.Errorf("%w: %s is empty", ErrInvalidAD, f.name)
		}
	}
	return nil
}

// encode returns the bytes authenticated with the ciphertext: the label, the
// header fields and the AD fields, each preceded by its length as a 4-byte
// big-endian number, so no two different inputs encode alike.
func (ad AD) encode(version, keyID string) []byte {
	fields := []string{adLabel, version, keyID, ad.OrgID, ad.Table, ad.Column, ad.RowID}
	size := 0
	for _, f := range fields {
		size += 4 + len(f)
	}
	out := make([]byte, 0, size)
	for _, f := range fields {
		out = binary.BigEndian.AppendUint32(out, uint32(len(f)))
		out = append(out, f...)
	}
	return out
}

// Seal encrypts plaintext with the primary key and returns the sealed value,
// "v1.<key ID>.<base64url(nonce || ciphertext || tag)>" without padding.
func (k *Keyring) Seal(plaintext []byte, ad AD) (string, error) {
	if err := ad.validate(); err != nil {
		return "", fmt.Errorf("sealing %s.%s: %w", ad.Table, ad.Column, err)
	}
	key := k.keys[k.primaryID]

	ciphertext := key.aead.Seal(nil, nil, plaintext, ad.encode(sealVersion, k.primaryID))

	return sealVersion + "." + k.primaryID + "." + base64.RawURLEncoding.EncodeToString(ciphertext), nil
}

// Open decrypts a value made by [Keyring.Seal] with any key of the ring.
// The error wraps [ErrMalformed], [ErrUnknownKey], [ErrOpen] or
// [ErrInvalidAD]. It names the table, column and key ID, never the value.
func (k *Keyring) Open(sealed string, ad AD) ([]byte, error) {
	if err := ad.validate(); err != nil {
		return nil, fmt.Errorf("opening %s.%s: %w", ad.Table, ad.Column, err)
	}
	keyID, payload, err := parseSealed(sealed)
	if err != nil {
		return nil, fmt.Errorf("opening %s.%s: %w", ad.Table, ad.Column, err)
	}
	key, ok := k.keys[keyID]
	if !ok {
		return nil, fmt.Errorf("opening %s.%s: %w %q; add that key to the master keyring", ad.Table, ad.Column, ErrUnknownKey, keyID)
	}

	ciphertext, err := base64.RawURLEncoding.Strict().DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("opening %s.%s: %w: payload is not unpadded base64url", ad.Table, ad.Column, ErrMalformed)
	}
	if len(ciphertext) < key.aead.Overhead() {
		return nil, fmt.Errorf("opening %s.%s: %w: payload is %d bytes, want at least %d", ad.Table, ad.Column, ErrMalformed, len(ciphertext), key.aead.Overhead())
	}

	plaintext, err := key.aead.Open(nil, nil, ciphertext, ad.encode(sealVersion, keyID))
	if err != nil {
		return nil, fmt.Errorf("opening %s.%s with key ID %q: %w", ad.Table, ad.Column, keyID, ErrOpen)
	}
	return plaintext, nil
}

// NeedsReseal reports whether sealed names a key ID other than the primary
// one, including an ID missing from the ring. It returns false for text that
// is not a sealed value, because sealing it again would need Open to succeed.
func (k *Keyring) NeedsReseal(sealed string) bool {
	keyID, _, err := parseSealed(sealed)
	if err != nil {
		return false
	}
	return keyID != k.primaryID
}

// parseSealed splits a sealed value into its key ID and base64url payload.
// Error messages never contain the input, which may be a plaintext secret
// stored by mistake.
func parseSealed(sealed string) (keyID, payload string, err error) {
	version, rest, ok := strings.Cut(sealed, ".")
	if !ok {
		return "", "", fmt.Errorf("%w: want %s.<key ID>.<payload>", ErrMalformed, sealVersion)
	}
	if version != sealVersion {
		return "", "", fmt.Errorf("%w: unsupported version, want %s", ErrMalformed, sealVersion)
	}
	keyID, payload, ok = strings.Cut(rest, ".")
	if !ok {
		return "", "", fmt.Errorf("%w: want %s.<key ID>.<payload>", ErrMalformed, sealVersion)
	}
	if err := validateKeyID(keyID); err != nil {
		return "", "", fmt.Errorf("%w: invalid key ID", ErrMalformed)
	}
	return keyID, payload, nil
}
