package api_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Credential values of the call tests. Each becomes a registered secret.
const (
	testAPIKey        = "key-5b0c8e1f93d7a2"
	testBasicUser     = "acme-user"
	testBasicPassword = "pw-a81f2c6d0e"
)

// keyConnection creates an api_key service at up's /base path with its key
// in the given place, and a connected connection to it, and returns the
// connection's link name.
func keyConnection(t *testing.T, s *stack, up *upstream, in string) string {
	t.Helper()
	s.createService(apiKeyService("acme_keys", up.server.URL+"/base", "X-API-Key", in))
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme keys", "service": "acme_keys"})
	s.connectWithSecrets(conn.LinkName, map[string]string{"X-API-Key": testAPIKey})
	return conn.LinkName
}

// wantNoCallerSecrets fails the test when req carries the caller's
// Authorization header or any plugboard API token.
func wantNoCallerSecrets(t *testing.T, req upstreamRequest) {
	t.Helper()
	for name, values := range req.Header {
		for _, v := range values {
			if strings.Contains(v, "pb_") {
				t.Errorf("upstream got a plugboard token in header %s", name)
			}
		}
	}
	if strings.Contains(req.RawQuery, "pb_") || strings.Contains(string(req.Body), "pb_") {
		t.Error("upstream got a plugboard token in the query or body")
	}
}

func TestConnectMissingCredentials(t *testing.T) {
	s := newStack(t)
	s.createService(apiKeyService("acme_keys", "https://api.acme.example", "X-API-Key", "header"))
	s.createService(basicService("acme_basic", "https://api.acme.example"))
	keys := s.createConnection(adminToken, map[string]any{"name": "Keys", "service": "acme_keys"})
	basic := s.createConnection(adminToken, map[string]any{"name": "Basic", "service": "acme_basic"})

	tests := []struct {
		name        string
		link        string
		credentials map[string]string
		code        string
	}{
		{name: "api key absent", link: keys.LinkName, credentials: map[string]string{}, code: "missing_credentials"},
		{name: "api key empty", link: keys.LinkName, credentials: map[string]string{"X-API-Key": ""}, code: "missing_credentials"},
		{name: "api key misnamed", link: keys.LinkName, credentials: map[string]string{"X-API-Key": testAPIKey, "X-Other": "v"}, code: "invalid_credentials"},
		{name: "basic password absent", link: basic.LinkName, credentials: map[string]string{"username": testBasicUser}, code: "missing_credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := s.admin("POST", "/v1/connections/"+tt.link+"/connect", map[string]any{"credentials": tt.credentials})
			wantProblem(t, resp, http.StatusUnprocessableEntity, tt.code)
			if got := decode[connectionBody](t, s.admin("GET", "/v1/connections/"+tt.link, nil)).Status; got != "not_connected" {
				t.Errorf("status = %q after a rejected connect, want not_connected", got)
			}
		})
	}
	s.addSecret(testAPIKey)
}

func TestProxyAPIKeyHeader(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")

	resp := s.doWith("GET", "/v1/connections/"+link+"/proxy/some/path?x=1", adminToken, nil, http.Header{
		"Connection":          {"X-Hop-Test"},
		"X-Hop-Test":          {"1"},
		"Keep-Alive":          {"timeout=5"},
		"Proxy-Authorization": {"Basic cHJveHk6c2VjcmV0"},
		"Cookie":              {"plugboard_session=abc"},
		"X-Forwarded-For":     {"203.0.113.7"},
		"X-Custom":            {"kept"},
	})

	wantStatus(t, resp, http.StatusOK)
	if string(resp.body) != `{"ok":true}` {
		t.Errorf("body = %s, want the upstream's body", resp.body)
	}
	if got := resp.header.Get("X-Upstream"); got != "yes" {
		t.Errorf("X-Upstream = %q, want the upstream's header", got)
	}
	if got := resp.header.Get("X-Upstream-Hop"); got != "" {
		t.Errorf("X-Upstream-Hop = %q, want it stripped as a hop-by-hop header", got)
	}
	if got := resp.header.Get("Set-Cookie"); got != "" {
		t.Errorf("Set-Cookie = %q, want the upstream's cookie stripped", got)
	}

	req := up.only(t)
	if req.Method != "GET" || req.Path != "/base/some/path" || req.RawQuery != "x=1" {
		t.Errorf("upstream got %s %s?%s, want GET /base/some/path?x=1", req.Method, req.Path, req.RawQuery)
	}
	if got := req.Header.Get("X-API-Key"); got != testAPIKey {
		t.Errorf("X-API-Key = %q, want the connection's key", got)
	}
	if got := req.Header.Get("X-Custom"); got != "kept" {
		t.Errorf("X-Custom = %q, want the caller's header kept", got)
	}
	for _, name := range []string{"Authorization", "X-Hop-Test", "Keep-Alive", "Proxy-Authorization", "Cookie", "X-Forwarded-For"} {
		if got := req.Header.Get(name); got != "" {
			t.Errorf("upstream got %s = %q, want it stripped", name, got)
		}
	}
	wantNoCallerSecrets(t, req)
}

func TestProxyKeepsPathEscaping(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")

	// APIs such as GitLab's name a project as "group%2Fproject" in one path
	// segment, so decoding it would send a different path.
	resp := s.admin("GET", "/v1/connections/"+link+"/proxy/projects/group%2Fproject/files/a%20b?ref=main", nil)

	wantStatus(t, resp, http.StatusOK)
	if got, want := up.only(t).RequestURI, "/base/projects/group%2Fproject/files/a%20b?ref=main"; got != want {
		t.Errorf("upstream request target = %q, want %q", got, want)
	}
}

func TestProxyAPIKeyQuery(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "query")

	resp := s.admin("GET", "/v1/connections/"+link+"/proxy/items?x=1&y=two%20words", nil)

	wantStatus(t, resp, http.StatusOK)
	req := up.only(t)
	if req.Path != "/base/items" {
		t.Errorf("path = %q, want /base/items", req.Path)
	}
	query, err := url.ParseQuery(req.RawQuery)
	if err != nil {
		t.Fatalf("parsing upstream query %q: %v", req.RawQuery, err)
	}
	want := url.Values{"x": {"1"}, "y": {"two words"}, "X-API-Key": {testAPIKey}}
	if query.Encode() != want.Encode() {
		t.Errorf("upstream query = %v, want %v", query, want)
	}
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
	wantNoCallerSecrets(t, req)
}

func TestProxyBasic(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	s.createService(basicService("acme_basic", up.server.URL+"/base"))
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme basic", "service": "acme_basic"})
	s.connectWithSecrets(conn.LinkName, map[string]string{"username": testBasicUser, "password": testBasicPassword})

	resp := s.admin("POST", "/v1/connections/"+conn.LinkName+"/proxy/devices", `{"name":"pump-7"}`)

	wantStatus(t, resp, http.StatusOK)
	req := up.only(t)
	if req.Method != "POST" || req.Path != "/base/devices" || string(req.Body) != `{"name":"pump-7"}` {
		t.Errorf("upstream got %s %s with body %q, want POST /base/devices with the caller's body", req.Method, req.Path, req.Body)
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(testBasicUser+":"+testBasicPassword))
	if got := req.Header.Get("Authorization"); got != wantAuth {
		t.Errorf("Authorization = %q, want %q", got, wantAuth)
	}
	wantNoCallerSecrets(t, req)
}

// invokeResult is the body of POST /v1/invoke.
type invokeResult struct {
	StatusCode int               `json:"status_code"`
	Headers    map[string]string `json:"headers"`
	Body       json.RawMessage   `json:"body"`
}

func TestInvoke(t *testing.T) {
	tests := []struct {
		name       string
		input      func(upstreamURL, link string) map[string]any
		wantMethod string
		wantPath   string
		wantQuery  string
		wantBody   string
		// wantHeader is a header the upstream must receive, as name and
		// value.
		wantHeader [2]string
	}{
		{
			name: "method GET with parameters",
			input: func(upstreamURL, link string) map[string]any {
				return map[string]any{
					"url": upstreamURL + "/base/devices", "method": "GET", "parameters": map[string]any{"page": "1"},
					"headers":    map[string]string{"Authorization": "Bearer caller-value", "X-Custom": "kept"},
					"connection": link,
				}
			},
			wantMethod: "GET", wantPath: "/base/devices", wantQuery: "page=1", wantHeader: [2]string{"X-Custom", "kept"},
		},
		{
			name: "type POST with JSON body",
			input: func(upstreamURL, link string) map[string]any {
				return map[string]any{
					"url": upstreamURL + "/base/devices", "type": "POST", "body": map[string]any{"name": "pump-7"},
					"headers": map[string]string{"Content-Type": "application/json"}, "connection": link,
				}
			},
			wantMethod: "POST", wantPath: "/base/devices", wantBody: `{"name":"pump-7"}`,
			wantHeader: [2]string{"Content-Type", "application/json"},
		},
		{
			name: "type POST with parameters only",
			input: func(upstreamURL, link string) map[string]any {
				return map[string]any{
					"url": upstreamURL + "/base/devices", "type": "post", "parameters": map[string]any{"page": 2, "q": "a b"},
					"connection": link,
				}
			},
			wantMethod: "POST", wantPath: "/base/devices", wantBody: "page=2&q=a+b",
			wantHeader: [2]string{"Content-Type", "application/x-www-form-urlencoded"},
		},
		{
			name: "body as text",
			input: func(upstreamURL, link string) map[string]any {
				return map[string]any{
					"url": upstreamURL + "/base/notes", "method": "PUT", "body": "plain text",
					"headers": map[string]string{"Content-Type": "text/plain"}, "connection": link,
				}
			},
			wantMethod: "PUT", wantPath: "/base/notes", wantBody: "plain text",
			wantHeader: [2]string{"Content-Type", "text/plain"},
		},
		{
			name: "path under the base URL",
			input: func(_, link string) map[string]any {
				return map[string]any{"url": "/devices?x=1", "connection": link}
			},
			wantMethod: "GET", wantPath: "/base/devices", wantQuery: "x=1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t)
			up := newUpstream(t)
			link := keyConnection(t, s, up, "header")

			resp := s.admin("POST", "/v1/invoke", tt.input(up.server.URL, link))

			wantStatus(t, resp, http.StatusOK)
			got := decode[invokeResult](t, resp)
			if got.StatusCode != http.StatusOK || string(got.Body) != `{"ok":true}` {
				t.Errorf("result = status %d, body %s; want 200 and the upstream's JSON", got.StatusCode, got.Body)
			}
			if got.Headers["X-Upstream"] != "yes" {
				t.Errorf("result headers = %v, want X-Upstream", got.Headers)
			}
			if _, ok := got.Headers["X-Upstream-Hop"]; ok {
				t.Errorf("result headers = %v, want hop-by-hop X-Upstream-Hop stripped", got.Headers)
			}

			req := up.only(t)
			if req.Method != tt.wantMethod || req.Path != tt.wantPath || req.RawQuery != tt.wantQuery {
				t.Errorf("upstream got %s %s?%s, want %s %s?%s", req.Method, req.Path, req.RawQuery, tt.wantMethod, tt.wantPath, tt.wantQuery)
			}
			if string(req.Body) != tt.wantBody {
				t.Errorf("upstream body = %q, want %q", req.Body, tt.wantBody)
			}
			if got := req.Header.Get("X-API-Key"); got != testAPIKey {
				t.Errorf("X-API-Key = %q, want the connection's key", got)
			}
			if got := req.Header.Get("Authorization"); got != "" {
				t.Errorf("Authorization = %q, want the caller's header dropped", got)
			}
			if name := tt.wantHeader[0]; name != "" && req.Header.Get(name) != tt.wantHeader[1] {
				t.Errorf("%s = %q, want %q", name, req.Header.Get(name), tt.wantHeader[1])
			}
			wantNoCallerSecrets(t, req)
		})
	}
}

func TestInvokeHostNotAllowed(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	other := newUpstream(t)
	link := keyConnection(t, s, up, "header")

	resp := s.admin("POST", "/v1/invoke", map[string]any{"url": other.server.URL + "/collect", "connection": link})

	p := wantProblem(t, resp, http.StatusForbidden, "host_not_allowed")
	if host := strings.TrimPrefix(other.server.URL, "http://"); !strings.Contains(p.Detail, host) {
		t.Errorf("detail = %q, want it to name %s", p.Detail, host)
	}
	if got := other.received(); len(got) != 0 {
		t.Errorf("the other server received %d requests, want none", len(got))
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("the service's upstream received %d requests, want none", len(got))
	}
}

func TestCallsNotConnected(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	s.createService(apiKeyService("acme_keys", up.server.URL+"/base", "X-API-Key", "header"))
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme keys", "service": "acme_keys"})

	tests := []struct {
		name   string
		method string
		path   string
		body   any
	}{
		{name: "proxy", method: "GET", path: "/v1/connections/" + conn.LinkName + "/proxy/devices"},
		{name: "invoke", method: "POST", path: "/v1/invoke", body: map[string]any{"url": "/devices", "connection": conn.LinkName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, s.admin(tt.method, tt.path, tt.body), http.StatusConflict, "connection_not_connected")
		})
	}
	if got := up.received(); len(got) != 0 {
		t.Errorf("upstream received %d requests, want none", len(got))
	}
}

func TestInvokeRejectsUnknownMethod(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	s.createService(apiKeyService("acme_keys", up.server.URL, "X-API-Key", "header"))
	s.createConnection(adminToken, map[string]any{"name": "Keys", "service": "acme_keys"})
	s.addSecret("key-0123456789")
	s.connectWithSecrets("keys", map[string]string{"X-API-Key": "key-0123456789"})

	resp := s.admin("POST", "/v1/invoke", map[string]any{"url": "/items", "method": "FETCH", "connection": "keys"})
	wantProblem(t, resp, http.StatusUnprocessableEntity, "invalid_method")
	if n := len(up.received()); n != 0 {
		t.Errorf("upstream received %d requests, want 0", n)
	}
}

func TestProxyRejectsDotSegments(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")

	for _, path := range []string{"..%2f..%2fother", "items/%2e%2e/admin", "a/.%2Fb"} {
		resp := s.admin("GET", "/v1/connections/"+link+"/proxy/"+path, nil)
		wantProblem(t, resp, http.StatusBadRequest, "invalid_path")
	}
	if n := len(up.received()); n != 0 {
		t.Errorf("upstream received %d requests, want 0", n)
	}
}

func TestInvokeKeepsPathEscaping(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")

	resp := s.admin("POST", "/v1/invoke", map[string]any{"url": "/projects/group%2Fproject?ref=main", "connection": link})
	wantStatus(t, resp, http.StatusOK)
	if got, want := up.only(t).RequestURI, "/base/projects/group%2Fproject?ref=main"; got != want {
		t.Errorf("upstream request target = %q, want %q", got, want)
	}
}

func TestInvokeKeepsLargeNumberParameters(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")

	resp := s.admin("POST", "/v1/invoke", `{"url": "/items", "connection": "`+link+`", "parameters": {"id": 12345678901234567890}}`)
	wantStatus(t, resp, http.StatusOK)
	if got := up.only(t).RawQuery; got != "id=12345678901234567890" {
		t.Errorf("upstream query = %q, want id=12345678901234567890", got)
	}
}

func TestProxyRedactsQueryKeyInRedirect(t *testing.T) {
	s := newStack(t)
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := *r.URL
		target.Path += "/"
		w.Header().Set("Location", target.String())
		w.Header().Set("Content-Location", target.String())
		w.Header().Set("WWW-Authenticate", `Bearer uri="`+target.String()+`"`)
		w.Header().Set("X-Request-Url", target.String())
		w.WriteHeader(http.StatusMovedPermanently)
	}))
	t.Cleanup(redirecting.Close)
	s.createService(apiKeyService("acme_keys", redirecting.URL, "api_key", "query"))
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme keys", "service": "acme_keys"})
	s.connectWithSecrets(conn.LinkName, map[string]string{"api_key": testAPIKey})

	resp := s.admin("GET", "/v1/connections/"+conn.LinkName+"/proxy/items?page=2", nil)
	wantStatus(t, resp, http.StatusMovedPermanently)
	for _, name := range []string{"Location", "Content-Location", "WWW-Authenticate", "X-Request-Url"} {
		got := resp.header.Get(name)
		if strings.Contains(got, testAPIKey) || !strings.Contains(got, "page=2") {
			t.Errorf("%s = %q, want the redirect with the API key redacted", name, got)
		}
	}
}

func TestInvokeRejectsInvalidHeader(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")

	for name, headers := range map[string]map[string]string{
		"CRLF in value": {"X-Note": "a\r\nX-Injected: 1"},
		"invalid name":  {"Bad Header": "x"},
	} {
		t.Run(name, func(t *testing.T) {
			resp := s.admin("POST", "/v1/invoke", map[string]any{"url": "/items", "connection": link, "headers": headers})
			p := wantProblem(t, resp, http.StatusUnprocessableEntity, "invalid_header")
			if strings.Contains(p.Detail, "X-Injected") {
				t.Errorf("detail repeats the header value: %q", p.Detail)
			}
		})
	}
	if n := len(up.received()); n != 0 {
		t.Errorf("upstream received %d requests, want 0", n)
	}
}

func TestInvokeEncodesBinaryBody(t *testing.T) {
	s := newStack(t)
	image := []byte{0x89, 'P', 'N', 'G', 0xff, 0x00, 0xfe}
	binary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(image)
	}))
	t.Cleanup(binary.Close)
	s.createService(apiKeyService("acme_files", binary.URL, "X-API-Key", "header"))
	conn := s.createConnection(adminToken, map[string]any{"name": "Files", "service": "acme_files"})
	s.connectWithSecrets(conn.LinkName, map[string]string{"X-API-Key": testAPIKey})

	resp := s.admin("POST", "/v1/invoke", map[string]any{"url": "/logo.png", "connection": conn.LinkName})
	wantStatus(t, resp, http.StatusOK)
	out := decode[map[string]any](t, resp)
	if out["body_encoding"] != "base64" || out["body"] != base64.StdEncoding.EncodeToString(image) {
		t.Errorf("invoke of a binary body = encoding %v, body %v; want the bytes in base64", out["body_encoding"], out["body"])
	}
}

func TestInvokeAPIKeyInFormBody(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	s.createService(map[string]any{
		"key": "push", "name": "Push", "auth_type": "api_key",
		"api_key":      map[string]any{"params": []map[string]string{{"name": "token", "in": "form"}, {"name": "user", "in": "form"}}},
		"api_base_url": up.server.URL + "/1",
		"description":  "Keys go in the form body; no scopes.",
	})
	conn := s.createConnection(adminToken, map[string]any{"name": "Push", "service": "push"})
	s.addSecret("tok-0123456789")
	s.connectWithSecrets(conn.LinkName, map[string]string{"token": "tok-0123456789", "user": "usr-0123456789"})

	resp := s.admin("POST", "/v1/invoke", map[string]any{
		"url": "/messages.json", "method": "POST", "connection": conn.LinkName,
		"parameters": map[string]string{"message": "pump-7 alarm"},
	})
	wantStatus(t, resp, http.StatusOK)
	form, err := url.ParseQuery(string(up.only(t).Body))
	if err != nil {
		t.Fatal(err)
	}
	if form.Get("token") != "tok-0123456789" || form.Get("user") != "usr-0123456789" || form.Get("message") != "pump-7 alarm" {
		t.Errorf("upstream form = %v, want the message with token and user added", form)
	}

	// A JSON body cannot carry form keys.
	resp = s.admin("POST", "/v1/invoke", map[string]any{
		"url": "/messages.json", "method": "POST", "connection": conn.LinkName,
		"headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]string{"message": "x"},
	})
	wantProblem(t, resp, http.StatusUnprocessableEntity, "unsupported_placement")
}

func TestProxyNoneAuthService(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	s.createService(map[string]any{
		"key": "open_data", "name": "Open data", "auth_type": "none", "api_base_url": up.server.URL + "/base",
		"scopes": []any{}, "description": "A public API without credentials or scopes.",
	})
	conn := s.createConnection(adminToken, map[string]any{"name": "Open data", "service": "open_data"})

	resp := s.admin("GET", "/v1/connections/"+conn.LinkName+"/proxy/items", nil)
	wantStatus(t, resp, http.StatusOK)
	req := up.only(t)
	if req.Path != "/base/items" || req.Header.Get("Authorization") != "" {
		t.Errorf("upstream got %s with Authorization %q, want /base/items without credentials", req.Path, req.Header.Get("Authorization"))
	}
}

func TestProxyRejectsProtocolSwitch(t *testing.T) {
	s := newStack(t)
	switching := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijacking: %v", err)
			return
		}
		defer conn.Close()
		_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n")
		_ = buf.Flush()
	}))
	t.Cleanup(switching.Close)
	s.createService(apiKeyService("acme_switch", switching.URL, "api_key", "query"))
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme switch", "service": "acme_switch"})
	s.connectWithSecrets(conn.LinkName, map[string]string{"api_key": testAPIKey})

	resp := s.admin("GET", "/v1/connections/"+conn.LinkName+"/proxy/tunnel", nil)
	wantProblem(t, resp, http.StatusBadGateway, "upstream_response_invalid")
	if strings.Contains(string(resp.body), testAPIKey) {
		t.Errorf("problem body %s contains the API key", resp.body)
	}
}
