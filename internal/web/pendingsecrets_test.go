package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/web"
)

// wantRedirectToDisplay checks that a form's response is a 303 to path
// with a display parameter, and returns the Location.
func wantRedirectToDisplay(t *testing.T, resp page, path string) string {
	t.Helper()
	if resp.status != http.StatusSeeOther {
		t.Fatalf("form response: status %d, want 303\n%s", resp.status, resp.body)
	}
	location := resp.header.Get("Location")
	u, err := url.Parse(location)
	if err != nil {
		t.Fatalf("Location %q: %v", location, err)
	}
	if u.Path != path || u.Query().Get("display") == "" {
		t.Fatalf("Location = %q, want %s?display=<id>", location, path)
	}
	return location
}

// wantShownOnce loads location twice and returns the secret that the
// first load shows. The second load must not show it and must show the
// notice that it is gone.
func wantShownOnce(t *testing.T, c *client, location string, pattern *regexp.Regexp) string {
	t.Helper()
	first := c.get(location)
	m := pattern.FindStringSubmatch(first.body)
	if first.status != http.StatusOK || m == nil {
		t.Fatalf("first GET %s: status %d, want 200 showing the secret\n%s", location, first.status, first.body)
	}
	if strings.Contains(first.body, `id="secret-gone"`) {
		t.Errorf("first GET %s says the secret is gone", location)
	}
	if got := first.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("first GET %s: Cache-Control = %q, want no-store", location, got)
	}

	second := c.get(location)
	if second.status != http.StatusOK {
		t.Errorf("second GET %s: status %d, want 200", location, second.status)
	}
	if strings.Contains(second.body, m[1]) {
		t.Errorf("second GET %s shows the secret again", location)
	}
	wantContains(t, "second GET", second, `id="secret-gone"`, "was shown once and is no longer available")
	return m[1]
}

// wantSecretKeptOut checks that a secret appears in no URL, cookie or log
// line of the exchange.
func wantSecretKeptOut(t *testing.T, s *site, secret string, responses ...page) {
	t.Helper()
	for _, resp := range responses {
		if strings.Contains(resp.header.Get("Location"), secret) {
			t.Errorf("Location %q contains the secret", resp.header.Get("Location"))
		}
		for _, cookie := range resp.header.Values("Set-Cookie") {
			if strings.Contains(cookie, secret) {
				t.Errorf("Set-Cookie %q contains the secret", cookie)
			}
		}
	}
	if strings.Contains(s.logs.String(), secret) {
		t.Errorf("the log contains the secret:\n%s", s.logs.String())
	}
}

// anotherInstance returns the site as served by another web UI server on
// the same database, made with the site's options after change.
func (s *site) anotherInstance(change func(*web.Options)) *site {
	s.t.Helper()
	httpServer := httptest.NewUnstartedServer(nil)
	other := *s
	other.url = "http://" + httpServer.Listener.Addr().String()
	opts := s.options
	opts.PublicURL = other.url
	change(&opts)
	server, err := web.New(opts)
	if err != nil {
		s.t.Fatal(err)
	}
	httpServer.Config.Handler = server.Handler()
	httpServer.Start()
	s.t.Cleanup(httpServer.Close)
	return &other
}

func TestTokenShownOnceAfterRedirect(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()

	resp := c.postForm("/members/tokens", "/members/tokens", url.Values{"name": {"ci"}, "user": {"admin"}})
	location := wantRedirectToDisplay(t, resp, "/members/tokens")
	token := wantShownOnce(t, c, location, tokenPattern)
	wantSecretKeptOut(t, s, token, resp)

	page := c.get("/members/tokens")
	if n := strings.Count(page.body, `<td data-label="Name">ci</td>`); n != 1 {
		t.Errorf("token list has %d tokens named ci after two loads of the display page, want 1", n)
	}
	if strings.Contains(page.body, `id="secret-gone"`) {
		t.Errorf("the tokens page without a display parameter says a secret is gone")
	}
}

func TestWebhookSecretShownOnce(t *testing.T) {
	s, c := newKeyedConnectionSite(t)

	resp := c.postForm("/webhooks/new", "/webhooks/new", url.Values{
		"name": {"Alarm"}, "url": {"https://desk.example/x"}, "method": {"POST"}, "events": {"device.alarm"}, "enabled": {"on"}, "max_attempts": {"5"},
	})
	location := resp.header.Get("Location")
	hookPath, _, _ := strings.Cut(location, "?")
	wantRedirectToDisplay(t, resp, hookPath)
	created := wantShownOnce(t, c, location, secretPattern)
	wantSecretKeptOut(t, s, created, resp)

	t.Run("rotate", func(t *testing.T) {
		resp := c.postForm(hookPath, hookPath+"/rotate-secret", url.Values{})
		location := wantRedirectToDisplay(t, resp, hookPath)
		rotated := wantShownOnce(t, c, location, secretPattern)
		if rotated == created {
			t.Errorf("rotating showed the old secret")
		}
		wantSecretKeptOut(t, s, rotated, resp)
	})

	t.Run("unbind", func(t *testing.T) {
		resp := c.postBoundWebhook("https://api.keyed.example/alarms")
		if resp.status != http.StatusSeeOther || strings.Contains(resp.header.Get("Location"), "display=") {
			t.Fatalf("bound webhook: status %d to %q, want 303 without a display parameter", resp.status, resp.header.Get("Location"))
		}
		boundPath := resp.header.Get("Location")
		if page := c.get(boundPath); secretPattern.MatchString(page.body) || strings.Contains(page.body, `id="secret-gone"`) {
			t.Errorf("bound webhook's page shows a secret or a gone notice\n%s", page.body)
		}

		resp = c.postForm(boundPath, boundPath, url.Values{
			"name": {"Report alarm"}, "url": {"https://desk.example/alarms"}, "method": {"POST"}, "events": {"device.alarm"},
			"connection": {""}, "enabled": {"on"}, "max_attempts": {"5"},
		})
		location := wantRedirectToDisplay(t, resp, boundPath)
		secret := wantShownOnce(t, c, location, secretPattern)
		wantSecretKeptOut(t, s, secret, resp)
	})

	t.Run("display on another webhook", func(t *testing.T) {
		resp := c.postForm(hookPath, hookPath+"/rotate-secret", url.Values{})
		location := wantRedirectToDisplay(t, resp, hookPath)
		other := c.follow(c.postBoundWebhook("https://api.keyed.example/other"))
		otherPath := regexp.MustCompile(`action="(/webhooks/[^/"]+)/delete"`).FindStringSubmatch(other.body)
		if otherPath == nil {
			t.Fatalf("other webhook's page has no delete form\n%s", other.body)
		}
		query := strings.TrimPrefix(location, hookPath)
		page := c.get(otherPath[1] + query)
		if secretPattern.MatchString(page.body) {
			t.Errorf("another webhook's page shows the signing secret")
		}
		wantContains(t, "another webhook's page", page, `id="secret-gone"`)
	})
}

func TestPendingSecretOtherSession(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	if resp := c.postForm("/members", "/members", url.Values{"username": {"bob"}, "role": {"admin"}, "password": {"bobs-password-1"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("add bob: status %d", resp.status)
	}
	bob := s.newClient()
	if resp := bob.signIn("bob", "bobs-password-1"); resp.status != http.StatusSeeOther {
		t.Fatalf("bob signs in: status %d", resp.status)
	}
	adminElsewhere := s.adminClient()

	resp := c.postForm("/members/tokens", "/members/tokens", url.Values{"name": {"ci"}, "user": {"admin"}})
	location := wantRedirectToDisplay(t, resp, "/members/tokens")

	for name, other := range map[string]*client{"another member": bob, "the admin's other session": adminElsewhere} {
		page := other.get(location)
		if tokenPattern.MatchString(page.body) {
			t.Errorf("%s reads the new token", name)
		}
		wantContains(t, name, page, `id="secret-gone"`)
	}
	wantShownOnce(t, c, location, tokenPattern)
}

func TestPendingSecretOtherInstance(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	// Cookies are scoped by host, not port, so the same browser carries its
	// session to the second instance.
	behindBalancer := &client{s: s.anotherInstance(func(*web.Options) {}), http: c.http}

	resp := c.postForm("/members/tokens", "/members/tokens", url.Values{"name": {"ci"}, "user": {"admin"}})
	location := wantRedirectToDisplay(t, resp, "/members/tokens")
	wantShownOnce(t, behindBalancer, location, tokenPattern)
	if page := c.get(location); tokenPattern.MatchString(page.body) {
		t.Errorf("the first instance shows the token after the second showed it")
	}
}

func TestPendingSecretExpires(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()

	resp := c.postForm("/members/tokens", "/members/tokens", url.Values{"name": {"ci"}, "user": {"admin"}})
	location := wantRedirectToDisplay(t, resp, "/members/tokens")
	s.clock.Advance(5 * time.Minute)
	page := c.get(location)
	if tokenPattern.MatchString(page.body) {
		t.Errorf("the token is shown 5 minutes after it was made")
	}
	wantContains(t, "expired display", page, `id="secret-gone"`)
}

func TestTokenWithoutKeyringShownInResponse(t *testing.T) {
	s := newSite(t)
	c := s.anotherInstance(func(opts *web.Options) { opts.Keyring = nil }).adminClient()

	resp := c.postForm("/members/tokens", "/members/tokens", url.Values{"name": {"ci"}, "user": {"admin"}})
	m := tokenPattern.FindStringSubmatch(resp.body)
	if resp.status != http.StatusCreated || m == nil {
		t.Fatalf("create token without a keyring: status %d, want 201 showing the token\n%s", resp.status, resp.body)
	}
	if !strings.Contains(s.logs.String(), "keeping a new API token for its display failed") {
		t.Errorf("the log lacks the warning about the token not kept:\n%s", s.logs.String())
	}
	wantSecretKeptOut(t, s, m[1], resp)
}
