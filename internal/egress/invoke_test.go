package egress

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDoSendsParameters(t *testing.T) {
	tests := []struct {
		name            string
		req             Request
		wantMethod      string
		wantQuery       string
		wantBody        string
		wantContentType string
	}{
		{
			name:       "GET adds parameters to the query",
			req:        Request{Method: "GET", URL: "/v1/items?sort=asc", Parameters: map[string]string{"page": "1", "q": "a b"}},
			wantMethod: "GET", wantQuery: "sort=asc&page=1&q=a+b",
		},
		{
			name:       "empty method means GET",
			req:        Request{URL: "/v1/items", Parameters: map[string]string{"page": "1"}},
			wantMethod: "GET", wantQuery: "page=1",
		},
		{
			name:       "DELETE adds parameters to the query",
			req:        Request{Method: "delete", URL: "/v1/items/7", Parameters: map[string]string{"force": "true"}},
			wantMethod: "DELETE", wantQuery: "force=true",
		},
		{
			name:       "POST without body sends a form",
			req:        Request{Method: "post", URL: "/v1/items", Parameters: map[string]string{"name": "pump 7", "kind": "pump"}},
			wantMethod: "POST", wantBody: "kind=pump&name=pump+7", wantContentType: "application/x-www-form-urlencoded",
		},
		{
			name: "POST with body adds parameters to the query",
			req: Request{
				Method: "POST", URL: "/v1/items", Parameters: map[string]string{"dry_run": "1"},
				Headers: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{"name":"pump"}`),
			},
			wantMethod: "POST", wantQuery: "dry_run=1", wantBody: `{"name":"pump"}`, wantContentType: "application/json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
				w.WriteHeader(http.StatusOK)
			})
			req := tt.req
			req.URL = up.URL + req.URL

			_, err := newTestSender(t, true).Do(t.Context(), &req, allowlistFor(t, up), newFakeAuthorizer())
			if err != nil {
				t.Fatalf("Do: %v", err)
			}

			got := up.recorded()
			if len(got) != 1 {
				t.Fatalf("upstream got %d requests, want 1", len(got))
			}
			r := got[0]
			if r.Method != tt.wantMethod {
				t.Errorf("method = %q, want %q", r.Method, tt.wantMethod)
			}
			if r.RawQuery != tt.wantQuery {
				t.Errorf("query = %q, want %q", r.RawQuery, tt.wantQuery)
			}
			if r.Body != tt.wantBody {
				t.Errorf("body = %q, want %q", r.Body, tt.wantBody)
			}
			if got := r.Header.Get("Content-Type"); got != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
			}
		})
	}
}

func TestDoHeaders(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		h := w.Header()
		h.Set("Connection", "X-Resp-Hop")
		h.Set("X-Resp-Hop", "1")
		h.Set("Keep-Alive", "timeout=5")
		h.Set("X-Resp-Tag", "kept")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, `{"id":7}`)
	})
	req := &Request{
		Method: "POST",
		URL:    up.URL + "/v1/items",
		Headers: map[string]string{
			"authorization":       "Bearer caller-token",
			"Connection":          "X-Hop-Custom",
			"X-Hop-Custom":        "1",
			"Proxy-Authorization": "Basic cHJveHk6c2VjcmV0",
			"Host":                "evil.test",
			"Content-Length":      "999",
			"X-Request-Tag":       "kept",
		},
		Body: []byte(`{"name":"pump"}`),
	}

	resp, err := newTestSender(t, true).Do(t.Context(), req, allowlistFor(t, up), newFakeAuthorizer())
	if err != nil {
		t.Fatalf("Do: %v", err)
	}

	got := up.recorded()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests, want 1", len(got))
	}
	r := got[0]
	if auth := r.Header.Get("Authorization"); auth != "Bearer stale-token" {
		t.Errorf("Authorization = %q, want the connection's credential", auth)
	}
	if r.Host != up.hostPort() {
		t.Errorf("Host = %q, want %q", r.Host, up.hostPort())
	}
	if r.Body != `{"name":"pump"}` {
		t.Errorf("body = %q, want the request body", r.Body)
	}
	for _, name := range []string{"Connection", "X-Hop-Custom", "Proxy-Authorization"} {
		if value, ok := r.Header[name]; ok {
			t.Errorf("upstream got header %s: %q, want it removed", name, value)
		}
	}
	if tag := r.Header.Get("X-Request-Tag"); tag != "kept" {
		t.Errorf("X-Request-Tag = %q, want kept", tag)
	}

	if resp.StatusCode != http.StatusCreated {
		t.Errorf("StatusCode = %d, want 201", resp.StatusCode)
	}
	if string(resp.Body) != `{"id":7}` {
		t.Errorf("Body = %q, want %q", resp.Body, `{"id":7}`)
	}
	for _, name := range []string{"Connection", "X-Resp-Hop", "Keep-Alive"} {
		if value, ok := resp.Header[name]; ok {
			t.Errorf("response header %s: %q, want it removed", name, value)
		}
	}
	if tag := resp.Header.Get("X-Resp-Tag"); tag != "kept" {
		t.Errorf("X-Resp-Tag = %q, want kept", tag)
	}
}

func TestDoRetriesUnauthorized(t *testing.T) {
	tests := []struct {
		name         string
		acceptFresh  bool
		retryErr     error
		wantStatus   int
		wantUpstream int
		wantRetries  int
	}{
		{"refreshed token accepted", true, nil, http.StatusOK, 2, 1},
		{"retried once only", false, nil, http.StatusUnauthorized, 2, 1},
		{"authorizer cannot refresh", true, ErrNoRetry, http.StatusUnauthorized, 1, 1},
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
			auth := newFakeAuthorizer()
			auth.retryErr = tt.retryErr
			req := &Request{Method: "PUT", URL: up.URL + "/v1/items/7", Body: []byte("payload")}

			resp, err := newTestSender(t, true).Do(t.Context(), req, allowlistFor(t, up), auth)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}

			if resp.StatusCode != tt.wantStatus {
				t.Errorf("StatusCode = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			got := up.recorded()
			if len(got) != tt.wantUpstream {
				t.Errorf("upstream got %d requests, want %d", len(got), tt.wantUpstream)
			}
			for i, r := range got {
				if r.Body != "payload" {
					t.Errorf("upstream request %d body = %q, want payload", i+1, r.Body)
				}
			}
			if _, retries := auth.counts(); retries != tt.wantRetries {
				t.Errorf("authorizer retries = %d, want %d", retries, tt.wantRetries)
			}
		})
	}
}

func TestDoRefreshFailure(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	errRefresh := errors.New("refresh token revoked")
	auth := newFakeAuthorizer()
	auth.retryErr = errRefresh

	_, err := newTestSender(t, true).Do(t.Context(), &Request{URL: up.URL + "/v1/items"}, allowlistFor(t, up), auth)

	if !errors.Is(err, errRefresh) {
		t.Errorf("Do error = %v, want one wrapping %v", err, errRefresh)
	}
}

func TestDoResponseSizeLimit(t *testing.T) {
	tests := []struct {
		name      string
		size      int
		chunked   bool
		wantLarge bool
	}{
		{"at limit", 1024, false, false},
		{"over limit with length", 1025, false, true},
		{"over limit chunked", 4096, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
				body := strings.Repeat("x", tt.size)
				if tt.chunked {
					_, _ = io.WriteString(w, body[:10])
					http.NewResponseController(w).Flush()
					_, _ = io.WriteString(w, body[10:])
					return
				}
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				_, _ = io.WriteString(w, body)
			})
			sender := newTestSender(t, true)
			sender.MaxResponseBody = 1024

			resp, err := sender.Do(t.Context(), &Request{URL: up.URL + "/v1/export"}, allowlistFor(t, up), newFakeAuthorizer())

			if !tt.wantLarge {
				if err != nil {
					t.Fatalf("Do: %v", err)
				}
				if len(resp.Body) != tt.size {
					t.Errorf("body length = %d, want %d", len(resp.Body), tt.size)
				}
				return
			}
			if !errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("Do error = %v, want ErrResponseTooLarge", err)
			}
			if !strings.Contains(err.Error(), "1024 bytes") {
				t.Errorf("error %q does not name the limit", err)
			}
		})
	}
}

func TestDoFollowsRedirectOnSameHost(t *testing.T) {
	tests := []struct {
		status     int
		wantMethod string
		wantBody   string
	}{
		{http.StatusMovedPermanently, "GET", ""},
		{http.StatusFound, "GET", ""},
		{http.StatusSeeOther, "GET", ""},
		{http.StatusTemporaryRedirect, "POST", "payload"},
		{http.StatusPermanentRedirect, "POST", "payload"},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
				if r.URL.Path == "/v1/start" {
					http.Redirect(w, r, "/v1/final", tt.status)
					return
				}
				_, _ = io.WriteString(w, "final")
			})
			req := &Request{Method: "POST", URL: up.URL + "/v1/start", Body: []byte("payload")}

			resp, err := newTestSender(t, true).Do(t.Context(), req, allowlistFor(t, up), newFakeAuthorizer())
			if err != nil {
				t.Fatalf("Do: %v", err)
			}

			if resp.StatusCode != http.StatusOK || string(resp.Body) != "final" {
				t.Errorf("response = %d %q, want 200 %q", resp.StatusCode, resp.Body, "final")
			}
			got := up.recorded()
			if len(got) != 2 {
				t.Fatalf("upstream got %d requests, want 2", len(got))
			}
			final := got[1]
			if final.Path != "/v1/final" {
				t.Errorf("second path = %q, want /v1/final", final.Path)
			}
			if final.Method != tt.wantMethod {
				t.Errorf("second method = %q, want %q", final.Method, tt.wantMethod)
			}
			if final.Body != tt.wantBody {
				t.Errorf("second body = %q, want %q", final.Body, tt.wantBody)
			}
			if auth := final.Header.Get("Authorization"); auth != "Bearer stale-token" {
				t.Errorf("second Authorization = %q, want the credential", auth)
			}
		})
	}
}

func TestDoRedirectToOtherHost(t *testing.T) {
	tests := []struct {
		name       string
		allowOther bool
	}{
		{"host not allowed", false},
		{"host allowed", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
				_, _ = io.WriteString(w, "other")
			})
			up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
				w.Header().Set("Set-Cookie", "upstream=1")
				http.Redirect(w, r, other.URL+"/files/1", http.StatusFound)
			})
			allow := allowlistFor(t, up)
			if tt.allowOther {
				allow = allowlistFor(t, up, other)
			}
			req := &Request{URL: up.URL + "/v1/files/1", Headers: map[string]string{"Cookie": "caller=1"}}

			resp, err := newTestSender(t, true).Do(t.Context(), req, allow, newFakeAuthorizer())
			if err != nil {
				t.Fatalf("Do: %v", err)
			}

			if !tt.allowOther {
				if resp.StatusCode != http.StatusFound {
					t.Errorf("StatusCode = %d, want 302", resp.StatusCode)
				}
				if got, want := resp.Header.Get("Location"), other.URL+"/files/1"; got != want {
					t.Errorf("Location = %q, want %q", got, want)
				}
				if got := other.conns.Load(); got != 0 {
					t.Errorf("other host connections = %d, want 0", got)
				}
				return
			}

			if resp.StatusCode != http.StatusOK || string(resp.Body) != "other" {
				t.Errorf("response = %d %q, want 200 %q", resp.StatusCode, resp.Body, "other")
			}
			got := other.recorded()
			if len(got) != 1 {
				t.Fatalf("other host got %d requests, want 1", len(got))
			}
			if auth := got[0].Header.Get("Authorization"); auth != "Bearer stale-token" {
				t.Errorf("other host Authorization = %q, want the credential", auth)
			}
			if cookie := got[0].Header.Get("Cookie"); cookie != "" {
				t.Errorf("other host Cookie = %q, want none", cookie)
			}
		})
	}
}

func TestDoStopsAfterTenRedirects(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
		http.Redirect(w, r, "/v1/loop", http.StatusFound)
	})

	_, err := newTestSender(t, true).Do(t.Context(), &Request{URL: up.URL + "/v1/loop"}, allowlistFor(t, up), newFakeAuthorizer())

	if err == nil || !strings.Contains(err.Error(), "10 redirects") {
		t.Errorf("Do error = %v, want one naming 10 redirects", err)
	}
	if got := len(up.recorded()); got != 11 {
		t.Errorf("upstream got %d requests, want 11", got)
	}
}

func TestDoRejectsHostNotAllowed(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	other := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	tests := []struct {
		name string
		url  string
	}{
		{"other port", other.URL + "/v1/items"},
		{"userinfo trick", "http://" + up.hostPort() + "@" + other.hostPort() + "/v1/items"},
		{"userinfo on allowed host", "http://user:pass@" + up.hostPort() + "/v1/items"},
		{"ftp scheme", "ftp://" + up.hostPort() + "/v1/items"},
		{"relative URL", "/v1/items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := newFakeAuthorizer()

			_, err := newTestSender(t, true).Do(t.Context(), &Request{URL: tt.url}, allowlistFor(t, up), auth)

			if !errors.Is(err, ErrHostNotAllowed) {
				t.Errorf("Do error = %v, want ErrHostNotAllowed", err)
			}
			if calls, _ := auth.counts(); calls != 0 {
				t.Errorf("authorizer calls = %d, want 0", calls)
			}
			if got := up.conns.Load() + other.conns.Load(); got != 0 {
				t.Errorf("connections = %d, want 0", got)
			}
		})
	}
}

func TestDoGuardBlocksLoopback(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	auth := queryKeyAuthorizer{key: "secret-api-key"}

	_, err := newTestSender(t, false).Do(t.Context(), &Request{URL: up.URL + "/v1/items"}, allowlistFor(t, up), auth)

	if !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("Do error = %v, want ErrBlockedAddress", err)
	}
	if strings.Contains(err.Error(), "secret-api-key") {
		t.Errorf("error %q contains the credential", err)
	}
	if got := up.conns.Load(); got != 0 {
		t.Errorf("upstream connections = %d, want 0", got)
	}
}

func TestDoRejectsInvalidRequest(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	tests := []struct {
		name        string
		req         Request
		wantMessage string
	}{
		{"invalid URL", Request{URL: "http://" + up.hostPort() + ":bad/?key=secret"}, "URL"},
		{"invalid URL escape", Request{URL: up.URL + "/v1/%zz?key=secret"}, "URL"},
		{"method with space", Request{Method: "GET ME", URL: up.URL + "/v1/items"}, `method "GET ME"`},
		{"method with CRLF", Request{Method: "GET\r\nX-Secret: 1", URL: up.URL + "/v1/items"}, "method"},
		{"empty header name", Request{URL: up.URL + "/v1/items", Headers: map[string]string{"": "secret"}}, `header ""`},
		{"header name with space", Request{URL: up.URL + "/v1/items", Headers: map[string]string{"X Tag": "secret"}}, `header "X Tag"`},
		{"header name with colon", Request{URL: up.URL + "/v1/items", Headers: map[string]string{"X-Tag:": "secret"}}, `header "X-Tag:"`},
		{"header name with CRLF", Request{URL: up.URL + "/v1/items", Headers: map[string]string{"X-Tag\r\nX-Evil": "secret"}}, `header "X-Tag\r\nX-Evil"`},
		{"header value with CR", Request{URL: up.URL + "/v1/items", Headers: map[string]string{"X-Tag": "secret\rX"}}, `header "X-Tag"`},
		{"header value with LF", Request{URL: up.URL + "/v1/items", Headers: map[string]string{"X-Tag": "secret\nX-Evil: 1"}}, `header "X-Tag"`},
		{"header value with NUL", Request{URL: up.URL + "/v1/items", Headers: map[string]string{"X-Tag": "secret\x00"}}, `header "X-Tag"`},
		{"header value with DEL", Request{URL: up.URL + "/v1/items", Headers: map[string]string{"X-Tag": "secret\x7f"}}, `header "X-Tag"`},
		{"dropped header with LF", Request{URL: up.URL + "/v1/items", Headers: map[string]string{"Host": "secret\nX-Evil: 1"}}, `header "Host"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := newFakeAuthorizer()

			_, err := newTestSender(t, true).Do(t.Context(), &tt.req, allowlistFor(t, up), auth)

			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("Do error = %v, want ErrInvalidRequest", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("error %q does not contain %q", msg, tt.wantMessage)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q contains the value or the URL's query", err)
			}
			if calls, _ := auth.counts(); calls != 0 {
				t.Errorf("authorizer calls = %d, want 0", calls)
			}
			if got := up.conns.Load(); got != 0 {
				t.Errorf("upstream connections = %d, want 0", got)
			}
		})
	}
}

func TestDoAcceptsValidHeaders(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	req := &Request{
		Method: "PROPFIND",
		URL:    up.URL + "/v1/items",
		Headers: map[string]string{
			"X-Tab":           "a\tb",
			"X-Empty":         "",
			"X-Token.Chars_~": "v",
			"X-Non-Ascii":     "caf\u00e9",
		},
	}

	_, err := newTestSender(t, true).Do(t.Context(), req, allowlistFor(t, up), newFakeAuthorizer())
	if err != nil {
		t.Fatalf("Do: %v", err)
	}

	got := up.recorded()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests, want 1", len(got))
	}
	if got[0].Method != "PROPFIND" {
		t.Errorf("method = %q, want PROPFIND", got[0].Method)
	}
	if tab := got[0].Header.Get("X-Tab"); tab != "a\tb" {
		t.Errorf("X-Tab = %q, want %q", tab, "a\tb")
	}
}

func TestDoReturnsRedirectWithInvalidLocation(t *testing.T) {
	tests := []struct {
		name     string
		location string
	}{
		{"invalid escape", "/v1/files/%zz?api_key=secret"},
		{"unclosed IPv6 bracket", "http://[::1/v1/files/1?api_key=secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
				w.Header().Set("Location", tt.location)
				w.WriteHeader(http.StatusFound)
				_, _ = io.WriteString(w, "moved")
			})

			resp, err := newTestSender(t, true).Do(t.Context(), &Request{URL: up.URL + "/v1/files/1"}, allowlistFor(t, up), newFakeAuthorizer())
			if err != nil {
				t.Fatalf("Do: %v", err)
			}

			if resp.StatusCode != http.StatusFound {
				t.Errorf("StatusCode = %d, want 302", resp.StatusCode)
			}
			if got := resp.Header.Get("Location"); got != tt.location {
				t.Errorf("Location = %q, want %q", got, tt.location)
			}
			if string(resp.Body) != "moved" {
				t.Errorf("Body = %q, want %q", resp.Body, "moved")
			}
			if got := len(up.recorded()); got != 1 {
				t.Errorf("upstream got %d requests, want 1", got)
			}
		})
	}
}

func TestDoRedactsResponseHeaders(t *testing.T) {
	const key = "secret-api-key"
	other := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	tests := []struct {
		name                string
		handler             func(w http.ResponseWriter, r *http.Request, n int, body string)
		wantStatus          int
		wantLocation        string
		wantContentLocation string
	}{
		{
			name: "redirect not followed",
			handler: func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
				w.Header().Set("Location", other.URL+"/api/items/?"+r.URL.RawQuery+"&page=2")
				w.Header().Set("Content-Location", "/api/items/?"+r.URL.RawQuery)
				w.WriteHeader(http.StatusFound)
			},
			wantStatus:          http.StatusFound,
			wantLocation:        other.URL + "/api/items/?api_key=REDACTED&page=2",
			wantContentLocation: "/api/items/?api_key=REDACTED",
		},
		{
			name: "final response",
			handler: func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
				w.Header().Set("Content-Location", "/api/items/7?"+r.URL.RawQuery)
				w.WriteHeader(http.StatusOK)
			},
			wantStatus:          http.StatusOK,
			wantContentLocation: "/api/items/7?api_key=REDACTED",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.handler)
			auth := redactingAuthorizer{queryKeyAuthorizer{key: key}}

			resp, err := newTestSender(t, true).Do(t.Context(), &Request{URL: up.URL + "/api/items"}, allowlistFor(t, up), auth)
			if err != nil {
				t.Fatalf("Do: %v", err)
			}

			if resp.StatusCode != tt.wantStatus {
				t.Errorf("StatusCode = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if got := resp.Header.Get("Location"); got != tt.wantLocation {
				t.Errorf("Location = %q, want %q", got, tt.wantLocation)
			}
			if got := resp.Header.Get("Content-Location"); got != tt.wantContentLocation {
				t.Errorf("Content-Location = %q, want %q", got, tt.wantContentLocation)
			}
			if name := headerContaining(resp.Header, key); name != "" {
				t.Errorf("response has the key in header %s", name)
			}
		})
	}
}

func TestDoTimeout(t *testing.T) {
	const limit = 200 * time.Millisecond
	// stall waits far longer than the limit, but returns when the client
	// gives up, so the test server can close.
	stall := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, n int, body string)
	}{
		{
			name: "slow response headers",
			handler: func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
				stall(r)
			},
		},
		{
			name: "slow response body",
			handler: func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
				_, _ = io.WriteString(w, "first part")
				http.NewResponseController(w).Flush()
				stall(r)
			},
		},
		{
			name: "slow redirect target",
			handler: func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
				if r.URL.Path == "/v1/start" {
					time.Sleep(limit / 2)
					http.Redirect(w, r, "/v1/final", http.StatusFound)
					return
				}
				stall(r)
			},
		},
		{
			name: "slow retry",
			handler: func(w http.ResponseWriter, r *http.Request, n int, _ string) {
				if n == 1 {
					time.Sleep(limit / 2)
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				stall(r)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.handler)
			sender := newTestSender(t, true)
			sender.InvokeTimeout = limit

			start := time.Now()
			_, err := sender.Do(t.Context(), &Request{URL: up.URL + "/v1/start"}, allowlistFor(t, up), newFakeAuthorizer())
			elapsed := time.Since(start)

			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("Do error = %v, want ErrTimeout", err)
			}
			if !strings.Contains(err.Error(), limit.String()) {
				t.Errorf("error %q does not name the limit %s", err, limit)
			}
			if elapsed > 5*time.Second {
				t.Errorf("Do took %s, want about %s", elapsed, limit)
			}
		})
	}
}

func TestDoCallerDeadlineIsNotTimeout(t *testing.T) {
	up := newUpstream(t, func(_ http.ResponseWriter, r *http.Request, _ int, _ string) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	sender := newTestSender(t, true)
	sender.InvokeTimeout = time.Minute
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()

	_, err := sender.Do(ctx, &Request{URL: up.URL + "/v1/items"}, allowlistFor(t, up), newFakeAuthorizer())

	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Do error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	if errors.Is(err, ErrTimeout) {
		t.Errorf("Do error = %v wraps ErrTimeout, want only the caller's deadline", err)
	}
}

func TestSenderInvokeTimeoutDefault(t *testing.T) {
	tests := []struct {
		set  time.Duration
		want time.Duration
	}{
		{0, DefaultInvokeTimeout},
		{-time.Second, DefaultInvokeTimeout},
		{5 * time.Second, 5 * time.Second},
	}
	for _, tt := range tests {
		s := &Sender{InvokeTimeout: tt.set}
		if got := s.invokeTimeout(); got != tt.want {
			t.Errorf("invokeTimeout() with InvokeTimeout %s = %s, want %s", tt.set, got, tt.want)
		}
	}
	if DefaultInvokeTimeout != 60*time.Second {
		t.Errorf("DefaultInvokeTimeout = %s, want 1m0s", DefaultInvokeTimeout)
	}
}

func TestSenderWithoutTransport(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	sender := &Sender{Client: &http.Client{}}

	_, err := sender.Do(t.Context(), &Request{URL: up.URL + "/v1/items"}, allowlistFor(t, up), newFakeAuthorizer())

	if err == nil {
		t.Fatal("Do succeeded without a guarded transport, want error")
	}
	if got := up.conns.Load(); got != 0 {
		t.Errorf("upstream connections = %d, want 0", got)
	}
}

func TestDoDropsCallerAuthorization(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusOK)
	})
	req := &Request{URL: up.URL + "/v1/items", Headers: map[string]string{"Authorization": "Bearer caller-token"}}

	_, err := newTestSender(t, true).Do(t.Context(), req, allowlistFor(t, up), queryKeyAuthorizer{key: "connection-key"})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}

	got := up.recorded()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests, want 1", len(got))
	}
	if auth, ok := got[0].Header["Authorization"]; ok {
		t.Errorf("upstream got Authorization %q, want none", auth)
	}
	if got[0].RawQuery != "api_key=connection-key" {
		t.Errorf("query = %q, want the connection's key", got[0].RawQuery)
	}
}

func TestParameterText(t *testing.T) {
	for _, tc := range []struct {
		value any
		want  string
	}{
		{"a b&c", "a b&c"},
		{float64(42), "42"},
		{1.5, "1.5"},
		{true, "true"},
		{nil, "null"},
		{map[string]any{"k": []any{"v", float64(1)}}, `{"k":["v",1]}`},
	} {
		if got := ParameterText(tc.value); got != tc.want {
			t.Errorf("ParameterText(%#v) = %q, want %q", tc.value, got, tc.want)
		}
	}
}
