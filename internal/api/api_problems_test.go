package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestProblemDetails(t *testing.T) {
	s := newStack(t)
	unknownToken := "pb_" + s.orgID + "_0123456789abcdef_" + strings.Repeat("a", 64)

	tests := []struct {
		name   string
		method string
		path   string
		token  string
		header http.Header
		body   any
		status int
		code   string
		// detailHas is a phrase the detail must contain.
		detailHas string
		// wwwAuthenticate is the WWW-Authenticate header expected on a 401.
		wwwAuthenticate string
	}{
		{
			name: "no token", method: "GET", path: "/v1/services",
			status: http.StatusUnauthorized, code: "unauthenticated",
			wwwAuthenticate: `Bearer realm="plugboard"`,
		},
		{
			name: "basic scheme", method: "GET", path: "/v1/services",
			header: http.Header{"Authorization": {"Basic YWRtaW46cGFzcw=="}},
			status: http.StatusUnauthorized, code: "unauthenticated",
			wwwAuthenticate: `Bearer realm="plugboard"`,
		},
		{
			name: "unknown pb token", method: "GET", path: "/v1/services", token: unknownToken,
			status: http.StatusUnauthorized, code: "invalid_token",
			wwwAuthenticate: `Bearer realm="plugboard", error="invalid_token"`,
		},
		{
			name: "wrong admin token", method: "GET", path: "/v1/services", token: adminToken + "x",
			status: http.StatusUnauthorized, code: "invalid_token",
			wwwAuthenticate: `Bearer realm="plugboard", error="invalid_token"`,
		},
		{
			name: "malformed json", method: "POST", path: "/v1/services", token: adminToken,
			body: `{"key": "acme",`, status: http.StatusBadRequest, code: "invalid_json",
		},
		{
			name: "empty body", method: "POST", path: "/v1/connections", token: adminToken,
			body: "", status: http.StatusBadRequest, code: "invalid_json",
		},
		{
			name: "data after value", method: "POST", path: "/v1/connections", token: adminToken,
			body: `{"name": "a"} {}`, status: http.StatusBadRequest, code: "invalid_json",
		},
		{
			name: "wrong field type", method: "POST", path: "/v1/connections", token: adminToken,
			body: `{"name": 5}`, status: http.StatusBadRequest, code: "invalid_json", detailHas: "name",
		},
		{
			name: "unknown field", method: "POST", path: "/v1/connections", token: adminToken,
			body: `{"name": "a", "servcie": "github"}`, status: http.StatusBadRequest, code: "unknown_field",
			detailHas: "servcie",
		},
		{
			name: "unknown field in service", method: "POST", path: "/v1/services", token: adminToken,
			body: `{"key": "acme", "base_url": "https://api.acme.example"}`, status: http.StatusBadRequest,
			code: "unknown_field", detailHas: "base_url",
		},
		{
			name: "unknown route", method: "GET", path: "/v1/nothing", token: adminToken,
			status: http.StatusNotFound, code: "route_not_found",
		},
		{
			name: "unknown route without token", method: "GET", path: "/nothing",
			status: http.StatusNotFound, code: "route_not_found",
		},
		{
			name: "wrong method", method: "PUT", path: "/v1/services", token: adminToken,
			status: http.StatusMethodNotAllowed, code: "method_not_allowed", detailHas: "GET, POST",
		},
		{
			name: "invalid limit", method: "GET", path: "/v1/services?limit=0", token: adminToken,
			status: http.StatusBadRequest, code: "invalid_limit",
		},
		{
			name: "invalid cursor", method: "GET", path: "/v1/connections?cursor=%21%21", token: adminToken,
			status: http.StatusBadRequest, code: "invalid_cursor",
		},
		{
			name: "invalid kind", method: "GET", path: "/v1/services?kind=other", token: adminToken,
			status: http.StatusBadRequest, code: "invalid_kind",
		},
		{
			name: "invalid view", method: "GET", path: "/v1/connections?view=all", token: adminToken,
			status: http.StatusBadRequest, code: "invalid_view",
		},
		{
			name: "unknown service", method: "GET", path: "/v1/services/nothing_here", token: adminToken,
			status: http.StatusNotFound, code: "service_not_found",
		},
		{
			name: "unknown connection", method: "GET", path: "/v1/connections/nothing_here", token: adminToken,
			status: http.StatusNotFound, code: "connection_not_found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.doWith(tt.method, tt.path, tt.token, tt.body, tt.header)
			p := wantProblem(t, resp, tt.status, tt.code)
			if tt.detailHas != "" && !strings.Contains(p.Detail, tt.detailHas) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tt.detailHas)
			}
			if got := resp.header.Get("WWW-Authenticate"); got != tt.wwwAuthenticate {
				t.Errorf("WWW-Authenticate = %q, want %q", got, tt.wwwAuthenticate)
			}
		})
	}
}

func TestInternalErrorHidesCause(t *testing.T) {
	s := newStack(t)
	// A closed database makes authentication fail with a plain error,
	// which must become a generic 500.
	if err := s.store.Close(); err != nil {
		t.Fatalf("closing store: %v", err)
	}

	resp := s.admin("GET", "/v1/services", nil)

	p := wantProblem(t, resp, http.StatusInternalServerError, "internal_error")
	for _, internal := range []string{"sql", "database", "closed", "org"} {
		if strings.Contains(strings.ToLower(string(resp.body)), internal) {
			t.Errorf("500 body contains %q: %s", internal, resp.body)
		}
	}
	if !strings.Contains(p.Detail, "server log") {
		t.Errorf("detail = %q, want it to point to the server log", p.Detail)
	}
	if logs := s.logs.String(); !strings.Contains(logs, "database is closed") {
		t.Errorf("server log lacks the cause of the 500; log:\n%s", logs)
	}
}

func TestJSONErrorsNameJSONTypes(t *testing.T) {
	s := newStack(t)
	p := wantProblem(t, s.admin("POST", "/v1/connections", `["not", "an", "object"]`), http.StatusBadRequest, "invalid_json")
	if !strings.Contains(p.Detail, "must be a JSON object") || strings.Contains(p.Detail, "api.") {
		t.Errorf("array body: detail = %q, want one saying the body must be a JSON object, without Go type names", p.Detail)
	}
	p = wantProblem(t, s.admin("POST", "/v1/connections", `{"name": 7}`), http.StatusBadRequest, "invalid_json")
	if !strings.Contains(p.Detail, `"name" must be a JSON string`) {
		t.Errorf("number name: detail = %q, want one saying name must be a JSON string", p.Detail)
	}
}

func TestCallbackWithTrailingSlash(t *testing.T) {
	s := newStack(t)
	for _, path := range []string{"/oauth/callback?state=x.y&code=c", "/oauth/callback/?state=x.y&code=c"} {
		resp := s.doWith("GET", path, "", nil, http.Header{"Accept": {"application/json"}})
		wantProblem(t, resp, http.StatusBadRequest, "invalid_state")
	}
}

func TestCallbackPageHeaders(t *testing.T) {
	s := newStack(t)
	resp := s.doWith("GET", "/oauth/callback?state="+url.QueryEscape("<script>alert(1)</script>.y")+"&code=c", "", nil, http.Header{"Accept": {"text/html"}})
	if resp.status != http.StatusBadRequest || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/html") {
		t.Fatalf("callback with an unknown state: status %d, Content-Type %q, want 400 and an HTML page", resp.status, resp.header.Get("Content-Type"))
	}
	if strings.Contains(string(resp.body), "<script>") {
		t.Errorf("callback page shows the state unescaped:\n%s", resp.body)
	}
	csp := resp.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'", "form-action 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("callback page: Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	for name, want := range map[string]string{
		"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
	} {
		if got := resp.header.Get(name); got != want {
			t.Errorf("callback page: %s = %q, want %q", name, got, want)
		}
	}
}

func TestCallbackPageEscapesProviderError(t *testing.T) {
	s := newStack(t)
	s.createService(oauthService("acme_devices"))
	s.createApplication(map[string]any{"service": "acme_devices", "name": "Production", "client_id": "acme-client"})
	conn := s.createConnection(adminToken, map[string]any{"name": "Devices", "service": "acme_devices"})
	resp := s.admin("POST", "/v1/connections/"+conn.LinkName+"/connect", map[string]any{})
	wantStatus(t, resp, http.StatusOK)
	authURL, err := url.Parse(decode[map[string]string](t, resp)["authorization_url"])
	if err != nil {
		t.Fatal(err)
	}

	const injected = `<script>alert(1)</script><img src=x onerror=alert(1)>`
	callback := s.doWith("GET", "/oauth/callback?state="+url.QueryEscape(authURL.Query().Get("state"))+
		"&error="+url.QueryEscape("server_error"+injected)+"&error_description="+url.QueryEscape(injected), "", nil, nil)
	if callback.status < 400 || !strings.HasPrefix(callback.header.Get("Content-Type"), "text/html") {
		t.Fatalf("callback with a provider error: status %d, Content-Type %q, want an HTML error page", callback.status, callback.header.Get("Content-Type"))
	}
	for _, raw := range []string{"<script>", "<img"} {
		if strings.Contains(string(callback.body), raw) {
			t.Errorf("callback page shows the provider's error with %s unescaped:\n%s", raw, callback.body)
		}
	}
	if !strings.Contains(callback.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("callback error page: Content-Security-Policy = %q", callback.header.Get("Content-Security-Policy"))
	}
}
