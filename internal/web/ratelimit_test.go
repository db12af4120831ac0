package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/web"
)

func TestSignInLimitHoldsForConcurrentAttempts(t *testing.T) {
	s := newSite(t)
	const attempts = 3 * web.LoginFailureLimit

	// Every attempt gets its own sign-in form first, so the guesses below
	// reach the password check at the same time.
	clients := make([]*client, attempts)
	tokens := make([]string, attempts)
	for i := range clients {
		clients[i] = s.newClient()
		tokens[i] = clients[i].get("/login").csrf(t)
	}
	statuses := make([]int, attempts)
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			statuses[i] = clients[i].post("/login", url.Values{
				"csrf_token": {tokens[i]}, "username": {"admin"}, "password": {"wrong-password"}, "org": {"default"},
			}).status
		})
	}
	wg.Wait()

	checked := 0
	for _, status := range statuses {
		if status == http.StatusUnauthorized {
			checked++
		}
	}
	if checked > web.LoginFailureLimit {
		t.Errorf("%d of %d concurrent guesses had their password checked, want at most %d", checked, attempts, web.LoginFailureLimit)
	}
}

func TestSignInLimitBypasses(t *testing.T) {
	s := newSite(t)
	c := s.newClient()
	for range web.LoginFailureLimit {
		c.signIn("admin", "wrong-password")
	}

	// Another spelling of the username, or a forged client address, does
	// not sign in with the right password while the limit holds.
	for _, tt := range []struct {
		username string
		header   http.Header
	}{
		{"ADMIN", nil},
		{"Admin", nil},
		{" admin ", nil},
		{"admin", http.Header{"X-Forwarded-For": {"198.51.100.7"}}},
		{"admin", http.Header{"X-Real-Ip": {"198.51.100.8"}, "Forwarded": {"for=198.51.100.8"}}},
	} {
		other := s.newClient()
		form := other.get("/login").csrf(t)
		header := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {s.url}}
		for k, v := range tt.header {
			header[k] = v
		}
		resp := other.send("POST", "/login", url.Values{
			"csrf_token": {form}, "username": {tt.username}, "password": {adminPassword}, "org": {"default"},
		}, header)
		if resp.status == http.StatusSeeOther {
			t.Errorf("sign-in as %q with headers %v after %d failures signed in, want it rejected", tt.username, tt.header, web.LoginFailureLimit)
		}
	}
}

func TestSignInRejectsHugeForm(t *testing.T) {
	s := newSite(t)
	c := s.newClient()
	token := c.get("/login").csrf(t)
	huge := strings.Repeat("a", 1<<20)
	resp := c.post("/login", url.Values{"csrf_token": {token}, "username": {huge}, "password": {"wrong-password"}, "org": {"default"}})
	if resp.status != http.StatusBadRequest {
		t.Errorf("sign-in with a 1 MiB username: status %d, want 400", resp.status)
	}
	// A failure is stored under its username, so an unbounded form would
	// let anyone fill the database through the sign-in page.
	n, _, err := s.store.CountLoginFailures(t.Context(), s.orgID, "user:"+huge, time.Time{})
	if err != nil || n != 0 {
		t.Errorf("CountLoginFailures(the huge username) = %d, %v; want 0, nil", n, err)
	}
}
