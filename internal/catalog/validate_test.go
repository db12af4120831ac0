package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// validService returns a fresh, valid oauth2 service for tests to break.
func validService() Service {
	pkce := true
	return Service{
		Key:         "acme_devices",
		Name:        "Acme Devices",
		Description: "Devices of Acme",
		AuthType:    AuthOAuth2,
		OAuth2: &OAuth2Settings{
			AuthorizationURL:    "https://auth.acme.example/authorize",
			TokenURL:            "https://auth.acme.example/token",
			RevocationURL:       "https://auth.acme.example/revoke",
			TokenAuthMethod:     ClientSecretBasic,
			PKCE:                &pkce,
			ScopeSeparator:      " ",
			AuthorizationParams: map[string]string{"prompt": "consent"},
		},
		Scopes:       []Scope{{Name: "devices.read", Description: "Read devices"}, {Name: "devices.write"}},
		APIBaseURL:   "https://api.acme.example/v1",
		AllowedHosts: []string{"files.acme.example"},
		DocsURL:      "https://docs.acme.example/oauth",
	}
}

func validAPIKeyService() Service {
	return Service{
		Key:        "acme_keys",
		Name:       "Acme Keys",
		AuthType:   AuthAPIKey,
		APIKey:     &APIKeySettings{Params: []APIKeyParam{{Name: "X-API-Key", In: "header"}}},
		Scopes:     []Scope{},
		APIBaseURL: "https://api.acme.example",
	}
}

func fieldsOf(err error) []string {
	var fields []string
	for _, fe := range FieldErrors(err) {
		fields = append(fields, fe.Field)
	}
	return fields
}

func TestValidateAcceptsValidServices(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(s *Service)
	}{
		{"oauth2", func(s *Service) {}},
		{"client credentials without authorization URL", func(s *Service) {
			s.AuthType = AuthOAuth2ClientCredentials
			s.OAuth2.AuthorizationURL = ""
		}},
		{"empty scope separator", func(s *Service) { s.OAuth2.ScopeSeparator = "" }},
		{"comma scope separator", func(s *Service) { s.OAuth2.ScopeSeparator = "," }},
		{"no revocation URL", func(s *Service) { s.OAuth2.RevocationURL = "" }},
		{"no docs URL", func(s *Service) { s.DocsURL = "" }},
		{"http on 127.0.0.1", func(s *Service) { s.OAuth2.TokenURL = "http://127.0.0.1:9000/token" }},
		{"http on 127.5.6.7", func(s *Service) { s.APIBaseURL = "http://127.5.6.7/api" }},
		{"http on localhost", func(s *Service) { s.OAuth2.AuthorizationURL = "http://localhost:8080/authorize" }},
		{"http on ::1", func(s *Service) { s.OAuth2.RevocationURL = "http://[::1]:9000/revoke" }},
		{"authorization URL with query", func(s *Service) { s.OAuth2.AuthorizationURL = "https://auth.acme.example/authorize?tenant=x" }},
		{"allowed hosts with ports and addresses", func(s *Service) {
			s.AllowedHosts = []string{"files.acme.example:8443", "127.0.0.1:9000", "[::1]:8443", "[2001:db8::1]", "10.0.0.1"}
		}},
		{"free scopes without scopes", func(s *Service) {
			s.FreeScopes = true
			s.Scopes = nil
		}},
		{"basic", func(s *Service) {
			s.AuthType = AuthBasic
			s.OAuth2 = nil
		}},
		{"none", func(s *Service) {
			s.AuthType = AuthNone
			s.OAuth2 = nil
		}},
		{"api key in every location", func(s *Service) {
			s.AuthType = AuthAPIKey
			s.OAuth2 = nil
			s.APIKey = &APIKeySettings{Params: []APIKeyParam{
				{Name: "X-API-Key", In: "header"}, {Name: "api_key", In: "query"}, {Name: "token", In: "form"},
			}}
		}},
		{"custom kind", func(s *Service) { s.Kind = KindCustom }},
		{"notes on a default service", func(s *Service) {
			s.Kind = KindDefault
			s.Notes = "The revocation endpoint is not documented."
		}},
		{"name of 100 characters", func(s *Service) { s.Name = strings.Repeat("é", 100) }},
		{"key of 50 characters", func(s *Service) { s.Key = "a" + strings.Repeat("b_1", 16) + "c" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validService()
			tt.mutate(&s)
			if err := s.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name      string
		base      func() Service
		mutate    func(s *Service)
		wantField string
		wantText  string // part of the message: the bad value or the fix
	}{
		{"key missing", validService, func(s *Service) { s.Key = "" }, "key", "is missing"},
		{"key upper case", validService, func(s *Service) { s.Key = "GitHub" }, "key", `"GitHub"`},
		{"key one character", validService, func(s *Service) { s.Key = "a" }, "key", "2 to 50 characters"},
		{"key 51 characters", validService, func(s *Service) { s.Key = strings.Repeat("a", 51) }, "key", "2 to 50 characters"},
		{"key starts with digit", validService, func(s *Service) { s.Key = "1password" }, "key", `"1password"`},
		{"key with hyphen", validService, func(s *Service) { s.Key = "acme-devices" }, "key", `"acme-devices"`},
		{"name missing", validService, func(s *Service) { s.Name = "" }, "name", "is missing"},
		{"name too long", validService, func(s *Service) { s.Name = strings.Repeat("x", 101) }, "name", "101 characters"},
		{"kind unknown", validService, func(s *Service) { s.Kind = "builtin" }, "kind", `"builtin"`},
		{"notes on a custom service", validService, func(s *Service) {
			s.Kind = KindCustom
			s.Notes = "Copied from a default service."
		}, "notes", "default services"},
		{"auth type missing", validService, func(s *Service) { s.AuthType = "" }, "auth_type", "oauth2, oauth2_client_credentials, api_key, basic or none"},
		{"auth type unknown", validService, func(s *Service) { s.AuthType = "oauth" }, "auth_type", `"oauth" is not supported`},

		{"oauth2 block missing", validService, func(s *Service) { s.OAuth2 = nil }, "oauth2", "is missing"},
		{"oauth2 block missing for client credentials", validService, func(s *Service) {
			s.AuthType = AuthOAuth2ClientCredentials
			s.OAuth2 = nil
		}, "oauth2", "is missing"},
		{"authorization URL missing", validService, func(s *Service) { s.OAuth2.AuthorizationURL = "" }, "oauth2.authorization_url", "is missing"},
		{"token URL missing", validService, func(s *Service) { s.OAuth2.TokenURL = "" }, "oauth2.token_url", "is missing"},
		{"token auth method missing", validService, func(s *Service) { s.OAuth2.TokenAuthMethod = "" }, "oauth2.token_auth_method", "client_secret_basic or client_secret_post"},
		{"token auth method unknown", validService, func(s *Service) { s.OAuth2.TokenAuthMethod = "client_secret_jwt" }, "oauth2.token_auth_method", `"client_secret_jwt"`},
		{"scope separator two characters", validService, func(s *Service) { s.OAuth2.ScopeSeparator = ", " }, "oauth2.scope_separator", `", "`},
		{"authorization param reserved", validService, func(s *Service) { s.OAuth2.AuthorizationParams["state"] = "x" }, "oauth2.authorization_params.state", "remove it"},
		{"authorization param empty name", validService, func(s *Service) { s.OAuth2.AuthorizationParams[""] = "x" }, "oauth2.authorization_params", "empty parameter name"},
		{"api key block on oauth2", validService, func(s *Service) { s.APIKey = &APIKeySettings{} }, "api_key", "must be omitted"},

		{"api key block missing", validAPIKeyService, func(s *Service) { s.APIKey = nil }, "api_key", "is missing"},
		{"api key params empty", validAPIKeyService, func(s *Service) { s.APIKey.Params = nil }, "api_key.params", "at least one parameter"},
		{"api key param name missing", validAPIKeyService, func(s *Service) { s.APIKey.Params[0].Name = "" }, "api_key.params[0].name", "is missing"},
		{"api key param in missing", validAPIKeyService, func(s *Service) { s.APIKey.Params[0].In = "" }, "api_key.params[0].in", "header, query or form"},
		{"api key param in unknown", validAPIKeyService, func(s *Service) { s.APIKey.Params[0].In = "body" }, "api_key.params[0].in", `"body"`},
		{"api key param names repeat", validAPIKeyService, func(s *Service) {
			s.APIKey.Params = append(s.APIKey.Params, APIKeyParam{Name: "x-api-key", In: "query"})
		}, "api_key.params[1].name", "listed twice"},
		{"api key header name with space", validAPIKeyService, func(s *Service) { s.APIKey.Params[0].Name = "API Key" }, "api_key.params[0].name", "not a valid HTTP header name"},
		{"oauth2 block on api key", validAPIKeyService, func(s *Service) { s.OAuth2 = &OAuth2Settings{} }, "oauth2", "must be omitted"},
		{"oauth2 block on basic", validService, func(s *Service) { s.AuthType = AuthBasic }, "oauth2", "must be omitted for auth type basic"},
		{"api key block on none", validAPIKeyService, func(s *Service) { s.AuthType = AuthNone }, "api_key", "must be omitted for auth type none"},

		{"token URL http", validService, func(s *Service) { s.OAuth2.TokenURL = "http://auth.acme.example/token" }, "oauth2.token_url", "use https"},
		{"token URL ftp", validService, func(s *Service) { s.OAuth2.TokenURL = "ftp://auth.acme.example/token" }, "oauth2.token_url", `scheme "ftp"`},
		{"token URL relative", validService, func(s *Service) { s.OAuth2.TokenURL = "/token" }, "oauth2.token_url", "not an absolute URL"},
		{"token URL without host name", validService, func(s *Service) { s.OAuth2.TokenURL = "https://:443/token" }, "oauth2.token_url", "no host name"},
		{"revocation URL with fragment", validService, func(s *Service) { s.OAuth2.RevocationURL = "https://auth.acme.example/revoke#x" }, "oauth2.revocation_url", "fragment"},
		{"revocation URL with empty fragment", validService, func(s *Service) { s.OAuth2.RevocationURL = "https://auth.acme.example/revoke#" }, "oauth2.revocation_url", "fragment"},
		{"authorization URL unparsable", validService, func(s *Service) { s.OAuth2.AuthorizationURL = "https://auth acme.example/" }, "oauth2.authorization_url", "not a valid URL"},
		{"http on a lookalike of localhost", validService, func(s *Service) { s.APIBaseURL = "http://localhost.acme.example" }, "api_base_url", "use https"},
		{"http on a private address", validService, func(s *Service) { s.APIBaseURL = "http://10.0.0.1" }, "api_base_url", "use https"},
		{"API base URL missing", validService, func(s *Service) { s.APIBaseURL = "" }, "api_base_url", "is missing"},
		{"API base URL missing for none", validService, func(s *Service) {
			s.AuthType = AuthNone
			s.OAuth2 = nil
			s.APIBaseURL = ""
		}, "api_base_url", "is missing"},
		{"API base URL with query", validService, func(s *Service) { s.APIBaseURL = "https://api.acme.example/v1?x=1" }, "api_base_url", "contains a query"},
		{"docs URL http", validService, func(s *Service) { s.DocsURL = "http://docs.acme.example" }, "docs_url", "use https"},

		{"allowed host empty", validService, func(s *Service) { s.AllowedHosts = []string{""} }, "allowed_hosts[0]", "is empty"},
		{"allowed host with scheme", validService, func(s *Service) { s.AllowedHosts = []string{"https://files.acme.example"} }, "allowed_hosts[0]", "contains a scheme"},
		{"allowed host with path", validService, func(s *Service) { s.AllowedHosts = []string{"files.acme.example/x"} }, "allowed_hosts[0]", "contains a path"},
		{"allowed host wildcard", validService, func(s *Service) { s.AllowedHosts = []string{"*.acme.example"} }, "allowed_hosts[0]", "wildcard"},
		{"allowed host upper case", validService, func(s *Service) { s.AllowedHosts = []string{"ok.example", "Files.acme.example"} }, "allowed_hosts[1]", "lower case"},
		{"allowed host with user", validService, func(s *Service) { s.AllowedHosts = []string{"user@files.acme.example"} }, "allowed_hosts[0]", "user information"},
		{"allowed host port zero", validService, func(s *Service) { s.AllowedHosts = []string{"files.acme.example:0"} }, "allowed_hosts[0]", "invalid port"},
		{"allowed host port text", validService, func(s *Service) { s.AllowedHosts = []string{"files.acme.example:https"} }, "allowed_hosts[0]", "invalid port"},
		{"allowed host port missing", validService, func(s *Service) { s.AllowedHosts = []string{"files.acme.example:"} }, "allowed_hosts[0]", "invalid port"},
		{"allowed host IPv6 port missing", validService, func(s *Service) { s.AllowedHosts = []string{"[::1]:"} }, "allowed_hosts[0]", "invalid port"},
		{"allowed host IPv6 bracket unclosed", validService, func(s *Service) { s.AllowedHosts = []string{"[::1"} }, "allowed_hosts[0]", "not a valid [IPv6]:port"},
		{"allowed host IPv6 without brackets", validService, func(s *Service) { s.AllowedHosts = []string{"2001:db8::1"} }, "allowed_hosts[0]", "without brackets"},
		{"allowed host brackets around IPv4", validService, func(s *Service) { s.AllowedHosts = []string{"[10.0.0.1]"} }, "allowed_hosts[0]", "only for IPv6"},
		{"allowed host underscore", validService, func(s *Service) { s.AllowedHosts = []string{"files_acme.example"} }, "allowed_hosts[0]", "not a valid host name"},
		{"allowed host trailing dot", validService, func(s *Service) { s.AllowedHosts = []string{"files.acme.example."} }, "allowed_hosts[0]", "not a valid host name"},

		{"scope name missing", validService, func(s *Service) { s.Scopes[1].Name = "" }, "scopes[1].name", "is missing"},
		{"scope name with space", validService, func(s *Service) { s.Scopes[0].Name = "devices read" }, "scopes[0].name", "whitespace"},
		{"scope declared twice", validService, func(s *Service) { s.Scopes[1].Name = "devices.read" }, "scopes[1].name", "declared twice"},
		{"scope contains separator", validService, func(s *Service) {
			s.OAuth2.ScopeSeparator = ","
			s.Scopes[0].Name = "devices.read,devices.write"
		}, "scopes[0].name", `separator ","`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.base()
			tt.mutate(&s)
			err := s.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}

			if got := fieldsOf(err); !slices.Equal(got, []string{tt.wantField}) {
				t.Errorf("fields = %v, want [%s]; error: %v", got, tt.wantField, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}

func TestValidateHidesURLPasswords(t *testing.T) {
	tests := []struct {
		name string
		url  string
	}{
		{"parsed", "https://user:hunter2@auth.acme.example/token"},
		{"unparsable", "https://user:hunter2@auth acme.example/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validService()
			s.OAuth2.TokenURL = tt.url
			err := s.Validate()
			if got := fieldsOf(err); !slices.Equal(got, []string{"oauth2.token_url"}) {
				t.Fatalf("fields = %v, want [oauth2.token_url]; error: %v", got, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Validate() = %q, which shows the password", err)
			}
		})
	}
}

func TestValidateCollectsEveryProblem(t *testing.T) {
	s := validService()
	s.Key = "Bad Key"
	s.Name = ""
	s.OAuth2.TokenURL = ""
	s.AllowedHosts = []string{"*.acme.example"}

	err := s.Validate()
	want := []string{"key", "name", "oauth2.token_url", "allowed_hosts[0]"}
	if got := fieldsOf(err); !slices.Equal(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}

	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("errors.As(%v, *FieldError) = false, want true", err)
	}
	if fe.Field != "key" {
		t.Errorf("first FieldError field = %q, want %q", fe.Field, "key")
	}
}

func TestFieldErrorsThroughWrapping(t *testing.T) {
	s := validService()
	s.Name = ""
	s.APIBaseURL = ""
	wrapped := fmt.Errorf("creating service: %w", s.Validate())

	want := []string{"name", "api_base_url"}
	if got := fieldsOf(wrapped); !slices.Equal(got, want) {
		t.Errorf("FieldErrors(wrapped) fields = %v, want %v", got, want)
	}
	if got := FieldErrors(nil); got != nil {
		t.Errorf("FieldErrors(nil) = %v, want nil", got)
	}
	if got := FieldErrors(errors.New("other")); got != nil {
		t.Errorf("FieldErrors(other) = %v, want nil", got)
	}
}

func TestFieldErrorMessage(t *testing.T) {
	err := &FieldError{Field: "key", Message: `"X" is invalid`}
	if got, want := err.Error(), `key: "X" is invalid`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
