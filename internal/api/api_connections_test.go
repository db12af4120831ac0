package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestConnectionsLinkNames(t *testing.T) {
	s := newStack(t)
	s.createService(oauthService("acme_devices"))
	app := s.createApplication(map[string]any{"service": "acme_devices", "name": "Production", "client_id": "acme-client"})

	tests := []struct {
		name     string
		body     map[string]any
		wantLink string
	}{
		{name: "first", body: map[string]any{"name": "Acme devices", "service": "acme_devices"}, wantLink: "acme_devices"},
		{name: "clash", body: map[string]any{"name": "Acme devices", "service": "acme_devices"}, wantLink: "acme_devices_2"},
		{name: "punctuation", body: map[string]any{"name": "  Acme -- Devices (EU)! ", "service": "acme_devices"}, wantLink: "acme_devices_eu"},
		{name: "explicit", body: map[string]any{"name": "Acme devices", "link_name": "acme_eu", "service": "acme_devices"}, wantLink: "acme_eu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.createConnection(adminToken, tt.body)
			if got.LinkName != tt.wantLink {
				t.Errorf("link_name = %q, want %q", got.LinkName, tt.wantLink)
			}
			if got.Application != app.ID {
				t.Errorf("application = %q, want the only application %q", got.Application, app.ID)
			}
			if got.Owner != "admin" || got.Status != "not_connected" || got.GrantedScopes == nil || len(got.GrantedScopes) != 0 {
				t.Errorf("owner %q, status %q, granted_scopes %v; want admin, not_connected, []",
					got.Owner, got.Status, got.GrantedScopes)
			}
		})
	}

	rejects := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{name: "explicit taken", body: map[string]any{"name": "Other", "link_name": "acme_devices", "service": "acme_devices"}, status: http.StatusConflict, code: "link_name_taken"},
		{name: "explicit invalid", body: map[string]any{"name": "Other", "link_name": "Acme Devices", "service": "acme_devices"}, status: http.StatusUnprocessableEntity, code: "invalid_link_name"},
		{name: "missing name", body: map[string]any{"service": "acme_devices"}, status: http.StatusUnprocessableEntity, code: "invalid_connection"},
		{name: "unknown service", body: map[string]any{"name": "Other", "service": "nothing_here"}, status: http.StatusNotFound, code: "service_not_found"},
	}
	for _, tt := range rejects {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, s.admin("POST", "/v1/connections", tt.body), tt.status, tt.code)
		})
	}

	// A link name never changes, even when the display name does.
	resp := s.admin("PATCH", "/v1/connections/acme_devices", map[string]any{"name": "Renamed devices"})
	wantStatus(t, resp, http.StatusOK)
	if got := decode[connectionBody](t, resp); got.LinkName != "acme_devices" || got.Name != "Renamed devices" {
		t.Errorf("after rename: link_name %q, name %q; want acme_devices, Renamed devices", got.LinkName, got.Name)
	}
	wantProblem(t, s.admin("PATCH", "/v1/connections/acme_devices", map[string]any{"link_name": "other"}),
		http.StatusUnprocessableEntity, "immutable_field")
}

func TestConnectionsApplicationRule(t *testing.T) {
	s := newStack(t)
	s.createService(oauthService("acme_devices"))
	body := map[string]any{"name": "Acme devices", "service": "acme_devices"}

	// No application at all.
	wantProblem(t, s.admin("POST", "/v1/connections", body), http.StatusUnprocessableEntity, "application_required")

	// Two applications, none default.
	first := s.createApplication(map[string]any{"service": "acme_devices", "name": "First", "client_id": "first"})
	second := s.createApplication(map[string]any{"service": "acme_devices", "name": "Second", "client_id": "second"})
	p := wantProblem(t, s.admin("POST", "/v1/connections", body), http.StatusUnprocessableEntity, "application_required")
	if p.Detail == "" {
		t.Error("application_required has no detail")
	}

	// Naming one works without a default.
	named := s.createConnection(adminToken, map[string]any{"name": "Named", "service": "acme_devices", "application": first.ID})
	if named.Application != first.ID {
		t.Errorf("named connection's application = %q, want %q", named.Application, first.ID)
	}

	// With a default, the default is picked.
	wantStatus(t, s.admin("PATCH", "/v1/applications/"+second.ID, map[string]any{"default": true}), http.StatusOK)
	picked := s.createConnection(adminToken, body)
	if picked.Application != second.ID {
		t.Errorf("application = %q, want the default %q", picked.Application, second.ID)
	}

	// An application of another service is rejected.
	s.createService(oauthService("other_devices"))
	other := s.createApplication(map[string]any{"service": "other_devices", "name": "Other", "client_id": "other"})
	wantProblem(t, s.admin("POST", "/v1/connections", map[string]any{"name": "Wrong", "service": "acme_devices", "application": other.ID}),
		http.StatusUnprocessableEntity, "invalid_application")
}

func TestConnectionsUndeclaredScope(t *testing.T) {
	s := newStack(t)
	s.createService(oauthService("acme_devices"))
	s.createApplication(map[string]any{"service": "acme_devices", "name": "Production", "client_id": "acme-client"})

	resp := s.admin("POST", "/v1/connections", map[string]any{
		"name": "Acme devices", "service": "acme_devices", "scopes": []string{"devices.read", "devices.delete"},
	})

	wantProblem(t, resp, http.StatusUnprocessableEntity, "invalid_scope")
	got := s.createConnection(adminToken, map[string]any{
		"name": "Acme devices", "service": "acme_devices", "scopes": []string{"devices.read"},
	})
	if !slices.Equal(got.Scopes, []string{"devices.read"}) {
		t.Errorf("scopes = %v, want [devices.read]", got.Scopes)
	}
	wantProblem(t, s.admin("PATCH", "/v1/connections/"+got.LinkName, map[string]any{"scopes": []string{"devices.delete"}}),
		http.StatusUnprocessableEntity, "invalid_scope")
}

func TestConnectionsListViews(t *testing.T) {
	s := newStack(t)
	s.createService(basicService("acme_basic", "https://api.acme.example"))
	devToken := s.addUser("dev", "developer")

	s.createConnection(adminToken, map[string]any{"name": "Admin private", "service": "acme_basic"})
	s.createConnection(adminToken, map[string]any{"name": "Admin shared", "service": "acme_basic", "use_login_user_credentials": true})
	s.createConnection(devToken, map[string]any{"name": "Dev private", "service": "acme_basic"})
	s.createConnection(devToken, map[string]any{"name": "Dev shared", "service": "acme_basic", "use_login_user_credentials": true})

	tests := []struct {
		name  string
		token string
		query string
		want  []string
	}{
		{name: "admin mine", token: adminToken, query: "?view=mine", want: []string{"admin_private", "admin_shared"}},
		{name: "admin shared", token: adminToken, query: "?view=shared", want: []string{"dev_shared"}},
		{name: "dev mine", token: devToken, query: "?view=mine", want: []string{"dev_private", "dev_shared"}},
		{name: "dev shared", token: devToken, query: "?view=shared", want: []string{"admin_shared"}},
		{name: "all", token: adminToken, query: "", want: []string{"admin_private", "admin_shared", "dev_private", "dev_shared"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.do("GET", "/v1/connections"+tt.query, tt.token, nil)
			wantStatus(t, resp, http.StatusOK)
			var got []string
			for _, c := range decode[struct {
				Items []connectionBody `json:"items"`
			}](t, resp).Items {
				got = append(got, c.LinkName)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("link names = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConnectionsListPagination(t *testing.T) {
	s := newStack(t)
	s.createService(basicService("acme_basic", "https://api.acme.example"))
	var want []string
	for _, name := range []string{"Conn a", "Conn b", "Conn c", "Conn d", "Conn e"} {
		want = append(want, s.createConnection(adminToken, map[string]any{"name": name, "service": "acme_basic"}).LinkName)
	}
	devToken := s.addUser("dev", "developer")
	s.createConnection(devToken, map[string]any{"name": "Dev other", "service": "acme_basic"})

	for _, limit := range []int{1, 2, 4, 5, 6} {
		pages := s.listAll(adminToken, "/v1/connections?view=mine", limit)

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
				link := item["link_name"].(string)
				if slices.Contains(got, link) {
					t.Errorf("limit %d: %q listed twice", limit, link)
				}
				got = append(got, link)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: paged link names = %v, want %v", limit, got, want)
		}
	}
}

func TestConnectionsUpdateWhileConnected(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	s.createService(apiKeyService("acme_keys", up.server.URL, "X-API-Key", "header"))
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme keys", "service": "acme_keys", "scopes": []string{"read"}})
	path := "/v1/connections/" + conn.LinkName

	// Before connecting, scopes may change.
	resp := s.admin("PATCH", path, map[string]any{"scopes": []string{"read", "write"}})
	wantStatus(t, resp, http.StatusOK)
	if got := decode[connectionBody](t, resp).Scopes; !slices.Equal(got, []string{"read", "write"}) {
		t.Errorf("scopes = %v, want [read write]", got)
	}

	s.connectWithSecrets(conn.LinkName, map[string]string{"X-API-Key": "key-7c1e9f0a2b"})
	if got := decode[connectionBody](t, s.admin("GET", path, nil)).Status; got != "connected" {
		t.Fatalf("status after connect = %q, want connected", got)
	}

	resp = s.admin("PATCH", path, map[string]any{"name": "Acme keys renamed", "description": "Production key"})
	wantStatus(t, resp, http.StatusOK)
	renamed := decode[connectionBody](t, resp)
	if renamed.Name != "Acme keys renamed" || renamed.Description != "Production key" || renamed.Status != "connected" {
		t.Errorf("after rename: name %q, description %q, status %q", renamed.Name, renamed.Description, renamed.Status)
	}

	guarded := []struct {
		name string
		body map[string]any
	}{
		{name: "scopes", body: map[string]any{"scopes": []string{"read"}}},
		{name: "login user flag", body: map[string]any{"use_login_user_credentials": true}},
	}
	for _, tt := range guarded {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, s.admin("PATCH", path, tt.body), http.StatusConflict, "connection_connected")
		})
	}
	got := decode[connectionBody](t, s.admin("GET", path, nil))
	if !slices.Equal(got.Scopes, []string{"read", "write"}) || got.UseLoginUserCredentials {
		t.Errorf("after rejected patches: scopes %v, use_login_user_credentials %v; want them unchanged",
			got.Scopes, got.UseLoginUserCredentials)
	}

	// After revoking, scopes may change again.
	wantStatus(t, s.admin("POST", path+"/revoke", nil), http.StatusOK)
	wantStatus(t, s.admin("PATCH", path, map[string]any{"scopes": []string{"read"}}), http.StatusOK)
}

func TestConnectionsDelete(t *testing.T) {
	s := newStack(t)
	s.createService(basicService("acme_basic", "https://api.acme.example"))
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme", "service": "acme_basic"})
	s.connectWithSecrets(conn.LinkName, map[string]string{"username": "acme-user", "password": "pw-3d5e7f9a"})

	resp := s.admin("DELETE", "/v1/connections/"+conn.LinkName, nil)

	wantStatus(t, resp, http.StatusNoContent)
	if len(resp.body) != 0 {
		t.Errorf("204 body = %q, want empty", resp.body)
	}
	wantProblem(t, s.admin("GET", "/v1/connections/"+conn.LinkName, nil), http.StatusNotFound, "connection_not_found")
	wantProblem(t, s.admin("DELETE", "/v1/connections/"+conn.LinkName, nil), http.StatusNotFound, "connection_not_found")

	// The link name is free again.
	if got := s.createConnection(adminToken, map[string]any{"name": "Acme", "service": "acme_basic"}); got.LinkName != conn.LinkName {
		t.Errorf("link_name after delete = %q, want %q reused", got.LinkName, conn.LinkName)
	}
}

func TestConnectionsRejectBadText(t *testing.T) {
	s := newStack(t)
	s.createService(apiKeyService("acme_keys", "https://api.acme.example", "X-API-Key", "header"))
	for name, body := range map[string]map[string]any{
		"long name":             {"name": strings.Repeat("n", 201), "service": "acme_keys"},
		"control in name":       {"name": "Acme\x00devices", "service": "acme_keys"},
		"long description":      {"name": "Acme", "description": strings.Repeat("d", 2001), "service": "acme_keys"},
		"escape in description": {"name": "Acme", "description": "ok\x1b[31m", "service": "acme_keys"},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, s.admin("POST", "/v1/connections", body), http.StatusUnprocessableEntity, "invalid_connection")
		})
	}
	wantStatus(t, s.admin("POST", "/v1/connections", map[string]any{
		"name": strings.Repeat("n", 200), "description": "line one\nline two\tindented", "service": "acme_keys",
	}), http.StatusCreated)
}
