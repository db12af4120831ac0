package oauth

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
)

// echoingEndpoint answers every request with an error whose description
// repeats the request's values after padding bytes of filler. A padding of
// 185 puts the first secret across the 200-byte cut of descriptions.
func echoingEndpoint(t *testing.T, status, padding int) *endpoint {
	return newEndpoint(t, func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		echo := strings.Repeat("x", padding)
		for _, name := range []string{"refresh_token", "code", "code_verifier", "token"} {
			echo += " " + r.PostForm.Get(name)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write([]byte(`{"error":"invalid_grant","error_description":"` + echo + ` client-secret"}`))
	})
}

func TestProviderEchoIsRedacted(t *testing.T) {
	const refreshToken = "refresh-0123456789abcdef"
	const code = "code-0123456789abcdef"
	const verifier = "verifier-0123456789abcdef0123456789abcdef0123"
	const revoked = "access-0123456789abcdef"
	secrets := []string{refreshToken, code, verifier, revoked, "client-secret"}

	for _, tc := range []struct{ status, padding int }{
		{http.StatusBadRequest, 10}, {http.StatusOK, 10}, {http.StatusBadRequest, 185},
	} {
		status := tc.status
		e := echoingEndpoint(t, status, tc.padding)
		cfg := newTestConfig(e, catalog.ClientSecretPost)
		_, refreshErr := cfg.Refresh(t.Context(), refreshToken)
		_, exchangeErr := cfg.Exchange(t.Context(), code, verifier)
		revokeErr := cfg.Revoke(t.Context(), revoked, "access_token")
		for name, err := range map[string]error{"refresh": refreshErr, "exchange": exchangeErr, "revoke": revokeErr} {
			if !errors.Is(err, ErrInvalidGrant) {
				t.Errorf("status %d, %s: error = %v, want invalid_grant", status, name, err)
				continue
			}
			for _, secret := range secrets {
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:12]) {
					t.Errorf("status %d, %s: error text contains a sent secret: %s", status, name, err)
				}
			}
		}
	}
}
