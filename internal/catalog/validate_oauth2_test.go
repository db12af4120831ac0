package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestValidateTokenPath(t *testing.T) {
	tests := []struct {
		path  string
		valid bool
	}{
		{"", true},
		{"authed_user", true},
		{"data.token_1", true},
		{"a.b.c", true},
		{"Authed_user", false},
		{"authed-user", false},
		{".authed_user", false},
		{"authed_user.", false},
		{"data..token", false},
		{"authed user", false},
		{"data[0]", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			s := validService()
			s.OAuth2.TokenPath = tt.path
			err := s.Validate()

			if tt.valid {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if got := fieldsOf(err); !slices.Equal(got, []string{"oauth2.token_path"}) {
				t.Fatalf("fields = %v, want [oauth2.token_path]; error: %v", got, err)
			}
			if !strings.Contains(err.Error(), "authed_user") {
				t.Errorf("Validate() = %q, want an example path in the message", err)
			}
		})
	}
}

func TestValidateTokenAuthMethods(t *testing.T) {
	for _, method := range []string{ClientSecretBasic, ClientSecretPost, ClientSecretBasicUnencoded} {
		t.Run(method, func(t *testing.T) {
			s := validService()
			s.OAuth2.TokenAuthMethod = method
			if err := s.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateUnknownMethodNamesUnencoded(t *testing.T) {
	s := validService()
	s.OAuth2.TokenAuthMethod = "client_secret_jwt"
	err := s.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want an error")
	}
	if !strings.Contains(err.Error(), ClientSecretBasicUnencoded) {
		t.Errorf("Validate() = %q, want it to list %s", err, ClientSecretBasicUnencoded)
	}
}
