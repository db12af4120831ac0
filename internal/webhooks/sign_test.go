package webhooks

import (
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/secrets"
)

// TestSignMatchesReferenceVector checks Sign against the vector of
// TestWebhookSign in the Standard Webhooks reference library
// (github.com/standard-webhooks/standard-webhooks, libraries/go/webhook_test.go).
func TestSignMatchesReferenceVector(t *testing.T) {
	headers, err := Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0),
		[]byte(`{"test": 2432232314}`), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}

	want := map[string]string{
		HeaderID:        "msg_p5jXN8AQM9LWM0D4loKWxJek",
		HeaderTimestamp: "1614265330",
		HeaderSignature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	}
	for name, value := range want {
		if got := headers[name]; got != value {
			t.Errorf("%s = %q, want %q", name, got, value)
		}
	}
}

// TestSignWithTwoSecrets checks that a request signed with a new and a
// previous secret carries both signatures, the new one first, each the one
// that secret alone gives.
func TestSignWithTwoSecrets(t *testing.T) {
	const id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	at, body := time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`)
	current, previous := newSecret(), secrets.Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

	both, err := Sign(id, at, body, current, previous)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	alone, err := Sign(id, at, body, current)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	want := alone[HeaderSignature] + " v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got := both[HeaderSignature]; got != want {
		t.Errorf("%s = %q, want %q", HeaderSignature, got, want)
	}
}

func TestSignRejectsMalformedSecret(t *testing.T) {
	tests := []struct {
		name   string
		secret secrets.Secret
	}{
		{"no prefix", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"not base64", "whsec_not base64!"},
		{"empty key", "whsec_"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sign("msg", time.Unix(1, 0), nil, tt.secret)
			if err == nil {
				t.Fatal("Sign succeeded, want an error")
			}
			if strings.Contains(err.Error(), tt.secret.Reveal()) && tt.secret != "whsec_" {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func TestNewSecretFormat(t *testing.T) {
	first, second := newSecret(), newSecret()

	if first == second {
		t.Errorf("two secrets are equal: %s", first.Reveal())
	}
	key, err := secretKey(first)
	if err != nil {
		t.Fatalf("secretKey(%q): %v", first.Reveal(), err)
	}
	if len(key) != secretBytes {
		t.Errorf("key has %d bytes, want %d", len(key), secretBytes)
	}
}
