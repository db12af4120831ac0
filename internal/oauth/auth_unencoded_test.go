package oauth

import (
	"net/http"
	"strings"
	"testing"
)

// TestAuthMethodsEncodeCredentials sends one client whose ID and secret
// change under form-encoding with each token auth method.
func TestAuthMethodsEncodeCredentials(t *testing.T) {
	client := Client{ID: "my client", Secret: "a+b/c:d="}
	tests := []struct {
		method        string
		wantHeader    string
		wantBodyCreds bool
	}{
		// Base64 of "my+client:a%2Bb%2Fc%3Ad%3D".
		{method: "client_secret_basic", wantHeader: "Basic bXkrY2xpZW50OmElMkJiJTJGYyUzQWQlM0Q="},
		{method: "client_secret_post", wantBodyCreds: true},
		// Base64 of "my client:a+b/c:d=".
		{method: "client_secret_basic_unencoded", wantHeader: "Basic bXkgY2xpZW50OmErYi9jOmQ9"},
	}
	for _, tt := range tests {
		for _, op := range operations {
			t.Run(tt.method+"/"+op.name, func(t *testing.T) {
				e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
				config := newTestConfig(e, tt.method)
				config.Client = client

				if err := op.run(config); err != nil {
					t.Fatalf("%s: %v", op.name, err)
				}
				req := e.only(t)
				if got := req.header.Get("Authorization"); got != tt.wantHeader {
					t.Errorf("Authorization = %q, want %q", got, tt.wantHeader)
				}

				if !tt.wantBodyCreds {
					for _, name := range []string{"client_id", "client_secret"} {
						if req.form.Has(name) {
							t.Errorf("body has %s, want client credentials only in the header", name)
						}
					}
					return
				}
				if got := req.form.Get("client_id"); got != client.ID {
					t.Errorf("client_id = %q, want %q", got, client.ID)
				}
				if got := req.form.Get("client_secret"); got != client.Secret {
					t.Error("client_secret in the body differs from the configured one")
				}
			})
		}
	}
}

func TestUnencodedBasicRejectsColonInID(t *testing.T) {
	for _, op := range operations {
		t.Run(op.name, func(t *testing.T) {
			e := newEndpoint(t, respondWith(http.StatusOK, "application/json", `{"access_token":"at-1"}`))
			config := newTestConfig(e, "client_secret_basic_unencoded")
			config.Client = Client{ID: "tenant:app", Secret: "client-secret"}

			err := op.run(config)
			if err == nil {
				t.Fatalf("%s succeeded with ':' in the client ID", op.name)
			}
			if !strings.Contains(err.Error(), "client_secret_basic") {
				t.Errorf("error %q does not name the method to use", err)
			}
			if strings.Contains(err.Error(), "client-secret") {
				t.Errorf("error %q contains the client secret", err)
			}
			if got := e.count(); got != 0 {
				t.Errorf("endpoint received %d requests, want 0", got)
			}
		})
	}
}
