package api_test

import (
	"net/http"
	"net/url"
	"testing"
)

func TestEgressGuardBlocksLoopback(t *testing.T) {
	s := newStackWith(t, stackOptions{blockPrivate: true})
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")

	tests := []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{name: "invoke absolute URL", method: "POST", path: "/v1/invoke", body: map[string]any{"url": up.server.URL + "/base/devices", "connection": link}},
		{name: "invoke path", method: "POST", path: "/v1/invoke", body: map[string]any{"url": "/devices", "method": "POST", "body": "x", "connection": link}},
		{name: "proxy GET", method: "GET", path: "/v1/connections/" + link + "/proxy/devices?x=1"},
		{name: "proxy POST", method: "POST", path: "/v1/connections/" + link + "/proxy/devices", body: `{"name":"pump-7"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, s.admin(tt.method, tt.path, tt.body), http.StatusForbidden, "destination_blocked")
		})
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests through the guard, want none", len(got))
	}
}

func TestEgressGuardBlocksTokenEndpoint(t *testing.T) {
	s := newStackWith(t, stackOptions{blockPrivate: true})
	up := newUpstream(t)
	svc := oauthService("acme_devices")
	svc["oauth2"].(map[string]any)["token_url"] = up.server.URL + "/token"
	s.createService(svc)
	s.createApplication(map[string]any{"service": "acme_devices", "name": "Production", "client_id": "acme-client"})
	conn := s.createConnection(adminToken, map[string]any{"name": "Devices", "service": "acme_devices"})

	resp := s.admin("POST", "/v1/connections/"+conn.LinkName+"/connect", map[string]any{})
	wantStatus(t, resp, http.StatusOK)
	authURL, err := url.Parse(decode[map[string]string](t, resp)["authorization_url"])
	if err != nil {
		t.Fatal(err)
	}
	state := authURL.Query().Get("state")

	callback := s.doWith("GET", "/oauth/callback?state="+url.QueryEscape(state)+"&code=code-0123456789", "", nil,
		http.Header{"Accept": {"application/json"}})
	wantProblem(t, callback, http.StatusForbidden, "destination_blocked")
	if got := up.received(); len(got) != 0 {
		t.Errorf("token endpoint received %d requests through the guard, want none", len(got))
	}
}

func TestEgressGuardBlocksMetadataTokenEndpoint(t *testing.T) {
	s := newStackWith(t, stackOptions{blockPrivate: true})
	// The guard rejects the address before connecting, so nothing is sent.
	s.createService(map[string]any{
		"key": "metadata", "name": "Metadata", "auth_type": "oauth2_client_credentials",
		"oauth2":       map[string]any{"token_url": "https://169.254.169.254/token", "token_auth_method": "client_secret_post"},
		"scopes":       []map[string]string{{"name": "read", "description": "Read"}},
		"api_base_url": "https://169.254.169.254/api",
	})
	s.createApplication(map[string]any{"service": "metadata", "name": "App", "client_id": "cid"})
	conn := s.createConnection(adminToken, map[string]any{"name": "Metadata", "service": "metadata"})
	wantProblem(t, s.admin("POST", "/v1/connections/"+conn.LinkName+"/connect", map[string]any{}),
		http.StatusForbidden, "destination_blocked")
}
