package catalog

import (
	"reflect"
	"testing"
)

func TestNormalize(t *testing.T) {
	s := Service{
		Key:          "  acme ",
		Name:         " Acme ",
		Description:  " Devices ",
		AuthType:     " oauth2 ",
		APIBaseURL:   " https://API.Acme.Example/V1 ",
		DocsURL:      " https://Docs.Acme.Example/Guide ",
		AllowedHosts: []string{" Files.Acme.Example:8443 "},
		Scopes:       []Scope{{Name: " devices.read ", Description: " Read "}},
		OAuth2: &OAuth2Settings{
			AuthorizationURL: " https://Auth.Acme.Example/authorize?Tenant=X ",
			TokenURL:         "https://auth.acme.example/token",
			RevocationURL:    " ",
			TokenAuthMethod:  " client_secret_post ",
		},
	}
	s.Normalize()

	want := Service{
		Key:          "acme",
		Name:         "Acme",
		Description:  "Devices",
		AuthType:     AuthOAuth2,
		APIBaseURL:   "https://api.acme.example/V1",
		DocsURL:      "https://docs.acme.example/Guide",
		AllowedHosts: []string{"files.acme.example:8443"},
		Scopes:       []Scope{{Name: "devices.read", Description: "Read"}},
		OAuth2: &OAuth2Settings{
			AuthorizationURL: "https://auth.acme.example/authorize?Tenant=X",
			TokenURL:         "https://auth.acme.example/token",
			TokenAuthMethod:  ClientSecretPost,
			ScopeSeparator:   " ",
		},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Normalize() =\n%+v\n%+v\nwant\n%+v\n%+v", s, *s.OAuth2, want, *want.OAuth2)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate() after Normalize() = %v, want nil", err)
	}
}

func TestNormalizeKeepsSeparatorAndAPIKey(t *testing.T) {
	s := validAPIKeyService()
	s.APIKey.Params = []APIKeyParam{{Name: " X-API-Key ", In: " Header "}}
	s.Scopes = nil
	s.Normalize()

	if got, want := s.APIKey.Params[0], (APIKeyParam{Name: "X-API-Key", In: "header"}); got != want {
		t.Errorf("param = %+v, want %+v", got, want)
	}
	if s.Scopes == nil || len(s.Scopes) != 0 {
		t.Errorf("scopes = %#v, want an empty, non-nil list", s.Scopes)
	}

	o := validService()
	o.OAuth2.ScopeSeparator = ","
	o.Normalize()
	if o.OAuth2.ScopeSeparator != "," {
		t.Errorf("separator = %q, want %q kept", o.OAuth2.ScopeSeparator, ",")
	}
}

func TestNormalizeLeavesUnparsableURL(t *testing.T) {
	s := validService()
	s.APIBaseURL = " https://API acme.example "
	s.Normalize()
	if got, want := s.APIBaseURL, "https://API acme.example"; got != want {
		t.Errorf("api_base_url = %q, want %q", got, want)
	}
}
