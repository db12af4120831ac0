package api_test

import (
	"net/http"
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
