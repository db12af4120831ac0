package catalog

import (
	"bytes"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func serviceFilePaths(t *testing.T) []string {
	t.Helper()
	paths, err := fs.Glob(serviceFiles, servicesDir+"/*.json")
	if err != nil {
		t.Fatalf("listing embedded service files: %v", err)
	}
	if len(paths) == 0 {
		t.Fatal("no embedded service files")
	}
	return paths
}

// TestServiceFiles checks each embedded file on its own, so that a failure
// names the file.
func TestServiceFiles(t *testing.T) {
	for _, p := range serviceFilePaths(t) {
		t.Run(path.Base(p), func(t *testing.T) {
			data, err := serviceFiles.ReadFile(p)
			if err != nil {
				t.Fatalf("reading: %v", err)
			}
			// decodeService rejects unknown fields.
			s, err := decodeService(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("decoding: %v", err)
			}

			if got, want := s.Key, strings.TrimSuffix(path.Base(p), ".json"); got != want {
				t.Errorf("key = %q, want %q from the file name", got, want)
			}
			if s.Kind != "" {
				t.Errorf("kind = %q, want it unset because the loader sets it", s.Kind)
			}

			normalized := s.Clone()
			normalized.Normalize()
			if !reflect.DeepEqual(normalized, s) {
				t.Errorf("file is not in normal form:\n got %+v\nwant %+v", s, normalized)
			}

			if err := s.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}

			if !strings.HasPrefix(s.DocsURL, "https://") {
				t.Errorf("docs_url = %q, want an https URL of the provider's documentation", s.DocsURL)
			}
			if problem := urlProblem(s.DocsURL); problem != "" {
				t.Errorf("docs_url: %s", problem)
			}
			if s.Description == "" {
				t.Error("description is empty")
			}
			// The description is shown to users choosing a service; remarks
			// about facts the provider's documentation does not confirm
			// belong in notes.
			for _, remark := range []string{"not confirmed", "unconfirmed"} {
				if strings.Contains(strings.ToLower(s.Description), remark) {
					t.Errorf("description says %q: move maintainers' remarks to notes", remark)
				}
			}
			// A service with no scopes (API keys, Basic, or an OAuth
			// provider without scopes, such as Mailchimp) explains it in its description.
			if len(s.Scopes) == 0 && !strings.Contains(strings.ToLower(s.Description), "scope") {
				t.Error("no scopes declared and the description does not say why")
			}
			for i, sc := range s.Scopes {
				if sc.Description == "" {
					t.Errorf("scopes[%d] %q has no description", i, sc.Name)
				}
			}
			if s.OAuth2 != nil && s.OAuth2.PKCE == nil {
				t.Error("oauth2.pkce is unset: state true or false as the provider's documentation says")
			}
		})
	}
}

func TestLoad(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("Load() error = %v", err)
	}

	services := c.Services()
	if got, want := len(services), len(serviceFilePaths(t)); got != want {
		t.Errorf("len(Services()) = %d, want %d, one per file", got, want)
	}
	for _, s := range services {
		if s.Kind != KindDefault {
			t.Errorf("%s: kind = %q, want %q", s.Key, s.Kind, KindDefault)
		}
	}
}

func TestDefaultKeys(t *testing.T) {
	var got []string
	for _, s := range Default() {
		got = append(got, s.Key)
	}
	// These services must stay in the catalog; others may be added.
	want := []string{
		"dropbox", "github", "google", "microsoft", "salesforce", "slack",
		"zoho_analytics", "zoho_bigin", "zoho_books", "zoho_campaigns", "zoho_cliq",
		"zoho_contacts", "zoho_creator", "zoho_crm", "zoho_desk", "zoho_expense",
		"zoho_inventory", "zoho_invoice", "zoho_iot", "zoho_mail", "zoho_people",
		"zoho_projects", "zoho_salesiq", "zoho_sign", "zoho_workdrive",
	}
	for _, key := range want {
		if !slices.Contains(got, key) {
			t.Errorf("Default() lacks service %q", key)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("Default() keys are not sorted: %v", got)
	}
}

// TestProviderSettings pins the settings that differ between providers and
// break connections when lost in an edit.
func TestProviderSettings(t *testing.T) {
	tests := []struct {
		key        string
		separator  string
		authMethod string
		pkce       bool
		params     map[string]string
		revocation bool
	}{
		{"github", " ", ClientSecretPost, true, nil, false},
		{"github_app", " ", ClientSecretPost, true, nil, false},
		{"box", " ", ClientSecretPost, false, nil, true},
		{"discord", " ", ClientSecretBasic, false, nil, true},
		{"gitlab", " ", ClientSecretPost, true, nil, true},
		{"linkedin", " ", ClientSecretPost, false, nil, false},
		{"stripe", " ", ClientSecretPost, false, nil, false},
		{"xero", " ", ClientSecretPost, false, nil, true},
		{"twitter", " ", ClientSecretBasic, true, nil, true},
		{"canva", " ", ClientSecretBasic, true, nil, false},
		{"asana", " ", ClientSecretPost, true, nil, true},
		{"linear", ",", ClientSecretPost, true, nil, false},
		{"reddit", " ", ClientSecretBasic, false, map[string]string{"duration": "permanent"}, true},
		{"google", " ", ClientSecretPost, true, map[string]string{"access_type": "offline", "prompt": "consent"}, true},
		{"microsoft", " ", ClientSecretPost, true, nil, false},
		{"slack", ",", ClientSecretBasic, false, nil, false},
		{"dropbox", " ", ClientSecretBasic, true, map[string]string{"token_access_type": "offline"}, false},
		{"salesforce", " ", ClientSecretPost, true, nil, true},
		{"zoho_crm", ",", ClientSecretPost, false, map[string]string{"access_type": "offline", "prompt": "consent"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			s, ok := Lookup(tt.key)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", tt.key)
			}
			if s.AuthType != AuthOAuth2 || s.OAuth2 == nil {
				t.Fatalf("auth type = %q with oauth2 %v, want oauth2 with settings", s.AuthType, s.OAuth2)
			}
			o := s.OAuth2
			if o.ScopeSeparator != tt.separator {
				t.Errorf("scope_separator = %q, want %q", o.ScopeSeparator, tt.separator)
			}
			if o.TokenAuthMethod != tt.authMethod {
				t.Errorf("token_auth_method = %q, want %q", o.TokenAuthMethod, tt.authMethod)
			}
			if o.PKCEEnabled() != tt.pkce {
				t.Errorf("PKCEEnabled() = %v, want %v", o.PKCEEnabled(), tt.pkce)
			}
			if len(o.AuthorizationParams) != 0 || len(tt.params) != 0 {
				if !reflect.DeepEqual(o.AuthorizationParams, tt.params) {
					t.Errorf("authorization_params = %v, want %v", o.AuthorizationParams, tt.params)
				}
			}
			if got := o.RevocationURL != ""; got != tt.revocation {
				t.Errorf("revocation_url = %q, want set: %v", o.RevocationURL, tt.revocation)
			}
		})
	}

	ms, _ := Lookup("microsoft")
	if !ms.HasScope("offline_access") {
		t.Error("microsoft does not declare offline_access, which its refresh tokens need")
	}
}

func TestLookupReturnsCopy(t *testing.T) {
	first, ok := Lookup("google")
	if !ok {
		t.Fatal(`Lookup("google") found nothing`)
	}
	want := first.Clone()

	first.Name = "changed"
	first.Scopes[0].Name = "changed"
	first.AllowedHosts[0] = "changed.example"
	first.OAuth2.TokenURL = "https://changed.example/token"
	first.OAuth2.AuthorizationParams["prompt"] = "none"
	*first.OAuth2.PKCE = false

	second, _ := Lookup("google")
	if !reflect.DeepEqual(second, want) {
		t.Errorf("catalog changed through a looked-up copy:\n got %+v\nwant %+v", second, want)
	}
}

func TestDefaultReturnsCopy(t *testing.T) {
	first := Default()
	want := Default()

	first[0].Scopes[0].Name = "changed"
	first[0].OAuth2.ScopeSeparator = ";"

	if second := Default(); !reflect.DeepEqual(second, want) {
		t.Error("catalog changed through a copy returned by Default")
	}
}

func TestLookupUnknownKey(t *testing.T) {
	if s, ok := Lookup("no_such_service"); ok {
		t.Errorf("Lookup(unknown) = %+v, true; want false", s)
	}
}

const validFile = `{
  "key": "acme",
  "name": "Acme",
  "auth_type": "api_key",
  "api_key": {"params": [{"name": "X-API-Key", "in": "header"}]},
  "scopes": [],
  "api_base_url": "https://api.acme.example"
}`

func TestLoadFSRejectsBadFiles(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		contents string
		want     string
	}{
		{
			name:     "unknown field",
			file:     "acme.json",
			contents: strings.Replace(validFile, `"name": "Acme",`, `"name": "Acme", "token_url": "https://x.example",`, 1),
			want:     `unknown field "token_url"`,
		},
		{
			name:     "file name differs from key",
			file:     "acme_corp.json",
			contents: validFile,
			want:     `rename the file to acme.json`,
		},
		{
			name:     "invalid service",
			file:     "acme.json",
			contents: strings.Replace(validFile, `"in": "header"`, `"in": "body"`, 1),
			want:     `api_key.params[0].in: "body" is not supported`,
		},
		{
			name:     "kind set",
			file:     "acme.json",
			contents: strings.Replace(validFile, `"name": "Acme",`, `"name": "Acme", "kind": "custom",`, 1),
			want:     `kind is "custom"`,
		},
		{
			name:     "second object",
			file:     "acme.json",
			contents: validFile + validFile,
			want:     "keep exactly one service per file",
		},
		{
			name:     "broken JSON",
			file:     "acme.json",
			contents: `{"key": "acme",`,
			want:     "decoding JSON",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"services/" + tt.file: {Data: []byte(tt.contents)}}
			_, err := loadFS(fsys, "services")
			if err == nil {
				t.Fatal("loadFS() error = nil, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("loadFS() error = %q, want it to contain %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.file) {
				t.Errorf("loadFS() error = %q, want it to name the file %s", err, tt.file)
			}
		})
	}
}

func TestLoadFSReportsEveryBadFile(t *testing.T) {
	fsys := fstest.MapFS{
		"services/acme.json":  {Data: []byte(strings.Replace(validFile, `"name": "Acme",`, `"name": "",`, 1))},
		"services/other.json": {Data: []byte(validFile)},
	}
	_, err := loadFS(fsys, "services")
	if err == nil {
		t.Fatal("loadFS() error = nil, want an error")
	}
	for _, want := range []string{"acme.json", "name: is missing", "other.json", "rename the file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("loadFS() error = %q, want it to contain %q", err, want)
		}
	}
}

func TestLoadFSEmptyFolder(t *testing.T) {
	_, err := loadFS(fstest.MapFS{}, "services")
	if err == nil || !strings.Contains(err.Error(), "no service files") {
		t.Errorf("loadFS(empty) error = %v, want one saying there are no service files", err)
	}
}

func TestLoadFSSortsAndMarksDefault(t *testing.T) {
	other := strings.Replace(validFile, `"key": "acme"`, `"key": "zeta"`, 1)
	fsys := fstest.MapFS{
		"services/zeta.json": {Data: []byte(other)},
		"services/acme.json": {Data: []byte(validFile)},
	}
	c, err := loadFS(fsys, "services")
	if err != nil {
		t.Fatalf("loadFS() error = %v", err)
	}
	services := c.Services()
	if len(services) != 2 || services[0].Key != "acme" || services[1].Key != "zeta" {
		t.Fatalf("Services() = %+v, want acme then zeta", services)
	}
	if services[0].Kind != KindDefault {
		t.Errorf("kind = %q, want %q", services[0].Kind, KindDefault)
	}
	if _, ok := c.Lookup("zeta"); !ok {
		t.Error(`Lookup("zeta") found nothing`)
	}
}
