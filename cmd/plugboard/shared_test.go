package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/oauthtest"
)

// connectAs runs the authorization code flow of a connection for the member
// with token, signing in to the provider as username.
func connectAs(t *testing.T, inst *instance, provider *oauthtest.Provider, token, link, username, password string) {
	t.Helper()
	resp := call(t, "POST", inst.URL+"/v1/connections/"+link+"/connect", token, map[string]string{})
	mustStatus(t, "connect "+link+" as "+username, resp, http.StatusOK)
	authURL, _ := resp.JSON(t)["authorization_url"].(string)
	callback, err := provider.Authorize(context.Background(), authURL, username, password)
	if err != nil {
		t.Fatalf("authorizing %s at the provider: %v", username, err)
	}
	mustStatus(t, "callback for "+username, call(t, "GET", inst.URL+"/oauth/callback?"+callback.RawQuery, "", nil), http.StatusOK)
}

// subjectOf calls the provider's API through a connection with token and
// returns the end user the provider saw.
func subjectOf(t *testing.T, inst *instance, token, link string) string {
	t.Helper()
	resp := call(t, "GET", inst.URL+"/v1/connections/"+link+"/proxy/devices", token, nil)
	mustStatus(t, "proxy "+link, resp, http.StatusOK)
	subject, _ := resp.JSON(t)["subject"].(string)
	return subject
}

// TestInteropSharedConnection follows the shared-connection story: one
// member creates a connection with use_login_user_credentials on, a second
// member finds it under Shared connections and connects their own account,
// and each member's calls carry their own token.
func TestInteropSharedConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("interop test starts Node.js and plugboard processes; run without -short")
	}
	provider := oauthtest.Start(t, oauthtest.Options{
		Clients: []oauthtest.Client{{
			ID: "plugboard-client", Secret: clientSecret, AuthMethod: oauthtest.AuthMethodBasic,
			RedirectURIs: []string{"http://127.0.0.1/oauth/callback"},
		}},
	})
	inst := startInstance(t)
	v1 := inst.URL + "/v1"
	admin := testAdminToken

	mustStatus(t, "create service", call(t, "POST", v1+"/services", admin, map[string]any{
		"key": "acme", "name": "Acme devices API", "auth_type": "oauth2",
		"oauth2": map[string]any{
			"authorization_url": provider.AuthorizationURL, "token_url": provider.TokenURL,
			"revocation_url": provider.RevocationURL, "token_auth_method": "client_secret_basic",
		},
		"scopes":       []map[string]string{{"name": "offline_access"}, {"name": "devices.read"}},
		"api_base_url": provider.APIBaseURL,
	}), http.StatusCreated)
	mustStatus(t, "create application", call(t, "POST", v1+"/applications", admin, map[string]any{
		"service": "acme", "name": "Production", "client_id": "plugboard-client", "client_secret": clientSecret,
	}), http.StatusCreated)

	// A second member, bob, with a token of his own.
	mustStatus(t, "create member", call(t, "POST", v1+"/users", admin, map[string]string{"username": "bob", "role": "developer"}), http.StatusCreated)
	resp := call(t, "POST", v1+"/tokens", admin, map[string]string{"name": "bob's laptop", "user": "bob"})
	mustStatus(t, "create bob's token", resp, http.StatusCreated)
	bob, _ := resp.JSON(t)["token"].(string)

	// The admin creates a shared connection and connects as alice.
	mustStatus(t, "create shared connection", call(t, "POST", v1+"/connections", admin, map[string]any{
		"name": "Shared devices", "service": "acme", "scopes": []string{"offline_access", "devices.read"},
		"use_login_user_credentials": true,
	}), http.StatusCreated)
	connectAs(t, inst, provider, admin, "shared_devices", "alice", "wonderland")

	// Bob finds it under Shared connections, not connected for him.
	resp = call(t, "GET", v1+"/connections?view=shared", bob, nil)
	mustStatus(t, "bob's shared connections", resp, http.StatusOK)
	items, _ := resp.JSON(t)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("bob sees %d shared connections, want 1: %s", len(items), resp.Body)
	}
	shared, _ := items[0].(map[string]any)
	if shared["link_name"] != "shared_devices" || shared["status"] != "connected" || shared["my_status"] != "not_connected" {
		t.Errorf("bob's view = %s, want shared_devices connected by its owner and not_connected for bob", resp.Body)
	}
	resp = call(t, "GET", v1+"/connections?view=mine", bob, nil)
	if items, _ := resp.JSON(t)["items"].([]any); len(items) != 0 {
		t.Errorf("bob's own connections = %s, want none", resp.Body)
	}

	// Until bob connects, his calls fail and tell him where to connect.
	resp = call(t, "GET", v1+"/connections/shared_devices/proxy/devices", bob, nil)
	mustStatus(t, "bob's call before connecting", resp, http.StatusConflict)
	problem := resp.JSON(t)
	if problem["code"] != "authorization_required" || !strings.HasSuffix(problem["connect_url"].(string), "/v1/connections/shared_devices/connect") {
		t.Errorf("bob's call before connecting = %s, want authorization_required with a connect_url", resp.Body)
	}

	connectAs(t, inst, provider, bob, "shared_devices", "bob", "builder")
	if got := subjectOf(t, inst, admin, "shared_devices"); got != "alice" {
		t.Errorf("the admin's call went out as %q, want alice", got)
	}
	if got := subjectOf(t, inst, bob, "shared_devices"); got != "bob" {
		t.Errorf("bob's call went out as %q, want bob", got)
	}

	// The admin lists who holds a credential, without tokens, and ends bob's.
	resp = call(t, "GET", v1+"/connections/shared_devices/credentials", admin, nil)
	mustStatus(t, "list credential holders", resp, http.StatusOK)
	for _, want := range []string{`"user":"admin"`, `"user":"bob"`} {
		if !strings.Contains(string(resp.Body), want) {
			t.Errorf("holders = %s, want %s among them", resp.Body, want)
		}
	}
	if strings.Contains(string(resp.Body), "token\":") {
		t.Errorf("holders list shows a token: %s", resp.Body)
	}
	mustStatus(t, "bob lists holders", call(t, "GET", v1+"/connections/shared_devices/credentials", bob, nil), http.StatusForbidden)
	mustStatus(t, "revoke bob's credential", call(t, "DELETE", v1+"/connections/shared_devices/credentials/bob", admin, nil), http.StatusOK)
	resp = call(t, "GET", v1+"/connections/shared_devices/proxy/devices", bob, nil)
	mustStatus(t, "bob's call after the admin revoked it", resp, http.StatusConflict)
	if got := subjectOf(t, inst, admin, "shared_devices"); got != "alice" {
		t.Errorf("after bob's revoke the admin's call went out as %q, want alice", got)
	}

	// Without the switch every call uses the owner's credential.
	mustStatus(t, "create unshared connection", call(t, "POST", v1+"/connections", admin, map[string]any{
		"name": "Team devices", "service": "acme", "scopes": []string{"offline_access", "devices.read"},
	}), http.StatusCreated)
	connectAs(t, inst, provider, admin, "team_devices", "alice", "wonderland")
	if got := subjectOf(t, inst, bob, "team_devices"); got != "alice" {
		t.Errorf("bob's call through the unshared connection went out as %q, want the owner's alice", got)
	}
	resp = call(t, "POST", v1+"/connections/team_devices/revoke", bob, nil)
	mustStatus(t, "bob revokes the owner's credential", resp, http.StatusForbidden)
}
