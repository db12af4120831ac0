package oauth

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
)

// testNow is the fixed clock of every Config built by the tests.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// recordedRequest is what a test endpoint received.
type recordedRequest struct {
	method string
	path   string
	header http.Header
	body   string
	form   url.Values
}

// endpoint is a test token or revocation endpoint on 127.0.0.1 that records
// every request and responds with respond.
type endpoint struct {
	server *httptest.Server

	mu       sync.Mutex
	requests []recordedRequest
}

func newEndpoint(t *testing.T, respond http.HandlerFunc) *endpoint {
	t.Helper()
	e := &endpoint{}
	e.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request body: %v", err)
		}
		// The handler reads the body again, as echoingEndpoint does.
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, err := url.ParseQuery(string(body))
		if err != nil {
			t.Errorf("parsing request body %q: %v", body, err)
		}
		e.mu.Lock()
		e.requests = append(e.requests, recordedRequest{
			method: r.Method,
			path:   r.URL.Path,
			header: r.Header.Clone(),
			body:   string(body),
			form:   form,
		})
		e.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(e.server.Close)
	return e
}

// respondWith returns a handler that responds with status, content type and body.
func respondWith(status int, contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// only returns the single request the endpoint received.
func (e *endpoint) only(t *testing.T) recordedRequest {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.requests) != 1 {
		t.Fatalf("endpoint received %d requests, want 1", len(e.requests))
	}
	return e.requests[0]
}

func (e *endpoint) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.requests)
}

// newTestConfig returns a Config whose token and revocation URLs point at
// the endpoint's /token and /revoke.
func newTestConfig(e *endpoint, method string) *Config {
	return &Config{
		Settings: &catalog.OAuth2Settings{
			AuthorizationURL: "https://auth.example.test/authorize",
			TokenURL:         e.server.URL + "/token",
			RevocationURL:    e.server.URL + "/revoke",
			TokenAuthMethod:  method,
		},
		Client:      Client{ID: "client-id", Secret: "client-secret"},
		RedirectURI: "http://127.0.0.1:8080/oauth/callback",
		HTTPClient:  e.server.Client(),
		Now:         func() time.Time { return testNow },
	}
}
