package api_test

import (
	"net/http"
	"testing"
)

func TestViewerReadsOnly(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")
	viewerToken := s.addUser("vera", "viewer")

	reads := []struct {
		name string
		path string
	}{
		{name: "services", path: "/v1/services"},
		{name: "service", path: "/v1/services/acme_keys"},
		{name: "connections", path: "/v1/connections"},
		{name: "connection", path: "/v1/connections/" + link},
	}
	for _, tt := range reads {
		t.Run("GET "+tt.name, func(t *testing.T) {
			wantStatus(t, s.do("GET", tt.path, viewerToken, nil), http.StatusOK)
		})
	}

	writes := []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{name: "create connection", method: "POST", path: "/v1/connections", body: map[string]any{"name": "Mine", "service": "acme_keys"}},
		{name: "create service", method: "POST", path: "/v1/services", body: basicService("vera_basic", "https://api.acme.example")},
		{name: "connect", method: "POST", path: "/v1/connections/" + link + "/connect", body: map[string]any{"credentials": map[string]string{"X-API-Key": "k"}}},
		{name: "proxy", method: "GET", path: "/v1/connections/" + link + "/proxy/devices"},
		{name: "invoke", method: "POST", path: "/v1/invoke", body: map[string]any{"url": "/devices", "connection": link}},
	}
	for _, tt := range writes {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, s.do(tt.method, tt.path, viewerToken, tt.body), http.StatusForbidden, "forbidden")
		})
	}

	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests from a viewer, want none", len(got))
	}
	if got := decode[connectionBody](t, s.admin("GET", "/v1/connections/"+link, nil)).Status; got != "connected" {
		t.Errorf("status = %q after the viewer's attempts, want connected", got)
	}
}
