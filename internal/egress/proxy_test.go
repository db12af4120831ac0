package egress

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestProxyForwardsRequest(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	auth := newFakeAuthorizer()
	front := newProxyFront(t, newTestSender(t, true), up, allowlistFor(t, up), auth)

	req, err := http.NewRequest(http.MethodPatch, front.URL+"/v1/devices/7?fields=name&page=2", strings.NewReader(`{"name":"pump"}`))
	if err != nil {
		t.Fatal(err)
	}
	removed := map[string]string{
		"Authorization":       "Bearer caller-api-token",
		"Cookie":              "plugboard_session=abc",
		"Connection":          "X-Hop-Custom",
		"X-Hop-Custom":        "1",
		"Keep-Alive":          "timeout=5",
		"Proxy-Authorization": "Basic cHJveHk6c2VjcmV0",
		"Proxy-Trace":         "on",
		"Te":                  "trailers",
		"Upgrade":             "websocket",
		"Forwarded":           "for=192.0.2.60",
		"X-Forwarded-For":     "192.0.2.60",
		"X-Forwarded-Host":    "plugboard.internal",
		"X-Forwarded-Proto":   "https",
		"X-Forwarded-Prefix":  "/tenant",
		"X-Real-Ip":           "192.0.2.60",
	}
	for name, value := range removed {
		req.Header.Set(name, value)
	}
	req.Header.Set("X-Request-Tag", "kept")
	req.Header.Set("Content-Type", "application/json")

	resp, err := front.client().Do(req)
	if err != nil {
		t.Fatalf("proxy request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200; proxy errors: %v", resp.StatusCode, front.proxyErrors())
	}

	got := up.recorded()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests, want 1", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPatch {
		t.Errorf("method = %q, want PATCH", r.Method)
	}
	if r.Host != up.hostPort() {
		t.Errorf("Host = %q, want %q", r.Host, up.hostPort())
	}
	if r.Path != "/v1/devices/7" {
		t.Errorf("path = %q, want /v1/devices/7", r.Path)
	}
	if r.RawQuery != "fields=name&page=2" {
		t.Errorf("query = %q, want fields=name&page=2", r.RawQuery)
	}
	if r.Body != `{"name":"pump"}` {
		t.Errorf("body = %q, want the caller's body", r.Body)
	}
	if got, want := r.Header.Get("Authorization"), "Bearer stale-token"; got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
	for name := range removed {
		if name == "Authorization" {
			continue
		}
		if value, ok := r.Header[name]; ok {
			t.Errorf("upstream got header %s: %q, want it removed", name, value)
		}
	}
	for name, want := range map[string]string{"X-Request-Tag": "kept", "Content-Type": "application/json"} {
		if got := r.Header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
}

func TestProxyStripsResponseHeaders(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		h := w.Header()
		h.Set("Connection", "X-Resp-Hop")
		h.Set("X-Resp-Hop", "1")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("Proxy-Authenticate", `Basic realm="upstream"`)
		h.Set("Set-Cookie", "upstream_session=xyz")
		h.Set("Set-Cookie2", "upstream_legacy=xyz; Version=1")
		h.Set("X-Resp-Tag", "kept")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "created")
	})
	front := newProxyFront(t, newTestSender(t, true), up, allowlistFor(t, up), newFakeAuthorizer())

	resp, err := front.client().Get(front.URL + "/v1/devices")
	if err != nil {
		t.Fatalf("proxy request: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}

	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status = %d, want 201", resp.StatusCode)
	}
	if string(body) != "created" {
		t.Errorf("body = %q, want %q", body, "created")
	}
	for _, name := range []string{"X-Resp-Hop", "Keep-Alive", "Proxy-Authenticate", "Set-Cookie", "Set-Cookie2"} {
		if value, ok := resp.Header[name]; ok {
			t.Errorf("client got header %s: %q, want it removed", name, value)
		}
	}
	if got := resp.Header.Get("X-Resp-Tag"); got != "kept" {
		t.Errorf("X-Resp-Tag = %q, want kept", got)
	}
}

func TestProxyStreamsResponse(t *testing.T) {
	release := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
		_, _ = io.WriteString(w, "first\n")
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		_, _ = io.WriteString(w, "second\n")
	})
	front := newProxyFront(t, newTestSender(t, true), up, allowlistFor(t, up), newFakeAuthorizer())

	resp, err := front.client().Get(front.URL + "/v1/events")
	if err != nil {
		close(release)
		t.Fatalf("proxy request: %v", err)
	}
	defer resp.Body.Close()

	reader := bufio.NewReader(resp.Body)
	firstLine := make(chan string, 1)
	go func() {
		line, _ := reader.ReadString('\n')
		firstLine <- line
	}()
	select {
	case line := <-firstLine:
		if line != "first\n" {
			t.Errorf("first line = %q, want %q", line, "first\n")
		}
	case <-time.After(5 * time.Second):
		close(release)
		t.Fatal("first chunk did not reach the client while the upstream was still sending")
	}

	close(release)
	rest, err := io.ReadAll(reader)
	if err != nil {
		t.Fatalf("reading rest: %v", err)
	}
	if string(rest) != "second\n" {
		t.Errorf("rest = %q, want %q", rest, "second\n")
	}
}

// unknownLength hides the length of a reader, so the client sends it chunked.
type unknownLength struct{ io.Reader }

func TestProxyRetriesUnauthorized(t *testing.T) {
	errRefresh := errors.New("refresh token revoked")
	long := strings.Repeat("x", 64)

	tests := []struct {
		name         string
		acceptFresh  bool
		retryErr     error
		body         func() io.Reader
		wantBody     string
		wantStatus   int
		wantUpstream int
		wantRetries  int
		wantProxyErr error
	}{
		{
			name: "refreshed token accepted", acceptFresh: true,
			body: func() io.Reader { return strings.NewReader("hello") }, wantBody: "hello",
			wantStatus: http.StatusOK, wantUpstream: 2, wantRetries: 1,
		},
		{
			name: "chunked body within replay limit", acceptFresh: true,
			body: func() io.Reader { return unknownLength{strings.NewReader("hello")} }, wantBody: "hello",
			wantStatus: http.StatusOK, wantUpstream: 2, wantRetries: 1,
		},
		{
			name: "no body", acceptFresh: true,
			body: func() io.Reader { return nil }, wantBody: "",
			wantStatus: http.StatusOK, wantUpstream: 2, wantRetries: 1,
		},
		{
			name: "retried once only", acceptFresh: false,
			body: func() io.Reader { return strings.NewReader("hello") }, wantBody: "hello",
			wantStatus: http.StatusUnauthorized, wantUpstream: 2, wantRetries: 1,
		},
		{
			name: "authorizer cannot refresh", acceptFresh: true, retryErr: ErrNoRetry,
			body: func() io.Reader { return strings.NewReader("hello") }, wantBody: "hello",
			wantStatus: http.StatusUnauthorized, wantUpstream: 1, wantRetries: 1,
		},
		{
			name: "refresh fails", acceptFresh: true, retryErr: errRefresh,
			body: func() io.Reader { return strings.NewReader("hello") }, wantBody: "hello",
			wantStatus: http.StatusBadGateway, wantUpstream: 1, wantRetries: 1, wantProxyErr: errRefresh,
		},
		{
			name: "body over replay limit", acceptFresh: true,
			body: func() io.Reader { return strings.NewReader(long) }, wantBody: long,
			wantStatus: http.StatusUnauthorized, wantUpstream: 1, wantRetries: 0,
		},
		{
			name: "chunked body over replay limit", acceptFresh: true,
			body: func() io.Reader { return unknownLength{strings.NewReader(long)} }, wantBody: long,
			wantStatus: http.StatusUnauthorized, wantUpstream: 1, wantRetries: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
				if tt.acceptFresh && r.Header.Get("Authorization") == "Bearer fresh-token" {
					w.WriteHeader(http.StatusOK)
					return
				}
				w.WriteHeader(http.StatusUnauthorized)
			})
			sender := newTestSender(t, true)
			sender.MaxReplayBody = 16
			auth := newFakeAuthorizer()
			auth.retryErr = tt.retryErr
			front := newProxyFront(t, sender, up, allowlistFor(t, up), auth)

			resp, err := front.client().Post(front.URL+"/v1/devices", "text/plain", tt.body())
			if err != nil {
				t.Fatalf("proxy request: %v", err)
			}
			resp.Body.Close()

			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			got := up.recorded()
			if len(got) != tt.wantUpstream {
				t.Errorf("upstream got %d requests, want %d", len(got), tt.wantUpstream)
			}
			for i, r := range got {
				if r.Body != tt.wantBody {
					t.Errorf("upstream request %d body = %q, want %q", i+1, r.Body, tt.wantBody)
				}
			}
			if len(got) == 2 {
				if auth := got[1].Header.Get("Authorization"); auth != "Bearer fresh-token" {
					t.Errorf("retry Authorization = %q, want Bearer fresh-token", auth)
				}
			}
			if _, retries := auth.counts(); retries != tt.wantRetries {
				t.Errorf("authorizer retries = %d, want %d", retries, tt.wantRetries)
			}
			proxyErrs := front.proxyErrors()
			if tt.wantProxyErr == nil && len(proxyErrs) != 0 {
				t.Errorf("proxy errors = %v, want none", proxyErrs)
			}
			if tt.wantProxyErr != nil && (len(proxyErrs) != 1 || !errors.Is(proxyErrs[0], tt.wantProxyErr)) {
				t.Errorf("proxy errors = %v, want one wrapping %v", proxyErrs, tt.wantProxyErr)
			}
		})
	}
}

func TestProxyRejectsHostNotAllowed(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	allow, err := NewAllowlist("https://api.acme.example/v1", nil)
	if err != nil {
		t.Fatalf("NewAllowlist: %v", err)
	}
	auth := newFakeAuthorizer()
	target, err := url.Parse(up.URL + "/v1/devices")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v1/connections/acme/proxy/devices", nil)

	err = newTestSender(t, true).Proxy(rec, req, target, allow, auth)

	if !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("Proxy error = %v, want ErrHostNotAllowed", err)
	}
	if len(rec.Header()) != 0 || rec.Body.Len() != 0 {
		t.Errorf("Proxy wrote headers %v and body %q, want nothing", rec.Header(), rec.Body)
	}
	if calls, _ := auth.counts(); calls != 0 {
		t.Errorf("authorizer calls = %d, want 0", calls)
	}
	if got := up.conns.Load(); got != 0 {
		t.Errorf("upstream connections = %d, want 0", got)
	}
}

func TestProxyReturnsRedirect(t *testing.T) {
	tests := []struct {
		name     string
		location string
	}{
		{"other host", "https://files.acme.example/download/1"},
		{"same host", "/v1/files/2"},
		{"invalid escape", "/v1/files/%zz"},
		{"unclosed IPv6 bracket", "http://[::1/v1/files/1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
				w.Header().Set("Location", tt.location)
				w.WriteHeader(http.StatusFound)
			})
			front := newProxyFront(t, newTestSender(t, true), up, allowlistFor(t, up), newFakeAuthorizer())
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, front.URL+"/v1/files/1", nil)
			if err != nil {
				t.Fatal(err)
			}

			// The transport, unlike http.Client, returns a response whose
			// Location it cannot parse.
			resp, err := front.Client().Transport.RoundTrip(req)
			if err != nil {
				t.Fatalf("proxy request: %v", err)
			}
			resp.Body.Close()

			if resp.StatusCode != http.StatusFound {
				t.Errorf("status = %d, want 302; proxy errors: %v", resp.StatusCode, front.proxyErrors())
			}
			if got := resp.Header.Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			if got := len(up.recorded()); got != 1 {
				t.Errorf("upstream got %d requests, want 1", got)
			}
		})
	}
}

func TestProxyRedactsResponseHeaders(t *testing.T) {
	const key = "secret-api-key"
	tests := []struct {
		name                string
		status              int
		location            string
		contentLocation     string
		wantLocation        string
		wantContentLocation string
	}{
		{
			name:   "redirect",
			status: http.StatusFound, location: "/api/items/?api_key=" + key + "&page=2",
			contentLocation: "/api/items?api_key=" + key,
			wantLocation:    "/api/items/?api_key=REDACTED&page=2", wantContentLocation: "/api/items?api_key=REDACTED",
		},
		{
			name:            "success",
			status:          http.StatusOK,
			contentLocation: "/api/items/7?api_key=" + key,
			wantLocation:    "", wantContentLocation: "/api/items/7?api_key=REDACTED",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
				if tt.location != "" {
					w.Header().Set("Location", tt.location)
				}
				w.Header().Set("Content-Location", tt.contentLocation)
				w.WriteHeader(tt.status)
			})
			auth := redactingAuthorizer{queryKeyAuthorizer{key: key}}
			front := newProxyFront(t, newTestSender(t, true), up, allowlistFor(t, up), auth)

			resp, err := front.client().Get(front.URL + "/api/items")
			if err != nil {
				t.Fatalf("proxy request: %v", err)
			}
			resp.Body.Close()

			if resp.StatusCode != tt.status {
				t.Errorf("status = %d, want %d; proxy errors: %v", resp.StatusCode, tt.status, front.proxyErrors())
			}
			if got := resp.Header.Get("Location"); got != tt.wantLocation {
				t.Errorf("Location = %q, want %q", got, tt.wantLocation)
			}
			if got := resp.Header.Get("Content-Location"); got != tt.wantContentLocation {
				t.Errorf("Content-Location = %q, want %q", got, tt.wantContentLocation)
			}
			if name := headerContaining(resp.Header, key); name != "" {
				t.Errorf("client got the key in header %s", name)
			}
		})
	}
}

func TestProxyCleansInterimResponse(t *testing.T) {
	const key = "secret-api-key"
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		h := w.Header()
		h.Set("Link", "</style.css?api_key="+key+">; rel=preload")
		h.Set("Set-Cookie", "upstream_session=xyz")
		w.WriteHeader(http.StatusEarlyHints)
		h.Del("Link")
		h.Del("Set-Cookie")
		w.WriteHeader(http.StatusOK)
	})
	auth := redactingAuthorizer{queryKeyAuthorizer{key: key}}
	front := newProxyFront(t, newTestSender(t, true), up, allowlistFor(t, up), auth)

	var interim []http.Header
	trace := &httptrace.ClientTrace{
		Got1xxResponse: func(code int, header textproto.MIMEHeader) error {
			if code == http.StatusEarlyHints {
				interim = append(interim, http.Header(header).Clone())
			}
			return nil
		},
	}
	ctx := httptrace.WithClientTrace(t.Context(), trace)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, front.URL+"/api/page", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := front.client().Do(req)
	if err != nil {
		t.Fatalf("proxy request: %v", err)
	}
	resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		t.Errorf("status = %d, want 200; proxy errors: %v", resp.StatusCode, front.proxyErrors())
	}
	if len(interim) != 1 {
		t.Fatalf("client got %d 103 responses, want 1", len(interim))
	}
	if got, want := interim[0].Get("Link"), "</style.css?api_key=REDACTED>; rel=preload"; got != want {
		t.Errorf("103 Link = %q, want %q", got, want)
	}
	if value, ok := interim[0]["Set-Cookie"]; ok {
		t.Errorf("103 Set-Cookie = %q, want it removed", value)
	}
}

func TestProxyGuardBlocksLoopback(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	target, err := url.Parse(up.URL + "/v1/devices")
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v1/connections/acme/proxy/devices", nil)

	err = newTestSender(t, false).Proxy(rec, req, target, allowlistFor(t, up), newFakeAuthorizer())

	if !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("Proxy error = %v, want ErrBlockedAddress", err)
	}
	if rec.Body.Len() != 0 {
		t.Errorf("Proxy wrote body %q, want nothing", rec.Body)
	}
	if got := up.conns.Load(); got != 0 {
		t.Errorf("upstream connections = %d, want 0", got)
	}
}
