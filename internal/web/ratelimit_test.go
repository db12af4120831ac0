package web_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"

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
