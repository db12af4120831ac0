package web_test

import (
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
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/functions"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/sqlite"
	"github.com/plugboard/plugboard/internal/testkit"
	"github.com/plugboard/plugboard/internal/web"
	"github.com/plugboard/plugboard/internal/webhooks"
)

const adminPassword = "admin-password-123"

// site is a web UI on a test server with a SQLite store, signed in as no
// one until a test signs in.
type site struct {
	t      *testing.T
	url    string
	store  *sqlite.Store
	clock  *testkit.Clock
	orgID  string
	server *web.Server
	logs   *testkit.LockedBuffer
	conns  *connections.Manager
	admin  connections.Actor
	// options are the server's options, for another instance on the same
	// database.
	options web.Options
}

func newSite(t *testing.T) *site {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "plugboard.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := testkit.NewClock(time.Now().UTC())
	boot, err := members.Bootstrap(t.Context(), st, "", adminPassword, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	key, err := secrets.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := secrets.NewKeyring("test", map[string][]byte{"test": key})
	if err != nil {
		t.Fatal(err)
	}
	logs := &testkit.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	auditLog := audit.New(st, logger, clock.Now)
	conns := connections.New(connections.Options{Store: st, Keyring: keyring, PublicURL: "http://127.0.0.1", Logger: logger, Now: clock.Now, Audit: auditLog})
	mgr := members.NewManager(members.Options{Store: st, Audit: auditLog, Credentials: conns, Logger: logger, Now: clock.Now})
	hooks := webhooks.New(webhooks.Options{Store: st, Keyring: keyring, Audit: auditLog, Logger: logger, Now: clock.Now})
	// Function runs may call upstreams that tests start on 127.0.0.1.
	sender := egress.NewSender(egress.TransportOptions{AllowPrivate: true}, logger)
	fns := functions.New(functions.Options{Store: st, Connections: conns, Sender: sender, Audit: auditLog, Logger: logger, Now: clock.Now})

	s := &site{t: t, store: st, clock: clock, orgID: boot.OrgID, logs: logs, conns: conns}
	adminUser, err := st.GetUserByUsername(t.Context(), boot.OrgID, members.AdminUsername)
	if err != nil {
		t.Fatal(err)
	}
	s.admin = connections.Actor{OrgID: boot.OrgID, UserID: adminUser.ID, Username: adminUser.Username, Role: adminUser.Role}
	httpServer := httptest.NewUnstartedServer(nil)
	s.url = "http://" + httpServer.Listener.Addr().String()
	s.options = web.Options{
		Store: st, Connections: conns, Members: mgr, Webhooks: hooks, Functions: fns, Audit: auditLog, Keyring: keyring, Logger: logger, Now: clock.Now, PublicURL: s.url,
	}
	s.server, err = web.New(s.options)
	if err != nil {
		t.Fatal(err)
	}
	httpServer.Config.Handler = s.server.Handler()
	httpServer.Start()
	t.Cleanup(httpServer.Close)
	return s
}

// client is one browser: a cookie jar, and no redirect following.
type client struct {
	s    *site
	http *http.Client
}

func (s *site) newClient() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return &client{s: s, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (c *client) get(path string) page {
	c.s.t.Helper()
	return c.send("GET", path, nil, nil)
}

// post sends a form as a browser on the same site would, with the
// Sec-Fetch-Site and Origin headers.
func (c *client) post(path string, form url.Values) page {
	c.s.t.Helper()
	return c.send("POST", path, form, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {c.s.url}})
}

func (c *client) send(method, path string, form url.Values, header http.Header) page {
	c.s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(c.s.t.Context(), method, c.s.url+path, body)
	if err != nil {
		c.s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		c.s.t.Fatal(err)
	}
	return page{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

// follow loads the page that a form's 303 response redirects to, as a
// browser does.
func (c *client) follow(p page) page {
	c.s.t.Helper()
	if p.status != http.StatusSeeOther {
		c.s.t.Fatalf("form response: status %d, want 303 to the next page\n%s", p.status, p.body)
	}
	return c.get(p.header.Get("Location"))
}

var csrfPattern = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// csrf returns the CSRF token of the first form on a page.
func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfPattern.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("page has no csrf_token field:\n%s", p.body)
	}
	return m[1]
}

// signIn signs in through the sign-in form and returns the response.
func (c *client) signIn(username, password string) page {
	c.s.t.Helper()
	form := c.get("/login")
	return c.post("/login", url.Values{
		"csrf_token": {form.csrf(c.s.t)}, "username": {username}, "password": {password}, "org": {"default"}, "next": {"/"},
	})
}

func (s *site) mustSignIn(c *client) {
	s.t.Helper()
	if resp := c.signIn("admin", adminPassword); resp.status != http.StatusSeeOther {
		s.t.Fatalf("sign-in: status %d, want 303\n%s", resp.status, resp.body)
	}
}

func (s *site) user(username string) store.User {
	s.t.Helper()
	u, err := s.store.GetUserByUsername(s.t.Context(), s.orgID, username)
	if err != nil {
		s.t.Fatal(err)
	}
	return u
}
