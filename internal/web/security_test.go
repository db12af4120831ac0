package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/web"
)

func TestSignInNextStaysOnSite(t *testing.T) {
	s := newSite(t)
	for _, next := range []string{
		"//evil.example/", "/\\evil.example/", "\\/evil.example/", "/%5Cevil.example/", "/\t/evil.example/",
		"javascript:alert(1)", "https:evil.example", "https://evil.example", "/%2F/evil.example", "/.//evil.example",
		"/..//evil.example", " //evil.example", "http:/\\evil.example", "/\x00/evil.example",
	} {
		c := s.newClient()
		form := c.get("/login?next=" + url.QueryEscape(next))
		resp := c.post("/login", url.Values{
			"csrf_token": {form.csrf(t)}, "username": {"admin"}, "password": {adminPassword}, "next": {next},
		})
		location := resp.header.Get("Location")
		if resp.status != http.StatusSeeOther || !onSite(location) {
			t.Errorf("sign-in with next %q: %d to %q, want 303 to a path on plugboard", next, resp.status, location)
		}
		// A signed-in visitor of the sign-in page is redirected at once.
		resp = c.get("/login?next=" + url.QueryEscape(next))
		if location := resp.header.Get("Location"); resp.status != http.StatusSeeOther || !onSite(location) {
			t.Errorf("signed-in /login?next=%q: %d to %q, want 303 to a path on plugboard", next, resp.status, location)
		}
	}
}

// onSite reports whether a browser keeps a Location on the same origin. A
// browser drops tabs and newlines and reads a backslash as a slash.
func onSite(location string) bool {
	cleaned := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(location)
	return strings.HasPrefix(cleaned, "/") && !strings.HasPrefix(cleaned, "//")
}

func TestSignInReplacesPlantedSession(t *testing.T) {
	s := newSite(t)
	setPassword(t, s, "admin", adminPassword)
	attacker := s.newClient()
	s.mustSignIn(attacker)
	planted := sessionCookieOfJar(t, attacker)

	// The attacker's cookie reaches the victim's browser after the
	// sign-in form loaded, as a cookie set from a sibling domain would.
	victim := s.newClient()
	form := victim.get("/login")
	victim.http.Jar.SetCookies(mustURL(t, s.url), []*http.Cookie{{Name: "plugboard_session", Value: planted}})
	resp := victim.post("/login", url.Values{"csrf_token": {form.csrf(t)}, "username": {"admin"}, "password": {adminPassword}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("sign-in: status %d, want 303", resp.status)
	}
	if got := sessionCookieOf(t, resp).Value; got == planted {
		t.Errorf("sign-in kept the session cookie the browser had before")
	}
	if resp := attacker.get("/"); resp.status != http.StatusSeeOther {
		t.Errorf("the planted session after the victim signed in: status %d, want 303 to sign in", resp.status)
	}
}

func sessionCookieOfJar(t *testing.T, c *client) string {
	t.Helper()
	for _, cookie := range c.http.Jar.Cookies(mustURL(t, c.s.url)) {
		if cookie.Name == "plugboard_session" {
			return cookie.Value
		}
	}
	t.Fatal("client has no session cookie")
	return ""
}

func TestCSRFTokenOfAnotherSession(t *testing.T) {
	s := newSite(t)
	first, second := s.adminClient(), s.adminClient()
	otherToken := second.get("/").csrf(t)
	if otherToken == first.get("/").csrf(t) {
		t.Fatal("two sessions share one CSRF token")
	}
	if resp := first.post("/logout", url.Values{"csrf_token": {otherToken}}); resp.status != http.StatusForbidden {
		t.Errorf("sign-out with another session's token: status %d, want 403", resp.status)
	}
	login := s.newClient().get("/login").csrf(t)
	if resp := first.post("/logout", url.Values{"csrf_token": {login}}); resp.status != http.StatusForbidden {
		t.Errorf("sign-out with a sign-in form's token: status %d, want 403", resp.status)
	}
}

func TestSessionFollowsMemberChanges(t *testing.T) {
	s := newSite(t)
	admin := s.adminClient()
	resp := admin.postForm("/members", "/members", url.Values{"username": {"bob"}, "role": {"admin"}, "password": {"bob-password-1"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("add bob: status %d", resp.status)
	}
	bob := s.newClient()
	if resp := bob.signIn("bob", "bob-password-1"); resp.status != http.StatusSeeOther {
		t.Fatalf("bob signs in: status %d", resp.status)
	}
	if resp := bob.get("/audit"); resp.status != http.StatusOK {
		t.Fatalf("audit log of admin bob: status %d, want 200", resp.status)
	}

	resp = admin.postForm("/members", "/members/bob/role", url.Values{"role": {"viewer"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("demote bob: status %d", resp.status)
	}
	if resp := bob.get("/audit"); resp.status != http.StatusForbidden {
		t.Errorf("audit log after bob became a viewer: status %d, want 403", resp.status)
	}
	if resp := bob.postForm("/members", "/members", url.Values{"username": {"eve"}, "role": {"admin"}}); resp.status != http.StatusForbidden {
		t.Errorf("viewer bob adds a member with an older session: status %d, want 403", resp.status)
	}

	resp = admin.postForm("/members", "/members/bob/delete", url.Values{})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("remove bob: status %d\n%s", resp.status, resp.body)
	}
	if resp := bob.get("/"); resp.status != http.StatusSeeOther {
		t.Errorf("home of a removed member: status %d, want 303 to sign in", resp.status)
	}
}

func TestCookiesBehindHTTPS(t *testing.T) {
	s := newSite(t)
	httpServer := httptest.NewUnstartedServer(nil)
	server, err := web.New(web.Options{Store: s.store, Now: s.clock.Now, PublicURL: "https://plugboard.example"})
	if err != nil {
		t.Fatal(err)
	}
	httpServer.Config.Handler = server.Handler()
	httpServer.Start()
	t.Cleanup(httpServer.Close)
	other := *s
	other.url = "http://" + httpServer.Listener.Addr().String()
	c := other.newClient()

	form := c.get("/login")
	if form.header.Get("Strict-Transport-Security") == "" {
		t.Errorf("sign-in page behind https has no Strict-Transport-Security header")
	}
	for _, line := range form.header.Values("Set-Cookie") {
		if cookie, err := http.ParseSetCookie(line); err == nil && !cookie.Secure {
			t.Errorf("sign-in page behind https sets %s without Secure", cookie.Name)
		}
	}
	resp := c.post("/login", url.Values{"csrf_token": {form.csrf(t)}, "username": {"admin"}, "password": {adminPassword}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("sign-in: status %d\n%s", resp.status, resp.body)
	}
	for _, line := range resp.header.Values("Set-Cookie") {
		cookie, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatal(err)
		}
		if !cookie.Secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s behind https = %+v, want Secure, HttpOnly and SameSite=Lax", cookie.Name, cookie)
		}
	}
}

func TestErrorPagesCarrySecurityHeaders(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	token := c.get("/").csrf(t)
	for name, resp := range map[string]page{
		"not found":        c.get("/no-such-page"),
		"wrong method":     c.send("PUT", "/login", nil, nil),
		"unknown asset":    c.get("/assets/nothing.css"),
		"wrong csrf token": c.post("/logout", url.Values{"csrf_token": {"forged"}}),
		"cross-origin":     c.send("POST", "/logout", url.Values{"csrf_token": {token}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}),
		"unknown service":  c.get("/services/nothing"),
		"no session post":  s.newClient().post("/logout", url.Values{}),
	} {
		csp := resp.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("%s (status %d): Content-Security-Policy = %q", name, resp.status, csp)
		}
		if resp.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s (status %d): X-Frame-Options = %q, want DENY", name, resp.status, resp.header.Get("X-Frame-Options"))
		}
	}
}

const xss = `<script>alert(1)</script>"'><img src=x onerror=alert(1)>`

func TestPagesEscapeMemberValues(t *testing.T) {
	s := newSite(t)
	_, err := s.conns.CreateService(t.Context(), s.admin, catalog.Service{
		Key: "evil_svc", Name: "Evil " + xss, Description: "Description " + xss, AuthType: catalog.AuthAPIKey,
		APIKey:     &catalog.APIKeySettings{Params: []catalog.APIKeyParam{{Name: "X-Key", In: "header"}}},
		Scopes:     []catalog.Scope{{Name: "evil.read", Description: "Scope " + xss}},
		APIBaseURL: "https://api.evil.example",
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.conns.CreateConnection(t.Context(), s.admin, connections.ConnectionInput{
		Name: ptr("Conn " + xss), Service: "evil_svc", Description: ptr("Conn description " + xss),
	}); err != nil {
		t.Fatal(err)
	}

	c := s.adminClient()
	resp := c.postForm("/webhooks/new", "/webhooks/new", url.Values{
		"name": {"Hook " + xss}, "url": {"https://desk.example/x?q=" + url.QueryEscape(xss)}, "method": {"POST"}, "events": {"device.alarm"},
		"header_name": {"X-Evil"}, "header_value": {xss}, "body": {xss}, "enabled": {"on"}, "max_attempts": {"5"},
	})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("create webhook: status %d\n%s", resp.status, resp.body)
	}

	paths := []string{"/", "/?view=shared", "/services", "/services/evil_svc", "/connections/new", "/connections/new?service=evil_svc",
		"/connections/conn_script_alert_1_script_img_src_x_onerror_alert_1", "/webhooks", "/audit", "/members",
		"/?q=" + url.QueryEscape(xss), "/services?q=" + url.QueryEscape(xss), "/connections/new?q=" + url.QueryEscape(xss),
		"/audit?connection=" + url.QueryEscape(xss), "/no-such-page/" + url.PathEscape(xss)}
	hooks, err := s.store.ListWebhooks(t.Context(), s.orgID, store.ListWebhooksOptions{})
	if err != nil || len(hooks) != 1 {
		t.Fatalf("ListWebhooks() = %v, %v", hooks, err)
	}
	paths = append(paths, "/webhooks/"+hooks[0].ID)

	for _, path := range paths {
		page := c.get(path)
		for _, raw := range []string{"<script>alert", "<img src=x", "javascript:alert"} {
			if strings.Contains(page.body, raw) {
				t.Errorf("%s (status %d) contains %q unescaped", path, page.status, raw)
			}
		}
	}
}
