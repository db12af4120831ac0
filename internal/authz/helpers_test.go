package authz

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

// Cookies of the test-only sign-in: the signed-in member's user ID and the
// double-submit CSRF token.
const (
	testUserCookie = "test_user"
	testCSRFCookie = "test_csrf"
)

// fixture is an authorization server on a real SQLite store behind an
// httptest server, with one org, its admin and the built-in client.
type fixture struct {
	srv      *httptest.Server
	auth     *Server
	store    store.Store
	org      store.Org
	user     store.User
	clientID string
	secret   string
	conns    *connections.Manager
	audit    *audit.Log
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "plugboard.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := secrets.NewKeyring("test", map[string][]byte{"test": key})
	if err != nil {
		t.Fatal(err)
	}
	boot, err := members.Bootstrap(t.Context(), st, "", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}

	f := &fixture{store: st}
	f.srv = httptest.NewUnstartedServer(nil)
	f.srv.Start()
	t.Cleanup(f.srv.Close)
	f.conns = connections.New(connections.Options{Store: st, Keyring: keyring, PublicURL: f.srv.URL})
	f.audit = audit.New(st, slog.New(slog.DiscardHandler), time.Now)
	f.auth, err = New(Options{
		Store: st, Keyring: keyring, Applications: f.conns, PublicURL: f.srv.URL, Audit: f.audit,
		Hooks: Hooks{
			SignedIn: func(r *http.Request) (connections.Actor, bool) {
				cookie, err := r.Cookie(testUserCookie)
				if err != nil {
					return connections.Actor{}, false
				}
				orgID, userID, _ := strings.Cut(cookie.Value, "/")
				user, err := st.GetUser(r.Context(), orgID, userID)
				if err != nil {
					return connections.Actor{}, false
				}
				return connections.Actor{OrgID: user.OrgID, UserID: user.ID, Username: user.Username, Role: user.Role}, true
			},
			CSRFToken: func(w http.ResponseWriter, r *http.Request) string {
				http.SetCookie(w, &http.Cookie{Name: testCSRFCookie, Value: "csrf-123", Path: "/"})
				return "csrf-123"
			},
			CheckCSRF: func(r *http.Request) error {
				cookie, err := r.Cookie(testCSRFCookie)
				if err != nil || cookie.Value != r.PostForm.Get("csrf_token") {
					return errors.New("csrf mismatch")
				}
				return nil
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Config.Handler = f.auth.Handler()
	if err := f.auth.EnsureBuiltinClients(t.Context()); err != nil {
		t.Fatal(err)
	}

	f.org, err = st.GetOrg(t.Context(), boot.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	f.user, err = st.GetUserByUsername(t.Context(), boot.OrgID, members.AdminUsername)
	if err != nil {
		t.Fatal(err)
	}
	f.clientID = BuiltinClientID(f.org.ID)
	secret, err := f.conns.ApplicationSecret(t.Context(), f.org.ID, connections.BuiltinApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	f.secret = secret.Reveal()
	return f
}

// browser returns a client that keeps cookies, stops at redirects and is
// signed in as user when user is not empty.
func (f *fixture) browser(t *testing.T, user *store.User) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != nil {
		base, _ := url.Parse(f.srv.URL)
		jar.SetCookies(base, []*http.Cookie{{Name: testUserCookie, Value: user.OrgID + "/" + user.ID, Path: "/"}})
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// authParams are the parameters of an authorization request.
type authParams struct {
	clientID, redirectURI, scope, state, challenge, method string
}

// defaultParams returns an authorization request of the built-in client
// for scope, with the S256 challenge of verifier.
func (f *fixture) defaultParams(scope, verifier string) authParams {
	return authParams{
		clientID: f.clientID, redirectURI: f.auth.RedirectURI(), scope: scope, state: "state-1",
		challenge: challengeOf(verifier), method: "S256",
	}
}

func challengeOf(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func (p authParams) url(base string) string {
	q := url.Values{"client_id": {p.clientID}, "redirect_uri": {p.redirectURI}, "response_type": {"code"},
		"scope": {p.scope}, "state": {p.state}}
	if p.challenge != "" {
		q.Set("code_challenge", p.challenge)
	}
	if p.method != "" {
		q.Set("code_challenge_method", p.method)
	}
	return base + PathPrefix + "/authorize?" + q.Encode()
}

type page struct {
	status   int
	location *url.URL
	header   http.Header
	body     string
}

func get(t *testing.T, client *http.Client, target string) page {
	t.Helper()
	resp, err := client.Get(target)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	return readPage(t, resp)
}

func post(t *testing.T, client *http.Client, target string, form url.Values) page {
	t.Helper()
	resp, err := client.PostForm(target, form)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	return readPage(t, resp)
}

func readPage(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := page{status: resp.StatusCode, header: resp.Header, body: string(body)}
	if loc, err := resp.Location(); err == nil {
		p.location = loc
	}
	return p
}

var requestIDField = regexp.MustCompile(`name="id" value="([^"]*)"`)

// consentFor sends an authorization request as user and returns the
// consent page, failing unless the server shows one.
func (f *fixture) consentFor(t *testing.T, browser *http.Client, p authParams) (page, string) {
	t.Helper()
	first := get(t, browser, p.url(f.srv.URL))
	if first.location == nil || first.location.Path != PathPrefix+"/consent" {
		t.Fatalf("authorization request: status %d to %v, want the consent page\n%s", first.status, first.location, first.body)
	}
	consent := get(t, browser, first.location.String())
	id := requestIDField.FindStringSubmatch(consent.body)
	if consent.status != http.StatusOK || id == nil {
		t.Fatalf("consent page: status %d\n%s", consent.status, consent.body)
	}
	return consent, id[1]
}

// authorize runs the authorization request and consent as the fixture's
// admin and returns the code from the redirect URI.
func (f *fixture) authorize(t *testing.T, p authParams) string {
	t.Helper()
	browser := f.browser(t, &f.user)
	_, id := f.consentFor(t, browser, p)
	answered := post(t, browser, f.srv.URL+PathPrefix+"/consent", url.Values{"id": {id}, "csrf_token": {"csrf-123"}, "decision": {"accept"}})
	if answered.status != http.StatusSeeOther || answered.location == nil {
		t.Fatalf("accept: status %d\n%s", answered.status, answered.body)
	}
	callback := get(t, browser, answered.location.String())
	if callback.location == nil || callback.location.Query().Get("code") == "" {
		t.Fatalf("authorize callback: status %d to %v, want a redirect with a code\n%s", callback.status, callback.location, callback.body)
	}
	if got := callback.location.Query().Get("state"); got != p.state {
		t.Errorf("state = %q, want %q", got, p.state)
	}
	return callback.location.Query().Get("code")
}

// tokenResponse is a decoded token, introspection or error response.
type tokenResponse map[string]any

func (r tokenResponse) str(key string) string {
	s, _ := r[key].(string)
	return s
}

// postClient posts a form to an endpoint with a client's Basic credentials.
func (f *fixture) postClient(t *testing.T, endpoint, clientID, secret string, form url.Values) (int, tokenResponse) {
	t.Helper()
	req, err := http.NewRequest("POST", f.srv.URL+PathPrefix+endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", endpoint, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	out := tokenResponse{}
	if len(strings.TrimSpace(string(body))) > 0 && string(body) != "null" {
		// The op package reports a failed client authentication at the
		// introspection endpoint in plain text.
		if err := json.Unmarshal(body, &out); err != nil && resp.StatusCode == http.StatusOK {
			t.Fatalf("POST %s: status %d, body is not JSON: %s", endpoint, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, out
}

// exchange trades a code for tokens with the built-in client.
func (f *fixture) exchange(t *testing.T, code, verifier string) (int, tokenResponse) {
	t.Helper()
	return f.postClient(t, "/token", f.clientID, f.secret, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {f.auth.RedirectURI()}, "code_verifier": {verifier},
	})
}

// refresh uses a refresh token with the built-in client.
func (f *fixture) refresh(t *testing.T, refreshToken string, scope string) (int, tokenResponse) {
	t.Helper()
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}}
	if scope != "" {
		form.Set("scope", scope)
	}
	return f.postClient(t, "/token", f.clientID, f.secret, form)
}

// tokens runs the whole flow and returns the token response.
func (f *fixture) tokens(t *testing.T, scope string) tokenResponse {
	t.Helper()
	verifier := "verifier-" + strings.Repeat("x", 43)
	code := f.authorize(t, f.defaultParams(scope, verifier))
	status, resp := f.exchange(t, code, verifier)
	if status != http.StatusOK {
		t.Fatalf("code exchange: status %d, %v", status, resp)
	}
	return resp
}

func decodeJSON(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}
