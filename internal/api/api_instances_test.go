package api_test

import (
	"net/http"
	"testing"
)

// Each test runs two API servers on one SQLite database, each with its own
// store cache, and changes on the first what the second has cached.

func TestInstancesRejectRevokedToken(t *testing.T) {
	first := newStack(t)
	second := newStackWith(t, stackOptions{instanceOf: first})
	resp := first.admin("POST", "/v1/tokens", map[string]any{"name": "ci"})
	wantStatus(t, resp, http.StatusCreated)
	created := decode[struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}](t, resp)
	// The first server shows the token once, when it creates it, and the
	// second never returns it.
	second.addSecret(created.Token)
	wantStatus(t, second.do("GET", "/v1/connections", created.Token, nil), http.StatusOK)

	wantStatus(t, first.admin("DELETE", "/v1/tokens/"+created.ID, nil), http.StatusNoContent)

	wantProblem(t, second.do("GET", "/v1/connections", created.Token, nil), http.StatusUnauthorized, "invalid_token")
}

func TestInstancesRejectDeletedUser(t *testing.T) {
	first := newStack(t)
	second := newStackWith(t, stackOptions{instanceOf: first})
	token := first.addUser("bob", "developer")
	second.addSecret(token)
	wantStatus(t, second.do("GET", "/v1/connections", token, nil), http.StatusOK)

	wantStatus(t, first.admin("DELETE", "/v1/users/bob", nil), http.StatusNoContent)

	wantProblem(t, second.do("GET", "/v1/connections", token, nil), http.StatusUnauthorized, "invalid_token")
}

func TestInstancesApplyChangedRole(t *testing.T) {
	first := newStack(t)
	second := newStackWith(t, stackOptions{instanceOf: first})
	up := newUpstream(t)
	link := keyConnection(t, first, up, "header")
	token := first.addUser("bob", "developer")
	second.addSecret(token)
	wantStatus(t, second.do("GET", "/v1/connections/"+link+"/proxy/items", token, nil), http.StatusOK)

	wantStatus(t, first.admin("PATCH", "/v1/users/bob", map[string]any{"role": "viewer"}), http.StatusOK)

	wantProblem(t, second.do("GET", "/v1/connections/"+link+"/proxy/items", token, nil), http.StatusForbidden, "forbidden")
}

func TestInstancesSendReconnectedKey(t *testing.T) {
	first := newStack(t)
	second := newStackWith(t, stackOptions{instanceOf: first})
	up := newUpstream(t)
	link := keyConnection(t, first, up, "header")
	wantStatus(t, second.admin("GET", "/v1/connections/"+link+"/proxy/items", nil), http.StatusOK)

	const newKey = "key-after-reconnect-5a1e"
	second.addSecret(newKey)
	wantStatus(t, first.admin("POST", "/v1/connections/"+link+"/revoke", nil), http.StatusOK)
	wantProblem(t, second.admin("GET", "/v1/connections/"+link+"/proxy/items", nil), http.StatusConflict, "connection_not_connected")
	first.connectWithSecrets(link, map[string]string{"X-API-Key": newKey})

	wantStatus(t, second.admin("GET", "/v1/connections/"+link+"/proxy/items", nil), http.StatusOK)
	got := up.received()
	if last := got[len(got)-1].Header.Get("X-API-Key"); last != newKey {
		t.Errorf("second instance sent X-API-Key %q after the reconnect, want the new key", last)
	}
}
