package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
)

// serviceBody is a service as the API returns it.
type serviceBody struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Kind        string `json:"kind"`
	AuthType    string `json:"auth_type"`
	OAuth2      *struct {
		TokenURL      string `json:"token_url"`
		RevocationURL string `json:"revocation_url"`
	} `json:"oauth2"`
	APIKey *struct {
		Params []struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"params"`
	} `json:"api_key"`
	Scopes []struct {
		Name string `json:"name"`
	} `json:"scopes"`
	APIBaseURL   string   `json:"api_base_url"`
	AllowedHosts []string `json:"allowed_hosts"`
}

// serviceList is a page of GET /v1/services.
type serviceList struct {
	Items []serviceBody `json:"items"`
}

func keysOf(items []serviceBody) []string {
	keys := make([]string, len(items))
	for i, svc := range items {
		keys[i] = svc.Key
	}
	return keys
}

func TestServicesCreateEachAuthType(t *testing.T) {
	s := newStack(t)
	tests := []struct {
		name string
		def  map[string]any
	}{
		{name: "oauth2", def: oauthService("acme_devices")},
		{name: "api_key", def: apiKeyService("acme_keys", "https://api.acme.example/v1", "X-API-Key", "header")},
		{name: "basic", def: basicService("acme_basic", "https://api.acme.example")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.admin("POST", "/v1/services", tt.def)
			wantStatus(t, resp, http.StatusCreated)
			created := decode[serviceBody](t, resp)
			if created.Key != tt.def["key"] || created.AuthType != tt.name || created.Kind != "custom" {
				t.Errorf("created = key %q, auth_type %q, kind %q; want %q, %q, custom",
					created.Key, created.AuthType, created.Kind, tt.def["key"], tt.name)
			}

			resp = s.admin("GET", "/v1/services/"+created.Key, nil)
			wantStatus(t, resp, http.StatusOK)
			got := decode[serviceBody](t, resp)
			if got.Key != created.Key || got.AuthType != tt.name || got.Kind != "custom" || got.APIBaseURL != tt.def["api_base_url"] {
				t.Errorf("GET = %+v, want the created %s service", got, tt.name)
			}
		})
	}
}

func TestServicesGetDefault(t *testing.T) {
	s := newStack(t)

	resp := s.admin("GET", "/v1/services/github", nil)

	wantStatus(t, resp, http.StatusOK)
	got := decode[serviceBody](t, resp)
	if got.Key != "github" || got.Kind != "default" || got.AuthType != "oauth2" {
		t.Errorf("github = key %q, kind %q, auth_type %q; want github, default, oauth2", got.Key, got.Kind, got.AuthType)
	}
	if len(got.Scopes) == 0 {
		t.Error("github has no scopes, want the catalog's scopes")
	}
}

func TestServicesOmitNotes(t *testing.T) {
	s := newStack(t)
	// The catalog's asana service carries maintainers' notes.
	if svc, ok := catalog.Lookup("asana"); !ok || svc.Notes == "" {
		t.Fatal("catalog service asana has no notes; pick a default service that has them")
	}

	one := decode[map[string]any](t, s.admin("GET", "/v1/services/asana", nil))
	if _, ok := one["notes"]; ok {
		t.Error("GET /v1/services/asana has a notes member, want it left out")
	}
	if one["description"] == "" {
		t.Error("GET /v1/services/asana has an empty description")
	}

	page := decode[struct {
		Items []map[string]any `json:"items"`
	}](t, s.admin("GET", "/v1/services?q=asana", nil))
	if len(page.Items) == 0 {
		t.Fatal("GET /v1/services?q=asana returned no items")
	}
	for _, item := range page.Items {
		if _, ok := item["notes"]; ok {
			t.Errorf("listed service %v has a notes member, want it left out", item["key"])
		}
	}
}

func TestServicesRejectNotes(t *testing.T) {
	s := newStack(t)
	def := apiKeyService("acme_notes", "https://api.acme.example", "X-API-Key", "header")
	def["notes"] = "Copied from a default service."

	resp := s.admin("POST", "/v1/services", def)

	wantStatus(t, resp, http.StatusUnprocessableEntity)
	if !strings.Contains(string(resp.body), "notes") {
		t.Errorf("problem = %s, want it to name the notes field", resp.body)
	}
}

func TestServicesDefaultReadOnly(t *testing.T) {
	s := newStack(t)
	tests := []struct {
		method string
		body   any
	}{
		{method: "PATCH", body: map[string]any{"name": "Not GitHub"}},
		{method: "DELETE"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			wantProblem(t, s.admin(tt.method, "/v1/services/github", tt.body), http.StatusForbidden, "service_read_only")
		})
	}

	got := decode[serviceBody](t, s.admin("GET", "/v1/services/github", nil))
	if got.Name != "GitHub" {
		t.Errorf("github name = %q after the rejected PATCH, want GitHub", got.Name)
	}
}

func TestServicesListFilters(t *testing.T) {
	s := newStack(t)
	s.createService(apiKeyService("acme_keys", "https://api.acme.example", "X-API-Key", "header"))
	s.createService(basicService("zeta_basic", "https://api.zeta.example"))

	all := decode[serviceList](t, s.admin("GET", "/v1/services?limit=200", nil)).Items
	for _, want := range []string{"github", "acme_keys", "zeta_basic"} {
		if !slices.Contains(keysOf(all), want) {
			t.Errorf("unfiltered list %v lacks %q", keysOf(all), want)
		}
	}
	if !slices.IsSorted(keysOf(all)) {
		t.Errorf("list keys %v are not in key order", keysOf(all))
	}

	tests := []struct {
		name  string
		query string
		// want lists keys that must be present, and notWant keys that
		// must not be.
		want    []string
		notWant []string
		// kind, when set, is the kind every item must have.
		kind string
	}{
		{name: "kind default", query: "kind=default", want: []string{"github", "slack"}, notWant: []string{"acme_keys", "zeta_basic"}, kind: "default"},
		{name: "kind custom", query: "kind=custom", want: []string{"acme_keys", "zeta_basic"}, notWant: []string{"github"}, kind: "custom"},
		{name: "q matches name", query: "q=GitHub", want: []string{"github"}, notWant: []string{"slack", "acme_keys"}},
		{name: "q matches custom", query: "q=acme", want: []string{"acme_keys"}, notWant: []string{"github", "zeta_basic"}},
		{name: "q and kind", query: "q=acme&kind=default", notWant: []string{"acme_keys"}, kind: "default"},
		{name: "q matches nothing", query: "q=no-such-service-anywhere", notWant: []string{"github", "acme_keys"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var items []serviceBody
			for _, p := range s.listAll(adminToken, "/v1/services?"+tt.query, 200) {
				for _, item := range p.Items {
					items = append(items, serviceBody{Key: item["key"].(string), Kind: item["kind"].(string)})
				}
			}
			keys := keysOf(items)
			for _, k := range tt.want {
				if !slices.Contains(keys, k) {
					t.Errorf("keys %v lack %q", keys, k)
				}
			}
			for _, k := range tt.notWant {
				if slices.Contains(keys, k) {
					t.Errorf("keys %v contain %q", keys, k)
				}
			}
			for _, svc := range items {
				if tt.kind != "" && svc.Kind != tt.kind {
					t.Errorf("service %q has kind %q, want %q", svc.Key, svc.Kind, tt.kind)
				}
			}
		})
	}
}

func TestServicesListPagination(t *testing.T) {
	s := newStack(t)
	for _, key := range []string{"acme_a", "acme_b", "acme_c"} {
		s.createService(basicService(key, "https://api.acme.example"))
	}
	var all []string
	for _, p := range s.listAll(adminToken, "/v1/services", 200) {
		for _, item := range p.Items {
			key, _ := item["key"].(string)
			all = append(all, key)
		}
	}

	for _, limit := range []int{1, 2, len(all), len(all) + 1} {
		pages := s.listAll(adminToken, "/v1/services", limit)

		var got []string
		for i, p := range pages {
			last := i == len(pages)-1
			if !last && len(p.Items) != limit {
				t.Errorf("limit %d: page %d has %d items, want %d", limit, i, len(p.Items), limit)
			}
			if last && p.HasCursor {
				t.Errorf("limit %d: last page has next_cursor %q", limit, p.NextCursor)
			}
			for _, item := range p.Items {
				got = append(got, item["key"].(string))
			}
		}
		if !slices.Equal(got, all) {
			t.Errorf("limit %d: paged keys = %v, want %v", limit, got, all)
		}
	}

	// Pagination composes with the filters.
	var custom []string
	for _, p := range s.listAll(adminToken, "/v1/services?kind=custom", 2) {
		for _, item := range p.Items {
			custom = append(custom, item["key"].(string))
		}
	}
	if want := []string{"acme_a", "acme_b", "acme_c"}; !slices.Equal(custom, want) {
		t.Errorf("paged custom keys = %v, want %v", custom, want)
	}
}

func TestServicesCreateInvalid(t *testing.T) {
	s := newStack(t)

	resp := s.admin("POST", "/v1/services", map[string]any{
		"key": "Bad Key", "name": "", "auth_type": "api_key", "api_base_url": "http://api.acme.example",
	})

	p := wantProblem(t, resp, http.StatusUnprocessableEntity, "invalid_service")
	var fields []string
	for _, e := range p.Errors {
		fields = append(fields, e.Field)
		if e.Message == "" {
			t.Errorf("error for field %q has no message", e.Field)
		}
	}
	for _, want := range []string{"key", "name", "api_key", "api_base_url"} {
		if !slices.Contains(fields, want) {
			t.Errorf("errors name fields %v, want %q among them", fields, want)
		}
	}
}

func TestServicesCreateConflicts(t *testing.T) {
	s := newStack(t)
	s.createService(basicService("acme_basic", "https://api.acme.example"))

	tests := []struct {
		name string
		key  string
	}{
		{name: "duplicate custom key", key: "acme_basic"},
		{name: "default service key", key: "github"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.admin("POST", "/v1/services", basicService(tt.key, "https://api.other.example"))
			p := wantProblem(t, resp, http.StatusConflict, "service_exists")
			if !strings.Contains(p.Detail, tt.key) {
				t.Errorf("detail = %q, want it to name %q", p.Detail, tt.key)
			}
		})
	}
}

func TestServicesMergePatch(t *testing.T) {
	s := newStack(t)
	def := apiKeyService("acme_keys", "https://api.acme.example/v1", "X-API-Key", "header")
	def["description"] = "Acme's device API"
	def["allowed_hosts"] = []string{"files.acme.example"}
	s.createService(def)

	resp := s.admin("PATCH", "/v1/services/acme_keys", map[string]any{
		"name":        "Acme Keys Renamed",
		"description": nil,
	})

	wantStatus(t, resp, http.StatusOK)
	for _, got := range []serviceBody{
		decode[serviceBody](t, resp),
		decode[serviceBody](t, s.admin("GET", "/v1/services/acme_keys", nil)),
	} {
		if got.Name != "Acme Keys Renamed" {
			t.Errorf("name = %q, want the patched name", got.Name)
		}
		if got.Description != "" {
			t.Errorf("description = %q, want it removed by null", got.Description)
		}
		if got.AuthType != "api_key" || got.APIBaseURL != "https://api.acme.example/v1" {
			t.Errorf("auth_type %q, api_base_url %q changed; want api_key and the original URL", got.AuthType, got.APIBaseURL)
		}
		if got.APIKey == nil || len(got.APIKey.Params) != 1 || got.APIKey.Params[0].Name != "X-API-Key" {
			t.Errorf("api_key = %+v, want the original X-API-Key parameter", got.APIKey)
		}
		if !slices.Equal(got.AllowedHosts, []string{"files.acme.example"}) {
			t.Errorf("allowed_hosts = %v, want the original", got.AllowedHosts)
		}
		if len(got.Scopes) != 2 {
			t.Errorf("scopes = %v, want the original two", got.Scopes)
		}
	}
}

func TestServicesMergePatchNestedNull(t *testing.T) {
	s := newStack(t)
	def := oauthService("acme_devices")
	def["oauth2"].(map[string]any)["revocation_url"] = "https://auth.acme.example/revoke"
	def["allowed_hosts"] = []string{"files.acme.example"}
	s.createService(def)

	resp := s.admin("PATCH", "/v1/services/acme_devices", map[string]any{
		"oauth2":        map[string]any{"revocation_url": nil},
		"allowed_hosts": nil,
	})

	wantStatus(t, resp, http.StatusOK)
	got := decode[serviceBody](t, s.admin("GET", "/v1/services/acme_devices", nil))
	if got.OAuth2 == nil {
		t.Fatal("oauth2 is missing after the patch, want only revocation_url removed")
	}
	if got.OAuth2.RevocationURL != "" {
		t.Errorf("oauth2.revocation_url = %q, want it removed by null", got.OAuth2.RevocationURL)
	}
	if got.OAuth2.TokenURL != "https://auth.acme.example/token" {
		t.Errorf("oauth2.token_url = %q, want it kept", got.OAuth2.TokenURL)
	}
	if len(got.AllowedHosts) != 0 {
		t.Errorf("allowed_hosts = %v, want them removed by null", got.AllowedHosts)
	}
}

func TestServicesPatchRejects(t *testing.T) {
	s := newStack(t)
	s.createService(basicService("acme_basic", "https://api.acme.example"))

	tests := []struct {
		name   string
		path   string
		body   any
		status int
		code   string
	}{
		{name: "key change", path: "/v1/services/acme_basic", body: map[string]any{"key": "other"}, status: http.StatusUnprocessableEntity, code: "immutable_field"},
		{name: "invalid result", path: "/v1/services/acme_basic", body: map[string]any{"api_base_url": "ftp://api.acme.example"}, status: http.StatusUnprocessableEntity, code: "invalid_service"},
		{name: "unknown field", path: "/v1/services/acme_basic", body: map[string]any{"colour": "red"}, status: http.StatusBadRequest, code: "unknown_field"},
		{name: "malformed json", path: "/v1/services/acme_basic", body: `{"name":`, status: http.StatusBadRequest, code: "invalid_json"},
		{name: "unknown service", path: "/v1/services/nothing_here", body: map[string]any{"name": "x"}, status: http.StatusNotFound, code: "service_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, s.admin("PATCH", tt.path, tt.body), tt.status, tt.code)
		})
	}

	got := decode[serviceBody](t, s.admin("GET", "/v1/services/acme_basic", nil))
	if got.APIBaseURL != "https://api.acme.example" || got.Name != "Basic service acme_basic" {
		t.Errorf("service after rejected patches = %+v, want it unchanged", got)
	}
}

func TestServicesDelete(t *testing.T) {
	s := newStack(t)
	s.createService(basicService("acme_used", "https://api.acme.example"))
	s.createService(basicService("acme_unused", "https://api.acme.example"))
	s.createConnection(adminToken, map[string]any{"name": "Acme", "service": "acme_used"})

	inUse := s.admin("DELETE", "/v1/services/acme_used", nil)
	p := wantProblem(t, inUse, http.StatusConflict, "service_in_use")
	if !strings.Contains(p.Detail, `connection "acme"`) {
		t.Errorf("service_in_use detail = %q, want it to name connection \"acme\"", p.Detail)
	}
	var extra struct {
		Connections []string `json:"connections"`
	}
	if err := json.Unmarshal(inUse.body, &extra); err != nil {
		t.Fatalf("decoding the problem: %v", err)
	}
	if len(extra.Connections) != 1 || extra.Connections[0] != "acme" {
		t.Errorf("service_in_use connections = %v, want [acme]", extra.Connections)
	}
	wantStatus(t, s.admin("GET", "/v1/services/acme_used", nil), http.StatusOK)

	resp := s.admin("DELETE", "/v1/services/acme_unused", nil)
	wantStatus(t, resp, http.StatusNoContent)
	if len(resp.body) != 0 {
		t.Errorf("204 body = %q, want empty", resp.body)
	}
	wantProblem(t, s.admin("GET", "/v1/services/acme_unused", nil), http.StatusNotFound, "service_not_found")
	wantProblem(t, s.admin("DELETE", "/v1/services/acme_unused", nil), http.StatusNotFound, "service_not_found")
}

func TestServicesBasedOnDefault(t *testing.T) {
	s := newStack(t)
	resp := s.admin("POST", "/v1/services", map[string]any{
		"key": "github_plus", "name": "GitHub with packages", "based_on": "github",
		"scopes": []map[string]string{{"name": "write:packages", "description": "Publish packages"}},
	})
	wantStatus(t, resp, http.StatusCreated)
	got := decode[map[string]any](t, resp)
	oauth2, _ := got["oauth2"].(map[string]any)
	if oauth2["token_url"] != "https://github.com/login/oauth/access_token" {
		t.Errorf("token_url = %v, want GitHub's from the base service", oauth2["token_url"])
	}
	if scopes, _ := got["scopes"].([]any); len(scopes) < 2 {
		t.Errorf("scopes = %v, want GitHub's plus write:packages", got["scopes"])
	}
	wantProblem(t, s.admin("POST", "/v1/services", map[string]any{
		"key": "nothing_plus", "name": "Nothing", "based_on": "no_such_service",
	}), http.StatusUnprocessableEntity, "invalid_service")
}
