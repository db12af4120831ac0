package catalog

import (
	"slices"
	"strings"
	"testing"
)

func TestOAuth2HostsAccepted(t *testing.T) {
	tests := []struct {
		name  string
		hosts []string
	}{
		{"unset", nil},
		{"exact", []string{"auth.acme.example"}},
		{"default port written out", []string{"auth.acme.example:443"}},
		{"extra hosts", []string{"login.acme.example", "auth.acme.example"}},
	}
	for _, tt := range tests {
		s := validService()
		s.OAuth2.Hosts = tt.hosts
		if err := s.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
	}
}

func TestOAuth2HostsRejected(t *testing.T) {
	tests := []struct {
		name    string
		change  func(s *Service)
		fields  []string
		message string
	}{
		{"token host missing", func(s *Service) {
			s.OAuth2.Hosts = []string{"auth.acme.example"}
			s.OAuth2.TokenURL = "https://token.acme.example/token"
		}, []string{"oauth2.token_url"}, `"token.acme.example", which oauth2.hosts does not list`},
		{"other port", func(s *Service) {
			s.OAuth2.Hosts = []string{"auth.acme.example"}
			s.OAuth2.RevocationURL = "https://auth.acme.example:8443/revoke"
		}, []string{"oauth2.revocation_url"}, `"auth.acme.example:8443"`},
		{"every endpoint elsewhere", func(s *Service) {
			s.OAuth2.Hosts = []string{"elsewhere.example"}
		}, []string{"oauth2.authorization_url", "oauth2.token_url", "oauth2.revocation_url"}, "add it to oauth2.hosts"},
		{"host with a scheme", func(s *Service) {
			s.OAuth2.Hosts = []string{"auth.acme.example", "https://auth.acme.example"}
		}, []string{"oauth2.hosts[1]"}, "contains a scheme"},
	}
	for _, tt := range tests {
		s := validService()
		tt.change(&s)
		err := s.Validate()
		if got := fieldsOf(err); !slices.Equal(got, tt.fields) {
			t.Errorf("%s: fields = %v, want %v (%v)", tt.name, got, tt.fields, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.message) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.message)
		}
	}
}

func TestOAuth2HostsPerRegion(t *testing.T) {
	s := validService()
	s.Regions = []Region{
		{ID: "us", Name: "United States", Vars: map[string]string{"accounts": "auth.acme.example"}},
		{ID: "eu", Name: "Europe", Vars: map[string]string{"accounts": "auth.acme.eu"}},
	}
	s.DefaultRegion = "us"
	s.OAuth2.AuthorizationURL = "https://{accounts}/authorize"
	s.OAuth2.TokenURL = "https://{accounts}/token"
	s.OAuth2.RevocationURL = "https://auth.acme.example/revoke"
	s.OAuth2.Hosts = []string{"{accounts}"}

	err := s.Validate()
	if got, want := fieldsOf(err), []string{"oauth2.revocation_url"}; !slices.Equal(got, want) {
		t.Fatalf("fields = %v, want %v (%v)", got, want, err)
	}
	if !strings.Contains(err.Error(), `in region "eu"`) {
		t.Errorf("error %q does not name the region", err)
	}

	s.OAuth2.Hosts = []string{"{accounts}", "auth.acme.example"}
	if err := s.Validate(); err != nil {
		t.Errorf("Validate() with both hosts = %v", err)
	}
	eu, err := s.ForRegion("eu")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"auth.acme.eu", "auth.acme.example"}; !slices.Equal(eu.OAuth2.Hosts, want) {
		t.Errorf("eu oauth2.hosts = %v, want %v", eu.OAuth2.Hosts, want)
	}
}

func TestOAuth2HostsFromBase(t *testing.T) {
	base := validService()
	base.OAuth2.Hosts = []string{"auth.acme.example"}

	inherits := Service{Key: "acme_more", Name: "Acme more", OAuth2: &OAuth2Settings{ScopeSeparator: ","}}
	inherits.ApplyBase(base)
	if want := []string{"auth.acme.example"}; !slices.Equal(inherits.OAuth2.Hosts, want) {
		t.Errorf("hosts with the base's endpoints = %v, want %v", inherits.OAuth2.Hosts, want)
	}

	overrides := Service{Key: "acme_eu", Name: "Acme EU", OAuth2: &OAuth2Settings{TokenURL: "https://auth.acme.eu/token"}}
	overrides.ApplyBase(base)
	if len(overrides.OAuth2.Hosts) != 0 {
		t.Errorf("hosts with an own token_url = %v, want none from the base", overrides.OAuth2.Hosts)
	}
	if err := overrides.Validate(); err != nil {
		t.Errorf("Validate() of the overriding service = %v", err)
	}
}

func TestOAuth2HostsNormalized(t *testing.T) {
	s := validService()
	s.OAuth2.Hosts = []string{" Auth.Acme.Example "}
	s.Normalize()
	if want := []string{"auth.acme.example"}; !slices.Equal(s.OAuth2.Hosts, want) {
		t.Errorf("hosts = %v, want %v", s.OAuth2.Hosts, want)
	}
}

func TestOAuth2HostsCloned(t *testing.T) {
	s := validService()
	s.OAuth2.Hosts = []string{"auth.acme.example"}
	c := s.Clone()
	c.OAuth2.Hosts[0] = "changed.example"
	if s.OAuth2.Hosts[0] != "auth.acme.example" {
		t.Errorf("changing the clone changed the original to %q", s.OAuth2.Hosts[0])
	}
}
