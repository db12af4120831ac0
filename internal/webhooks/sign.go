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
// the timestamp in Unix seconds and one signature "v1,<base64 HMAC-SHA256
// of id.timestamp.body>" per secret, separated by spaces.
func Sign(id string, at time.Time, body []byte, secret secrets.Secret, more ...secrets.Secret) (map[string]string, error) {
	timestamp := strconv.FormatInt(at.Unix(), 10)
	signatures := make([]string, 0, 1+len(more))
	for _, s := range append([]secrets.Secret{secret}, more...) {
		key, err := secretKey(s)
		if err != nil {
			return nil, err
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + timestamp + "."))
		mac.Write(body)
		signatures = append(signatures, "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return map[string]string{
		HeaderID:        id,
		HeaderTimestamp: timestamp,
		HeaderSignature: strings.Join(signatures, " "),
	}, nil
}
