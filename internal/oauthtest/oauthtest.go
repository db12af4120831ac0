// Package oauthtest runs a real OAuth 2.0 authorization server for tests:
// panva's oidc-provider 9.13.3 on Node.js, with a protected API beside it.
//
// Start runs provider/server.mjs on 127.0.0.1 and stops it when the test
// ends. The server issues opaque access tokens for its API, whose resource
// indicator is Provider.Resource and whose scopes are devices.read and
// devices.write, even when the client sends no resource parameter. It issues
// a refresh token whenever offline_access is requested, requires PKCE with
// S256, and rejects a client that authenticates with another method than the
// one it registered. Its login form accepts alice/wonderland and
// bob/builder.
//
// The package needs node (version 20 or later) and npm in PATH. When
// provider/node_modules is missing or older than provider/package-lock.json,
// Start runs `npm ci` there first, once at a time across test processes.
package oauthtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// Client authentication methods of RFC 7591, as Client.AuthMethod accepts them.
const (
	AuthMethodBasic = "client_secret_basic"
	AuthMethodPost  = "client_secret_post"
)

// startTimeout bounds the wait for the server's ready line. It leaves room
// for a loaded machine, because a start normally takes well under a second.
// A server that is not ready by then is stopped and started once more. In
// a full parallel test run a node process once printed nothing for 90 s.
// A rerun of the same test started it in under a second.
const startTimeout = 45 * time.Second

// errNotReady is returned by runServer when the ready line did not come
// within startTimeout.
var errNotReady = errors.New("provider not ready")

// stopTimeout bounds the wait for the server to exit after its stdin closes,
// before it is killed.
const stopTimeout = 5 * time.Second

// Options configures the provider.
type Options struct {
	// Clients are the registered OAuth clients.
	Clients []Client
	// RotateRefreshTokens makes every refresh issue a new refresh token and
	// consume the old one. Reusing a consumed refresh token then revokes the
	// whole grant.
	RotateRefreshTokens bool
	// AccessTokenTTL is the access token lifetime in whole seconds, and zero
	// means one hour. Expiry is checked without clock tolerance.
	AccessTokenTTL time.Duration
	// RefreshTokenTTL is the refresh token lifetime in whole seconds, and zero
	// means 14 days.
	RefreshTokenTTL time.Duration
}

// Client is a registered OAuth client. Every client may use the
// authorization_code, refresh_token and client_credentials grants.
type Client struct {
	ID string
	// Secret may contain any printable ASCII character, including "+/:%&=".
	Secret string
	// AuthMethod is AuthMethodBasic (the default) or AuthMethodPost. The token,
	// revocation and introspection endpoints reject the other method with
	// 401 invalid_client.
	AuthMethod string
	// RedirectURIs must match exactly, except that when all of them are http
	// loopback URIs (http://127.0.0.1/callback) the client is registered as a
	// native application and they match on any port (RFC 8252 section 7.3).
	RedirectURIs []string
}

// Provider is a running authorization server and its API.
type Provider struct {
	Issuer           string
	AuthorizationURL string
	TokenURL         string
	RevocationURL    string
	IntrospectionURL string
	UserinfoURL      string
	JWKSURL          string
	// APIBaseURL is the base URL of the protected API, such as
	// http://127.0.0.1:PORT/api. Its routes are /devices, /echo and /headers.
	APIBaseURL string
	// Resource is the resource indicator of the API and the audience of its
	// access tokens.
	Resource string

	httpClient *http.Client
}

// readyLine is the JSON line server.mjs writes to stdout once it listens.
type readyLine struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RevocationEndpoint    string `json:"revocation_endpoint"`
	IntrospectionEndpoint string `json:"introspection_endpoint"`
	UserinfoEndpoint      string `json:"userinfo_endpoint"`
	JWKSURI               string `json:"jwks_uri"`
	APIBaseURL            string `json:"api_base_url"`
	Resource              string `json:"resource"`
}

// serverConfig is the JSON configuration of server.mjs.
type serverConfig struct {
	Clients             []clientConfig `json:"clients"`
	RotateRefreshTokens bool           `json:"rotateRefreshTokens"`
	AccessTokenTTL      int64          `json:"accessTokenTTL,omitempty"`
	RefreshTokenTTL     int64          `json:"refreshTokenTTL,omitempty"`
	ClockTolerance      int64          `json:"clockTolerance"`
}

type clientConfig struct {
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	RedirectURIs            []string `json:"redirect_uris"`
}

// Start starts the provider and registers its stop with t.Cleanup. It fails
// the test when node or npm is missing, when installing the Node.js packages
// fails, or when the server does not become ready. When the test fails, the
// server's output is logged.
func Start(t testing.TB, opts Options) *Provider {
	t.Helper()

	config, err := newServerConfig(opts)
	if err != nil {
		t.Fatalf("oauthtest: %v", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("oauthtest: node not found in PATH; install Node.js 20 or later (Debian: apt-get install nodejs npm): %v", err)
	}
	dir, err := findProviderDir()
	if err != nil {
		t.Fatalf("oauthtest: %v", err)
	}
	if err := ensureInstalled(context.Background(), dir); err != nil {
		t.Fatalf("oauthtest: %v", err)
	}

	ready, err := runServer(t, node, dir, config)
	if errors.Is(err, errNotReady) {
		t.Logf("oauthtest: %v; starting it again", err)
		ready, err = runServer(t, node, dir, config)
	}
	if err != nil {
		t.Fatalf("oauthtest: %v", err)
	}
	return &Provider{
		Issuer:           ready.Issuer,
		AuthorizationURL: ready.AuthorizationEndpoint,
		TokenURL:         ready.TokenEndpoint,
		RevocationURL:    ready.RevocationEndpoint,
		IntrospectionURL: ready.IntrospectionEndpoint,
		UserinfoURL:      ready.UserinfoEndpoint,
		JWKSURL:          ready.JWKSURI,
		APIBaseURL:       ready.APIBaseURL,
		Resource:         ready.Resource,
		httpClient:       &http.Client{Timeout: 30 * time.Second},
	}
}

// Endpoint returns the provider's endpoints for golang.org/x/oauth2 with the
// given client authentication style.
func (p *Provider) Endpoint(style oauth2.AuthStyle) oauth2.Endpoint {
	return oauth2.Endpoint{AuthURL: p.AuthorizationURL, TokenURL: p.TokenURL, AuthStyle: style}
}

func newServerConfig(opts Options) ([]byte, error) {
	accessTTL, err := wholeSeconds("AccessTokenTTL", opts.AccessTokenTTL)
	if err != nil {
		return nil, err
	}
	refreshTTL, err := wholeSeconds("RefreshTokenTTL", opts.RefreshTokenTTL)
	if err != nil {
		return nil, err
	}

	config := serverConfig{
		Clients:             make([]clientConfig, 0, len(opts.Clients)),
		RotateRefreshTokens: opts.RotateRefreshTokens,
		AccessTokenTTL:      accessTTL,
		RefreshTokenTTL:     refreshTTL,
	}
	for _, c := range opts.Clients {
		method := c.AuthMethod
		if method == "" {
			method = AuthMethodBasic
		}
		if method != AuthMethodBasic && method != AuthMethodPost {
			return nil, fmt.Errorf("client %q: invalid AuthMethod %q; use %s or %s", c.ID, c.AuthMethod, AuthMethodBasic, AuthMethodPost)
		}
		if c.ID == "" || c.Secret == "" {
			return nil, fmt.Errorf("client %q: missing ID or Secret", c.ID)
		}
		config.Clients = append(config.Clients, clientConfig{
			ClientID:                c.ID,
			ClientSecret:            c.Secret,
			TokenEndpointAuthMethod: method,
			RedirectURIs:            append([]string{}, c.RedirectURIs...),
		})
	}
	return json.Marshal(config)
}

func wholeSeconds(name string, d time.Duration) (int64, error) {
	if d < 0 || (d > 0 && d%time.Second != 0) {
		return 0, fmt.Errorf("invalid %s %v; use a positive whole number of seconds", name, d)
	}
	if d > math.MaxInt32*time.Second {
		return 0, fmt.Errorf("invalid %s %v; use at most %d seconds", name, d, math.MaxInt32)
	}
	return int64(d / time.Second), nil
}

// runServer starts server.mjs and waits for its ready line. The server exits
// when its stdin closes, so it also stops when the test binary dies.
func runServer(t testing.TB, node, dir string, config []byte) (readyLine, error) {
	output := &syncBuffer{}
	stdout := &readyWriter{ready: make(chan []byte, 1), rest: output}

	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "OAUTHTEST_CONFIG="+string(config))
	cmd.Stdout = stdout
	cmd.Stderr = output
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return readyLine{}, fmt.Errorf("creating stdin pipe: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return readyLine{}, fmt.Errorf("starting node server.mjs in %s: %w", dir, err)
	}

	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(stopTimeout):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("oauthtest: provider output:\n%s", output.String())
		}
	})

	var line []byte
	select {
	case line = <-stdout.ready:
	case <-exited:
		return readyLine{}, fmt.Errorf("provider exited before it was ready: %w\n%s", waitErr, output.String())
	case <-time.After(startTimeout):
		cmd.Process.Kill()
		return readyLine{}, fmt.Errorf("%w after %v\n%s", errNotReady, startTimeout, output.String())
	}

	var ready readyLine
	if err := json.Unmarshal(line, &ready); err != nil || ready.Issuer == "" {
		return readyLine{}, fmt.Errorf("invalid ready line %q from server.mjs: %v", line, err)
	}
	return ready, nil
}

// readyWriter sends the first line written to it on ready and passes every
// later byte to rest.
type readyWriter struct {
	mu    sync.Mutex
	line  []byte
	done  bool
	ready chan []byte
	rest  io.Writer
}

func (w *readyWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()

	if w.done {
		return w.rest.Write(b)
	}
	w.line = append(w.line, b...)
	i := bytes.IndexByte(w.line, '\n')
	if i < 0 {
		return len(b), nil
	}
	w.done = true
	w.ready <- bytes.Clone(w.line[:i])
	if _, err := w.rest.Write(w.line[i+1:]); err != nil {
		return 0, err
	}
	return len(b), nil
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
