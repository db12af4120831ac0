package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
)

// KeySize is the length of a master key in bytes (AES-256).
const KeySize = 32

// maxKeyIDLength bounds a key ID, which appears in every sealed value.
const maxKeyIDLength = 32

// ErrInvalidKey is wrapped by every error about a key, a key ID or key text.
var ErrInvalidKey = errors.New("invalid master key")

// Keyring is a set of AES-256 keys named by key ID, one of them primary.
// A Keyring does not change after it is built, and it is safe for concurrent
// use. Its String, Format and LogValue methods show key IDs, never keys.
type Keyring struct {
	primaryID string
	keys      map[string]*ringKey
}

type ringKey struct {
	raw  []byte
	aead cipher.AEAD
}

// NewKeyring builds a keyring from keys by ID, with primaryID naming the key
// that seals. Each key must be [KeySize] bytes, and each ID 1 to 32 characters
// from A-Z, a-z, 0-9, '_' and '-'. The key bytes are copied.
func NewKeyring(primaryID string, keys map[string][]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: the keyring has no keys", ErrInvalidKey)
	}

	kr := &Keyring{primaryID: primaryID, keys: make(map[string]*ringKey, len(keys))}
	for id, raw := range keys {
		if err := validateKeyID(id); err != nil {
			return nil, err
		}
		key, err := newRingKey(raw)
		if err != nil {
			return nil, fmt.Errorf("key ID %q: %w", id, err)
		}
		kr.keys[id] = key
	}

	if _, ok := kr.keys[primaryID]; !ok {
		if err := validateKeyID(primaryID); err != nil {
			return nil, fmt.Errorf("primary: %w", err)
		}
		return nil, fmt.Errorf("%w: primary key ID %q is not in the keyring", ErrInvalidKey, primaryID)
	}
	return kr, nil
}

func newRingKey(raw []byte) (*ringKey, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("%w: key is %d bytes, want %d", ErrInvalidKey, len(raw), KeySize)
	}
	raw = bytes.Clone(raw)

	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("creating AES cipher: %w", err)
	}
	// The AEAD draws a random 12-byte nonce for each Seal and prepends it to
	// the ciphertext, so callers never manage nonces.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("creating AES-GCM: %w", err)
	}
	return &ringKey{raw: raw, aead: aead}, nil
}

// GenerateKey returns a new random key of [KeySize] bytes.
func GenerateKey() ([]byte, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("generating master key: %w", err)
	}
	return key, nil
}

// KeyID derives the key ID of a key given without one: the first 8 hex
// characters of the key's SHA-256 hash.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

// PrimaryID returns the ID of the key that seals.
func (k *Keyring) PrimaryID() string {
	return k.primaryID
}

// KeyIDs returns the key IDs of the ring, the primary first and the others
// in sorted order.
func (k *Keyring) KeyIDs() []string {
	ids := make([]string, 0, len(k.keys))
	for id := range k.keys {
		if id != k.primaryID {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return append([]string{k.primaryID}, ids...)
}

// WithPrimary returns a copy of the keyring with key added under id and made
// primary. The receiver does not change. A rotation seals new values with the
// result and still opens old ones. Adding an ID that is already in the ring
// with different key bytes is an error.
func (k *Keyring) WithPrimary(id string, key []byte) (*Keyring, error) {
	keys := make(map[string][]byte, len(k.keys)+1)
	for existingID, existing := range k.keys {
		keys[existingID] = existing.raw
	}
	if existing, ok := keys[id]; ok && !bytes.Equal(existing, key) {
		return nil, fmt.Errorf("%w: key ID %q is already in the keyring with another key", ErrInvalidKey, id)
	}
	keys[id] = key
	return NewKeyring(id, keys)
}

// String returns the key IDs, never the keys.
func (k *Keyring) String() string {
	return fmt.Sprintf("secrets.Keyring{primary: %s, keys: [%s]}", k.primaryID, strings.Join(k.KeyIDs(), " "))
}

// Format prints [Keyring.String] for every verb, so no fmt verb reaches the
// key bytes.
func (k *Keyring) Format(f fmt.State, verb rune) {
	fmt.Fprint(f, k.String())
}

// LogValue logs the key IDs, never the keys.
func (k *Keyring) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("primary_key_id", k.primaryID),
		slog.Any("key_ids", k.KeyIDs()),
	)
}

func validateKeyID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: key ID is empty", ErrInvalidKey)
	}
	if len(id) > maxKeyIDLength {
		return fmt.Errorf("%w: key ID is %d characters long, want at most %d", ErrInvalidKey, len(id), maxKeyIDLength)
	}
	for _, c := range id {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
		if !ok {
			// The ID is not echoed, because malformed key text may have put
			// key bytes in it.
			return fmt.Errorf("%w: key ID may contain only A-Z, a-z, 0-9, '_' and '-'", ErrInvalidKey)
		}
	}
	return nil
}
