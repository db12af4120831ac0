package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestInvokeWithoutConnection(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	developer := s.addUser("dora", "developer")

	for _, token := range []string{adminToken, developer} {
		resp := s.do("POST", "/v1/invoke", token, map[string]any{
			"url": up.server.URL + "/public/status", "method": "GET", "parameters": map[string]any{"verbose": "1"},
			"headers": map[string]string{"X-Custom": "kept", "Authorization": "Bearer caller-value"},
		})
		wantStatus(t, resp, http.StatusOK)
		got := decode[invokeResult](t, resp)
		if got.StatusCode != http.StatusOK {
			t.Errorf("status_code = %d, want 200", got.StatusCode)
		}
		if string(got.Body) != `{"ok":true}` {
			t.Errorf("body = %s, want the upstream's JSON", got.Body)
		}
	}

	requests := up.received()
	if len(requests) != 2 {
		t.Fatalf("upstream received %d requests, want 2", len(requests))
	}
	for _, req := range requests {
		if req.Method != "GET" || req.Path != "/public/status" || req.RawQuery != "verbose=1" {
			t.Errorf("upstream got %s %s?%s, want GET /public/status?verbose=1", req.Method, req.Path, req.RawQuery)
		}
		if got := req.Header.Get("X-Custom"); got != "kept" {
			t.Errorf("X-Custom = %q, want the caller's header", got)
		}
		if got := req.Header.Get("Authorization"); got != "" {
			t.Errorf("Authorization = %q, want it dropped as for calls through a connection", got)
		}
		wantNoCallerSecrets(t, req)
	}
}

func TestInvokeWithoutConnectionViewerForbidden(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	viewer := s.addUser("vera", "viewer")

	resp := s.do("POST", "/v1/invoke", viewer, map[string]any{"url": up.server.URL + "/public"})
	p := wantProblem(t, resp, http.StatusForbidden, "forbidden")
	if !strings.Contains(p.Detail, `"viewer"`) {
		t.Errorf("detail %q does not name the role", p.Detail)
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none", len(got))
	}
}

func TestInvokeWithoutConnectionInvalidURL(t *testing.T) {
	s := newStack(t)
	tests := []struct {
		name, url string
	}{
		{"path", "/devices"},
		{"no scheme", "api.acme.example/devices"},
		{"ftp", "ftp://127.0.0.1/file"},
		{"no host", "http:///devices"},
		{"user information", "http://user:pw-7f3a@127.0.0.1/devices"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := wantProblem(t, s.admin("POST", "/v1/invoke", map[string]any{"url": tt.url}), http.StatusUnprocessableEntity, "invalid_url")
			if strings.Contains(p.Detail, "pw-7f3a") {
				t.Errorf("detail %q repeats the password", p.Detail)
			}
		})
	}
}

func TestInvokeWithoutConnectionEgressGuard(t *testing.T) {
	s := newStackWith(t, stackOptions{blockPrivate: true})
	up := newUpstream(t)

	resp := s.admin("POST", "/v1/invoke", map[string]any{"url": up.server.URL + "/public"})
	wantProblem(t, resp, http.StatusForbidden, "destination_blocked")
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none", len(got))
	}
}

func TestInvokeWithoutConnectionFollowsRedirects(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, up.server.URL+"/moved", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)

	resp := s.admin("POST", "/v1/invoke", map[string]any{"url": redirector.URL + "/old"})
	wantStatus(t, resp, http.StatusOK)
	if got := decode[invokeResult](t, resp).StatusCode; got != http.StatusOK {
		t.Errorf("status_code = %d, want 200 from the redirect target", got)
	}
	if req := up.only(t); req.Path != "/moved" {
		t.Errorf("redirect target got path %q, want /moved", req.Path)
	}
}
