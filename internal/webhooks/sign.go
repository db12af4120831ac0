package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/secrets"
)

// secretPrefix starts every signing secret, as the Standard Webhooks
// specification recommends.
const secretPrefix = "whsec_"

// secretBytes is the length of a signing secret's random part, the
// minimum that the Standard Webhooks specification allows.
const secretBytes = 24

// Headers of a signed request.
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// newSecret returns a new signing secret: "whsec_" and the base64 of 24
// random bytes.
func newSecret() secrets.Secret {
	var key [secretBytes]byte
	_, _ = rand.Read(key[:]) // crypto/rand.Read never returns an error.
	return secrets.Secret(secretPrefix + base64.StdEncoding.EncodeToString(key[:]))
}

// secretKey returns the HMAC key of a signing secret: the base64-decoded
// part after "whsec_".
func secretKey(secret secrets.Secret) ([]byte, error) {
	encoded, ok := strings.CutPrefix(secret.Reveal(), secretPrefix)
	if !ok {
		return nil, errors.New("signing secret does not start with " + secretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(key) == 0 {
		return nil, errors.New("signing secret is not valid base64 after " + secretPrefix)
	}
	return key, nil
}

// Sign returns the Standard Webhooks headers of a request: its message ID,
// the timestamp in Unix seconds and the signature "v1,<base64 HMAC-SHA256
// of id.timestamp.body>".
func Sign(secret secrets.Secret, id string, at time.Time, body []byte) (map[string]string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return nil, err
	}
	timestamp := strconv.FormatInt(at.Unix(), 10)

	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	signature := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))

	return map[string]string{
		HeaderID:        id,
		HeaderTimestamp: timestamp,
		HeaderSignature: signature,
	}, nil
}
