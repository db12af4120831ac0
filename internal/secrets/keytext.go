package secrets

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// KeyTextFormat describes the key text that [ParseKeyring] accepts. Error
// messages of [LoadKeyring] about key text end with it.
const KeyTextFormat = `want one base64-encoded 32-byte key, or a comma-separated list "id:base64key,..." with the primary key first`

// ParseKeyring parses key text, ignoring surrounding white space. The text is
// either one base64-encoded key of [KeySize] bytes, whose ID is [KeyID] of
// the key, or a comma-separated list of "id:base64key" entries whose first
// entry is the primary key. Base64 may use the standard or the URL alphabet,
// with or without padding. Errors wrap [ErrInvalidKey] and never contain the
// text.
func ParseKeyring(text string) (*Keyring, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, fmt.Errorf("%w: the key text is empty", ErrInvalidKey)
	}

	// Neither base64 alphabet contains ':' or ',', so their presence marks a
	// list.
	if !strings.ContainsAny(text, ":,") {
		key, err := decodeKey(text)
		if err != nil {
			return nil, err
		}
		id := KeyID(key)
		return NewKeyring(id, map[string][]byte{id: key})
	}

	entries := strings.Split(text, ",")
	keys := make(map[string][]byte, len(entries))
	primaryID := ""
	for i, entry := range entries {
		id, key, err := parseEntry(strings.TrimSpace(entry))
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i+1, err)
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("entry %d: %w: key ID %q appears twice", i+1, ErrInvalidKey, id)
		}
		keys[id] = key
		if i == 0 {
			primaryID = id
		}
	}
	return NewKeyring(primaryID, keys)
}

func parseEntry(entry string) (id string, key []byte, err error) {
	if entry == "" {
		return "", nil, fmt.Errorf("%w: the entry is empty", ErrInvalidKey)
	}
	id, encoded, ok := strings.Cut(entry, ":")
	if !ok {
		return "", nil, fmt.Errorf("%w: the entry has no \"id:\" prefix", ErrInvalidKey)
	}
	id = strings.TrimSpace(id)
	if err := validateKeyID(id); err != nil {
		return "", nil, err
	}
	key, err = decodeKey(strings.TrimSpace(encoded))
	if err != nil {
		return "", nil, fmt.Errorf("key ID %q: %w", id, err)
	}
	return id, key, nil
}

// decodeKey decodes base64 in either alphabet, padded or not, and checks the
// length. The error carries no input bytes.
func decodeKey(encoded string) ([]byte, error) {
	unpadded := strings.TrimRight(encoded, "=")
	alphabet := base64.RawStdEncoding
	if strings.ContainsAny(unpadded, "-_") {
		alphabet = base64.RawURLEncoding
	}
	key, err := alphabet.DecodeString(unpadded)
	if err != nil {
		return nil, fmt.Errorf("%w: the key is not valid base64", ErrInvalidKey)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: the key is %d bytes, want %d", ErrInvalidKey, len(key), KeySize)
	}
	return key, nil
}

// FormatKeyring encodes the keyring as key text that [ParseKeyring] reads
// back: "id:base64key" entries in standard padded base64, the primary first.
// The result contains every key, so it goes only to a key file or a secret
// store.
func FormatKeyring(k *Keyring) Secret {
	var b strings.Builder
	for i, id := range k.KeyIDs() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
		b.WriteByte(':')
		b.WriteString(base64.StdEncoding.EncodeToString(k.keys[id].raw))
	}
	return Secret(b.String())
}
