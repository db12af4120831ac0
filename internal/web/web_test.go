package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/web"
)

func TestSignInAndOut(t *testing.T) {
	s := newSite(t)
	c := s.newClient()

	resp := c.get("/")
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/login?next=%2F" {
		t.Fatalf("home without a session: %d to %q, want 303 to the sign-in page", resp.status, resp.header.Get("Location"))
	}

	resp = c.signIn("admin", "wrong-password")
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, `id="password-error">Wrong username or password.`) {
		t.Errorf("wrong password: status %d, want 401 with the error next to the password\n%s", resp.status, resp.body)
	}
	if !strings.Contains(resp.body, `value="admin"`) {
		t.Errorf("the username typed is lost after a failed sign-in")
	}
	resp = c.signIn("nobody", "wrong-password")
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, "Wrong username or password.") {
		t.Errorf("unknown user: status %d, want 401 with the same message as a wrong password", resp.status)
	}

	resp = c.signIn("admin", adminPassword)
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/" {
		t.Fatalf("sign-in: %d to %q, want 303 to /", resp.status, resp.header.Get("Location"))
	}
	cookie := sessionCookieOf(t, resp)
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure {
		t.Errorf("session cookie = %+v, want HttpOnly, SameSite=Lax, Path=/ and not Secure over http", cookie)
	}
	home := c.get("/")
	if home.status != http.StatusOK || !strings.Contains(home.body, "My connections") || !strings.Contains(home.body, `class="member"`) {
		t.Fatalf("home after sign-in: status %d\n%s", home.status, home.body)
	}

	resp = c.post("/logout", url.Values{"csrf_token": {home.csrf(t)}})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/login?notice=signed_out" {
		t.Errorf("sign-out: %d to %q, want 303 to the sign-in page", resp.status, resp.header.Get("Location"))
	}
	if resp := c.get("/"); resp.status != http.StatusSeeOther {
		t.Errorf("home after sign-out: status %d, want 303 to sign in", resp.status)
	}
	// The old cookie no longer signs in, even when replayed.
	replay := s.newClient()
	replay.http.Jar.SetCookies(mustURL(t, s.url), []*http.Cookie{{Name: "plugboard_session", Value: cookie.Value}})
	if resp := replay.get("/"); resp.status != http.StatusSeeOther {
		t.Errorf("replayed cookie after sign-out: status %d, want 303 to sign in", resp.status)
	}
}

func sessionCookieOf(t *testing.T, resp page) *http.Cookie {
	t.Helper()
	for _, line := range resp.header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err == nil && c.Name == "plugboard_session" {
			return c
		}
	}
	t.Fatalf("response sets no plugboard_session cookie: %v", resp.header.Values("Set-Cookie"))
	return nil
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSignInReturnsToPath(t *testing.T) {
	s := newSite(t)
	for _, tt := range []struct{ next, want string }{
		{"/?view=shared", "/?view=shared"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/login", "/"},
	} {
		c := s.newClient()
		form := c.get("/login?next=" + url.QueryEscape(tt.next))
		resp := c.post("/login", url.Values{
			"csrf_token": {form.csrf(t)}, "username": {"admin"}, "password": {adminPassword}, "next": {tt.next},
		})
		if got := resp.header.Get("Location"); resp.status != http.StatusSeeOther || got != tt.want {
			t.Errorf("sign-in with next %q: %d to %q, want 303 to %q", tt.next, resp.status, got, tt.want)
		}
	}
}

func TestSignInWithoutPassword(t *testing.T) {
	s := newSite(t)
	if err := s.store.SetPasswordHash(t.Context(), s.orgID, s.user("admin").ID, ""); err != nil {
		t.Fatal(err)
	}
	resp := s.newClient().signIn("admin", "any-password")
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, "plugboard set-password --user admin") {
		t.Errorf("member without a password: status %d, want 401 naming plugboard set-password\n%s", resp.status, resp.body)
	}
}

func TestFormsNeedCSRFToken(t *testing.T) {
	s := newSite(t)
	c := s.newClient()
	s.mustSignIn(c)

	for name, form := range map[string]url.Values{
		"missing token": {},
		"wrong token":   {"csrf_token": {"not-the-token"}},
	} {
		resp := c.post("/logout", form)
		if resp.status != http.StatusForbidden {
			t.Errorf("%s: sign-out status %d, want 403", name, resp.status)
		}
	}
	if resp := c.get("/"); resp.status != http.StatusOK {
		t.Errorf("session after rejected sign-outs: status %d, want 200 (still signed in)", resp.status)
	}

	// The sign-in form carries a token tied to a cookie of its own.
	other := s.newClient()
	resp := other.post("/login", url.Values{"csrf_token": {"forged"}, "username": {"admin"}, "password": {adminPassword}})
	if resp.status != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: status %d, want 403", resp.status)
	}
}

func TestCrossOriginPostRejected(t *testing.T) {
	s := newSite(t)
	c := s.newClient()
	s.mustSignIn(c)
	home := c.get("/")

	for name, header := range map[string]http.Header{
		"cross-site fetch": {"Sec-Fetch-Site": {"cross-site"}},
		"foreign origin":   {"Origin": {"https://evil.example"}},
	} {
		resp := c.send("POST", "/logout", url.Values{"csrf_token": {home.csrf(t)}}, header)
		if resp.status != http.StatusForbidden || !strings.Contains(resp.body, "another site") {
			t.Errorf("%s: status %d, want 403 saying the form came from another site", name, resp.status)
		}
	}
	if resp := c.get("/"); resp.status != http.StatusOK {
		t.Errorf("session after cross-origin posts: status %d, want 200 (still signed in)", resp.status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := newSite(t)
	c := s.newClient()
	for _, path := range []string{"/login", "/", "/no-such-page", "/assets/style.css"} {
		resp := c.get(path)
		csp := resp.header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", path, csp, want)
			}
		}
		if resp.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options = %q, want nosniff", path, resp.header.Get("X-Content-Type-Options"))
		}
	}
	page := c.get("/login")
	if strings.Contains(page.body, "<script>") || strings.Contains(page.body, " onclick=") || strings.Contains(page.body, "style=") {
		t.Errorf("sign-in page has inline script or style, which the policy blocks")
	}
	if resp := c.get("/no-such-page"); resp.status != http.StatusNotFound {
		t.Errorf("unknown page: status %d, want 404", resp.status)
	}
}

func TestSessionExpires(t *testing.T) {
	s := newSite(t)
	c := s.newClient()
	s.mustSignIn(c)

	// Use within the idle timeout keeps the session alive.
	for range 3 {
		s.clock.Advance(web.DefaultSessionIdle - time.Hour)
		if resp := c.get("/"); resp.status != http.StatusOK {
			t.Fatalf("home after %v idle: status %d, want 200", web.DefaultSessionIdle-time.Hour, resp.status)
		}
	}
	s.clock.Advance(web.DefaultSessionIdle + time.Second)
	if resp := c.get("/"); resp.status != http.StatusSeeOther {
		t.Errorf("home after the idle timeout: status %d, want 303 to sign in", resp.status)
	}

	// The absolute lifetime ends a session however busy it is.
	s.mustSignIn(c)
	for elapsed := time.Duration(0); elapsed < web.DefaultSessionLifetime-time.Hour; elapsed += time.Hour {
		s.clock.Advance(time.Hour)
		c.get("/")
	}
	s.clock.Advance(2 * time.Hour)
	if resp := c.get("/"); resp.status != http.StatusSeeOther {
		t.Errorf("home after the absolute lifetime: status %d, want 303 to sign in", resp.status)
	}
}

func TestPasswordResetEndsSessions(t *testing.T) {
	s := newSite(t)
	c := s.newClient()
	s.mustSignIn(c)
	if _, err := members.SetUserPassword(t.Context(), s.store, s.orgID, "admin", "a-new-password"); err != nil {
		t.Fatal(err)
	}
	if resp := c.get("/"); resp.status != http.StatusSeeOther {
		t.Errorf("home after a password reset: status %d, want 303 to sign in", resp.status)
	}
	if resp := c.signIn("admin", adminPassword); resp.status != http.StatusUnauthorized {
		t.Errorf("sign-in with the old password: status %d, want 401", resp.status)
	}
	if resp := c.signIn("admin", "a-new-password"); resp.status != http.StatusSeeOther {
		t.Errorf("sign-in with the new password: status %d, want 303", resp.status)
	}
}

func TestSignInRateLimited(t *testing.T) {
	s := newSite(t)
	c := s.newClient()
	for i := range web.LoginFailureLimit {
		if resp := c.signIn("admin", "wrong-password"); resp.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, resp.status)
		}
		s.clock.Advance(time.Second)
	}
	resp := c.signIn("admin", adminPassword)
	if resp.status != http.StatusTooManyRequests || !strings.Contains(resp.body, "Too many failed sign-ins") {
		t.Fatalf("sign-in after %d failures: status %d, want 429 saying when to retry\n%s", web.LoginFailureLimit, resp.status, resp.body)
	}
	retry, err := strconv.Atoi(resp.header.Get("Retry-After"))
	if err != nil || retry < 60 || retry > int(web.LoginFailureWindow.Seconds())+1 {
		t.Errorf("Retry-After = %q, want seconds until the first failure leaves the %v window", resp.header.Get("Retry-After"), web.LoginFailureWindow)
	}

	// The limit is in the database, so another instance on the same
	// database rejects the sign-in too.
	second := s.secondInstance()
	if resp := second.signIn("admin", adminPassword); resp.status != http.StatusTooManyRequests {
		t.Errorf("sign-in on a second instance: status %d, want 429", resp.status)
	}
	// Failures from one address count for every username it tries.
	if resp := c.signIn("bob", "wrong-password"); resp.status != http.StatusTooManyRequests {
		t.Errorf("another username from the same address: status %d, want 429", resp.status)
	}

	s.clock.Advance(web.LoginFailureWindow)
	if resp := c.signIn("admin", adminPassword); resp.status != http.StatusSeeOther {
		t.Errorf("sign-in after the window: status %d, want 303", resp.status)
	}
}

// secondInstance returns a client of another web UI server on the site's
// database, like a second plugboard instance.
func (s *site) secondInstance() *client {
	s.t.Helper()
	httpServer := httptest.NewUnstartedServer(nil)
	u := "http://" + httpServer.Listener.Addr().String()
	server, err := web.New(web.Options{Store: s.store, Now: s.clock.Now, PublicURL: u})
	if err != nil {
		s.t.Fatal(err)
	}
	httpServer.Config.Handler = server.Handler()
	httpServer.Start()
	s.t.Cleanup(httpServer.Close)
	other := *s
	other.url = u
	return other.newClient()
}
