package catalog

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// zohoRegionIDs are the nine Zoho data centres every Zoho service declares.
var zohoRegionIDs = []string{"com", "eu", "in", "com_au", "jp", "ca", "sa", "uk", "cn"}

func TestForRegionEveryDefaultService(t *testing.T) {
	for _, s := range Default() {
		regions := s.RegionIDs()
		if len(regions) == 0 {
			regions = []string{""}
		}
		for _, region := range regions {
			t.Run(s.Key+"/"+region, func(t *testing.T) {
				got, err := s.ForRegion(region)
				if err != nil {
					t.Fatalf("ForRegion(%q) error = %v", region, err)
				}
				if err := got.Validate(); err != nil {
					t.Errorf("resolved service is invalid: %v", err)
				}

				urls := map[string]string{"api_base_url": got.APIBaseURL}
				if o := got.OAuth2; o != nil {
					urls["oauth2.authorization_url"] = o.AuthorizationURL
					urls["oauth2.token_url"] = o.TokenURL
					urls["oauth2.revocation_url"] = o.RevocationURL
				}
				for field, raw := range urls {
					if raw == "" {
						continue
					}
					if strings.ContainsAny(raw, "{}") {
						t.Errorf("%s = %q still contains a placeholder", field, raw)
					}
					u, err := url.Parse(raw)
					if err != nil {
						t.Errorf("%s = %q does not parse: %v", field, raw, err)
						continue
					}
					if u.Scheme != "https" || u.Host == "" {
						t.Errorf("%s = %q, want an absolute https URL", field, raw)
					}
				}

				for i, h := range got.AllowedHosts {
					if problem := hostProblem(h); problem != "" {
						t.Errorf("allowed_hosts[%d]: %s", i, problem)
					}
				}
				if got.OAuth2 != nil {
					checkOAuth2EndpointHosts(t, got.OAuth2)
				}
			})
		}
	}
}

// checkOAuth2EndpointHosts checks the OAuth 2.0 endpoints of a resolved
// default service: oauth2.hosts is set and valid, and every authorization,
// token and revocation URL is https on one of those hosts.
func checkOAuth2EndpointHosts(t *testing.T, o *OAuth2Settings) {
	t.Helper()
	if len(o.Hosts) == 0 {
		t.Error("oauth2.hosts is empty: list the hosts of the OAuth 2.0 endpoints")
	}
	for i, h := range o.Hosts {
		if strings.ContainsAny(h, "{}") {
			t.Errorf("oauth2.hosts[%d] = %q still contains a placeholder", i, h)
		}
		if problem := hostProblem(h); problem != "" {
			t.Errorf("oauth2.hosts[%d]: %s", i, problem)
		}
	}
	for _, e := range o.endpoints() {
		if e.url == "" {
			continue
		}
		u, err := url.Parse(e.url)
		if err != nil {
			t.Errorf("%s = %q does not parse: %v", e.field, e.url, err)
			continue
		}
		if u.Scheme != "https" {
			t.Errorf("%s = %q, want https", e.field, e.url)
		}
		if !hostDeclared(u, o.Hosts) {
			t.Errorf("%s = %q is on host %q, which oauth2.hosts %v does not list", e.field, e.url, u.Host, o.Hosts)
		}
	}
}

func TestZohoServicesCoverEveryDataCentre(t *testing.T) {
	for _, s := range Default() {
		if !strings.HasPrefix(s.Key, "zoho_") {
			continue
		}
		t.Run(s.Key, func(t *testing.T) {
			if got := s.RegionIDs(); !slices.Equal(got, zohoRegionIDs) {
				t.Errorf("region IDs = %v, want %v", got, zohoRegionIDs)
			}
			if s.DefaultRegion != "com" {
				t.Errorf("default_region = %q, want com", s.DefaultRegion)
			}
			p := s.CredentialPlacement
			if p == nil || p.Header != "Authorization" || p.Format != "Zoho-oauthtoken {access_token}" {
				t.Errorf("credential_placement = %+v, want Authorization: Zoho-oauthtoken {access_token}", p)
			}
			eu, err := s.ForRegion("eu")
			if err != nil {
				t.Fatalf(`ForRegion("eu") error = %v`, err)
			}
			if got, want := eu.OAuth2.TokenURL, "https://accounts.zoho.eu/oauth/v2/token"; got != want {
				t.Errorf("eu token_url = %q, want %q", got, want)
			}
			ca, err := s.ForRegion("ca")
			if err != nil {
				t.Fatalf(`ForRegion("ca") error = %v`, err)
			}
			if got, want := ca.OAuth2.AuthorizationURL, "https://accounts.zohocloud.ca/oauth/v2/auth"; got != want {
				t.Errorf("ca authorization_url = %q, want %q", got, want)
			}
		})
	}
}

func TestForRegionProductHosts(t *testing.T) {
	tests := []struct {
		key, region, wantBase, wantAccounts string
	}{
		{"zoho_mail", "ca", "https://mail.zohocloud.ca/api", "accounts.zohocloud.ca"},
		{"zoho_mail", "", "https://mail.zoho.com/api", "accounts.zoho.com"},
		{"zoho_cliq", "in", "https://cliq.zoho.in/api/v2", "accounts.zoho.in"},
		{"zoho_crm", "com_au", "https://www.zohoapis.com.au", "accounts.zoho.com.au"},
		{"zoho_books", "cn", "https://www.zohoapis.com.cn/books/v3", "accounts.zoho.com.cn"},
		{"zoho_desk", "eu", "https://desk.zoho.eu/api/v1", "accounts.zoho.eu"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+tt.region, func(t *testing.T) {
			s, ok := Lookup(tt.key)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", tt.key)
			}
			got, err := s.ForRegion(tt.region)
			if err != nil {
				t.Fatalf("ForRegion(%q) error = %v", tt.region, err)
			}
			if got.APIBaseURL != tt.wantBase {
				t.Errorf("api_base_url = %q, want %q", got.APIBaseURL, tt.wantBase)
			}
			if want := []string{tt.wantAccounts}; !slices.Equal(got.OAuth2.Hosts, want) {
				t.Errorf("oauth2.hosts = %v, want %v", got.OAuth2.Hosts, want)
			}
			if want := "https://" + tt.wantAccounts + "/oauth/v2/token"; got.OAuth2.TokenURL != want {
				t.Errorf("oauth2.token_url = %q, want %q", got.OAuth2.TokenURL, want)
			}
			if len(got.Regions) != 0 || got.DefaultRegion != "" {
				t.Errorf("resolved service keeps regions %v and default %q, want none", got.RegionIDs(), got.DefaultRegion)
			}
		})
	}
}

func TestAPIBaseURLExtraSettings(t *testing.T) {
	tests := []struct {
		key, want string
	}{
		{"salesforce", "instance_url"},
		{"zoho_crm", "api_domain"},
		{"zoho_bigin", "api_domain"},
		{"zoho_books", "api_domain"},
		{"zoho_mail", ""},
		{"zoho_cliq", ""},
		{"github", ""},
	}
	for _, tt := range tests {
		s, ok := Lookup(tt.key)
		if !ok {
			t.Fatalf("Lookup(%q) found nothing", tt.key)
		}
		if s.APIBaseURLExtra != tt.want {
			t.Errorf("%s: api_base_url_extra = %q, want %q", tt.key, s.APIBaseURLExtra, tt.want)
		}
	}

	sf, _ := Lookup("salesforce")
	if got, want := time.Duration(sf.DefaultTokenLifetime), 2*time.Hour; got != want {
		t.Errorf("salesforce default_token_lifetime = %v, want %v", got, want)
	}
}

// regionalService returns a valid service with two regions for tests to
// break.
func regionalService() Service {
	s := validService()
	s.OAuth2.AuthorizationURL = "https://{auth}/authorize"
	s.OAuth2.TokenURL = "https://{auth}/token"
	s.OAuth2.RevocationURL = ""
	s.APIBaseURL = "https://{api}/v1"
	s.AllowedHosts = []string{"files.{api}"}
	s.Regions = []Region{
		{ID: "us", Name: "United States", Vars: map[string]string{"auth": "auth.acme.example", "api": "api.acme.example"}},
		{ID: "eu", Name: "Europe", Vars: map[string]string{"auth": "auth.acme.eu.example", "api": "api.acme.eu.example"}},
	}
	s.DefaultRegion = "us"
	return s
}

func TestForRegion(t *testing.T) {
	s := regionalService()

	tests := []struct {
		region                string
		wantToken, wantBase   string
		wantAllowedFirstEntry string
	}{
		{"", "https://auth.acme.example/token", "https://api.acme.example/v1", "files.api.acme.example"},
		{"us", "https://auth.acme.example/token", "https://api.acme.example/v1", "files.api.acme.example"},
		{"eu", "https://auth.acme.eu.example/token", "https://api.acme.eu.example/v1", "files.api.acme.eu.example"},
	}
	for _, tt := range tests {
		t.Run("region "+tt.region, func(t *testing.T) {
			got, err := s.ForRegion(tt.region)
			if err != nil {
				t.Fatalf("ForRegion(%q) error = %v", tt.region, err)
			}
			if got.OAuth2.TokenURL != tt.wantToken {
				t.Errorf("token_url = %q, want %q", got.OAuth2.TokenURL, tt.wantToken)
			}
			if got.APIBaseURL != tt.wantBase {
				t.Errorf("api_base_url = %q, want %q", got.APIBaseURL, tt.wantBase)
			}
			if got.AllowedHosts[0] != tt.wantAllowedFirstEntry {
				t.Errorf("allowed_hosts[0] = %q, want %q", got.AllowedHosts[0], tt.wantAllowedFirstEntry)
			}
		})
	}

	if s.OAuth2.TokenURL != "https://{auth}/token" || s.AllowedHosts[0] != "files.{api}" {
		t.Errorf("ForRegion changed the original service: token_url %q, allowed_hosts %v", s.OAuth2.TokenURL, s.AllowedHosts)
	}
}

func TestForRegionErrors(t *testing.T) {
	plain := validService()
	noDefault := regionalService()
	noDefault.DefaultRegion = ""
	undefined := regionalService()
	delete(undefined.Regions[1].Vars, "api")

	tests := []struct {
		name    string
		service Service
		region  string
		want    []string
	}{
		{"unknown region", regionalService(), "apac", []string{`"apac"`, "not found", "us, eu"}},
		{"region on a service without regions", plain, "eu", []string{"has no regions", `"eu"`}},
		{"empty region without default", noDefault, "", []string{"no default region", "us, eu"}},
		{"placeholder undefined in region", undefined, "eu", []string{`region "eu"`, "{api}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.service.ForRegion(tt.region)
			if err == nil {
				t.Fatalf("ForRegion(%q) error = nil, want an error", tt.region)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("ForRegion(%q) error = %q, want it to contain %q", tt.region, err, want)
				}
			}
		})
	}
}

func TestValidateRegions(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(s *Service)
		wantField string
		wantText  string
	}{
		{"placeholder without regions", func(s *Service) {
			s.Regions = nil
			s.DefaultRegion = ""
		}, "oauth2.authorization_url", "has no regions"},
		{"default region without regions", func(s *Service) {
			*s = validService()
			s.DefaultRegion = "us"
		}, "default_region", "has no regions"},
		{"placeholder undefined in one region", func(s *Service) {
			delete(s.Regions[1].Vars, "auth")
		}, "regions[1].vars", "{auth}"},
		{"invalid region ID", func(s *Service) { s.Regions[1].ID = "EU" }, "regions[1].id", `"EU" is invalid`},
		{"region ID too long", func(s *Service) { s.Regions[1].ID = "europe_west_central" }, "regions[1].id", "is invalid"},
		{"missing region ID", func(s *Service) { s.Regions[1].ID = "" }, "regions[1].id", "is missing"},
		{"duplicate region ID", func(s *Service) { s.Regions[1].ID = "us" }, "regions[1].id", "declared twice"},
		{"missing region name", func(s *Service) { s.Regions[0].Name = " " }, "regions[0].name", "is missing"},
		{"missing default region", func(s *Service) { s.DefaultRegion = "" }, "default_region", "us, eu"},
		{"unknown default region", func(s *Service) { s.DefaultRegion = "apac" }, "default_region", "not a region"},
		{"invalid placeholder", func(s *Service) { s.APIBaseURL = "https://{API}/v1" }, "api_base_url", "invalid placeholder"},
		{"empty variable", func(s *Service) { s.Regions[0].Vars["api"] = "" }, "regions[0].vars.api", "is empty"},
		{"invalid variable name", func(s *Service) { s.Regions[0].Vars["Api-Host"] = "x.example" }, "regions[0].vars", "invalid name"},
		{"nested placeholder", func(s *Service) { s.Regions[0].Vars["api"] = "{auth}" }, "regions[0].vars.api", "brace"},
		{"http in a non-default region", func(s *Service) {
			s.OAuth2.TokenURL = "{scheme}://{auth}/token"
			s.Regions[0].Vars["scheme"] = "https"
			s.Regions[1].Vars["scheme"] = "http"
		}, "oauth2.token_url", `in region "eu"`},
		{"bad host in a non-default region", func(s *Service) {
			s.Regions[1].Vars["api"] = "api_eu.acme.example"
		}, "allowed_hosts[0]", `in region "eu"`},
		{"bad host in the default region", func(s *Service) {
			s.Regions[0].Vars["api"] = "api acme"
		}, "api_base_url", "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := regionalService()
			tt.mutate(&s)
			err := s.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			var found bool
			for _, fe := range FieldErrors(err) {
				if fe.Field == tt.wantField && strings.Contains(fe.Message, tt.wantText) {
					found = true
				}
			}
			if !found {
				t.Errorf("Validate() = %v, want a %s error containing %q", err, tt.wantField, tt.wantText)
			}
		})
	}
}

func TestValidateAcceptsRegionalService(t *testing.T) {
	s := regionalService()
	if err := s.Validate(); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
}

func TestValidateCredentialSettings(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(s *Service)
		wantField string
	}{
		{"invalid extra name", func(s *Service) { s.APIBaseURLExtra = "api-domain" }, "api_base_url_extra"},
		{"upper-case extra name", func(s *Service) { s.APIBaseURLExtra = "Instance_URL" }, "api_base_url_extra"},
		{"missing header", func(s *Service) { s.CredentialPlacement = &Placement{Format: "{access_token}"} }, "credential_placement.header"},
		{"invalid header", func(s *Service) {
			s.CredentialPlacement = &Placement{Header: "X Token", Format: "{access_token}"}
		}, "credential_placement.header"},
		{"format without token", func(s *Service) {
			s.CredentialPlacement = &Placement{Header: "Authorization", Format: "Bearer"}
		}, "credential_placement.format"},
		{"format with token twice", func(s *Service) {
			s.CredentialPlacement = &Placement{Header: "Authorization", Format: "{access_token} {access_token}"}
		}, "credential_placement.format"},
		{"format with newline", func(s *Service) {
			s.CredentialPlacement = &Placement{Header: "Authorization", Format: "Bearer {access_token}\r\nX: y"}
		}, "credential_placement.format"},
		{"negative lifetime", func(s *Service) { s.DefaultTokenLifetime = Duration(-time.Hour) }, "default_token_lifetime"},
		{"lifetime too long", func(s *Service) { s.DefaultTokenLifetime = Duration(2000 * time.Hour) }, "default_token_lifetime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validService()
			tt.mutate(&s)
			if got := fieldsOf(s.Validate()); !slices.Equal(got, []string{tt.wantField}) {
				t.Errorf("Validate() fields = %v, want [%s]", got, tt.wantField)
			}
		})
	}
}

func TestCredentialHeader(t *testing.T) {
	s := validService()
	if name, value := s.CredentialHeader("tok"); name != "Authorization" || value != "Bearer tok" {
		t.Errorf("default CredentialHeader = %q: %q, want Authorization: Bearer tok", name, value)
	}

	zoho, _ := Lookup("zoho_crm")
	if name, value := zoho.CredentialHeader("tok"); name != "Authorization" || value != "Zoho-oauthtoken tok" {
		t.Errorf("zoho_crm CredentialHeader = %q: %q, want Authorization: Zoho-oauthtoken tok", name, value)
	}
}

func TestDurationJSON(t *testing.T) {
	var d Duration
	if err := json.Unmarshal([]byte(`"90m"`), &d); err != nil {
		t.Fatalf("Unmarshal(\"90m\") error = %v", err)
	}
	if got, want := time.Duration(d), 90*time.Minute; got != want {
		t.Errorf("Unmarshal(\"90m\") = %v, want %v", got, want)
	}

	out, err := json.Marshal(Duration(2 * time.Hour))
	if err != nil {
		t.Fatalf("Marshal error = %v", err)
	}
	if got, want := string(out), `"2h0m0s"`; got != want {
		t.Errorf("Marshal(2h) = %s, want %s", got, want)
	}

	unchanged := Duration(time.Hour)
	if err := json.Unmarshal([]byte(`null`), &unchanged); err != nil || unchanged != Duration(time.Hour) {
		t.Errorf("Unmarshal(null) = %v, %v; want 1h unchanged and no error", time.Duration(unchanged), err)
	}

	for _, bad := range []string{`7200`, `"two hours"`} {
		var d Duration
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("Unmarshal(%s) error = nil, want an error", bad)
		}
	}
}

func TestCloneCopiesRegionsAndPlacement(t *testing.T) {
	s := regionalService()
	s.CredentialPlacement = &Placement{Header: "Authorization", Format: "Token {access_token}"}
	c := s.Clone()

	c.Regions[0].Vars["api"] = "changed.example"
	c.Regions[1].ID = "changed"
	c.CredentialPlacement.Format = "changed {access_token}"

	if s.Regions[0].Vars["api"] != "api.acme.example" || s.Regions[1].ID != "eu" {
		t.Errorf("original regions changed through the clone: %+v", s.Regions)
	}
	if s.CredentialPlacement.Format != "Token {access_token}" {
		t.Errorf("original credential_placement changed through the clone: %+v", s.CredentialPlacement)
	}
}
