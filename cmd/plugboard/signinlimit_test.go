package main

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/plugboard/plugboard/internal/testkit"
	"github.com/plugboard/plugboard/internal/web"
)

// TestSignInLimitAcrossInstances sends concurrent wrong passwords for one
// member to two instances on one PostgreSQL database. The sign-in limit
// holds across both: no more guesses than the limit reach the password
// check, however they are spread.
func TestSignInLimitAcrossInstances(t *testing.T) {
	databaseURL := testkit.NewPostgresDatabase(t)
	t.Setenv("PLUGBOARD_MASTER_KEY", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	args := []string{"--database-url", databaseURL}
	instances := []*instance{startInstance(t, args...), startInstance(t, args...)}

	const attempts = 3 * web.LoginFailureLimit
	browsers := make([]*consentBrowser, attempts)
	tokens := make([]string, attempts)
	for i := range browsers {
		inst := instances[i%len(instances)]
		browsers[i] = newConsentBrowser(t)
		_, _, form := browsers[i].do(t, "GET", inst.URL+"/login", nil)
		token := csrfField.FindStringSubmatch(form)
		if token == nil {
			t.Fatalf("sign-in page has no csrf_token:\n%s", form)
		}
		tokens[i] = token[1]
	}

	statuses := make([]int, attempts)
	var wg sync.WaitGroup
	for i := range browsers {
		wg.Go(func() {
			inst := instances[i%len(instances)]
			statuses[i], _, _ = browsers[i].do(t, "POST", inst.URL+"/login", url.Values{
				"csrf_token": {tokens[i]}, "username": {"admin"}, "password": {"wrong-password"},
			})
		})
	}
	wg.Wait()

	checked, limited := 0, 0
	for _, status := range statuses {
		switch status {
		case http.StatusUnauthorized:
			checked++
		case http.StatusTooManyRequests:
			limited++
		}
	}
	if checked > web.LoginFailureLimit {
		t.Errorf("%d of %d concurrent guesses on two instances had their password checked, want at most %d", checked, attempts, web.LoginFailureLimit)
	}
	if checked+limited != attempts {
		t.Errorf("statuses = %v, want only 401 and 429", statuses)
	}
}
