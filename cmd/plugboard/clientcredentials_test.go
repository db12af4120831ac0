package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/oauthtest"
)

// TestInteropClientCredentials connects a client credentials service, which
// needs no user step, and renews its token when it expires.
func TestInteropClientCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("interop test starts Node.js and plugboard processes; run without -short")
	}
	provider := oauthtest.Start(t, oauthtest.Options{
		Clients: []oauthtest.Client{{
			ID: "machine-client", Secret: clientSecret, AuthMethod: oauthtest.AuthMethodPost,
			RedirectURIs: []string{"http://127.0.0.1/oauth/callback"},
		}},
		AccessTokenTTL: accessTokenTTL,
	})
	inst := startInstance(t, "--refresh-skew", "0s")
	v1 := inst.URL + "/v1"
	admin := testAdminToken

	mustStatus(t, "create service", call(t, "POST", v1+"/services", admin, map[string]any{
		"key": "acme_machine", "name": "Acme machine API", "auth_type": "oauth2_client_credentials",
		"oauth2": map[string]any{
			"token_url": provider.TokenURL, "revocation_url": provider.RevocationURL,
			"token_auth_method": "client_secret_post",
		},
		"scopes":       []map[string]string{{"name": "devices.read"}},
		"api_base_url": provider.APIBaseURL,
	}), http.StatusCreated)
	mustStatus(t, "create application", call(t, "POST", v1+"/applications", admin, map[string]any{
		"service": "acme_machine", "name": "Machine", "client_id": "machine-client", "client_secret": clientSecret,
	}), http.StatusCreated)
	mustStatus(t, "create connection", call(t, "POST", v1+"/connections", admin, map[string]any{
		"name": "Machine devices", "service": "acme_machine", "scopes": []string{"devices.read"},
	}), http.StatusCreated)

	resp := call(t, "POST", v1+"/connections/machine_devices/connect", admin, map[string]string{})
	mustStatus(t, "connect", resp, http.StatusOK)
	if resp.JSON(t)["status"] != "connected" {
		t.Fatalf("connect = %s, want connected with no user step", resp.Body)
	}

	grants := func() int {
		t.Helper()
		stats, err := provider.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return stats.TokenRequests["client_credentials"]
	}
	proxy := func(what string) {
		t.Helper()
		resp := call(t, "GET", v1+"/connections/machine_devices/proxy/echo", admin, nil)
		mustStatus(t, what, resp, http.StatusOK)
		if subject := resp.JSON(t)["subject"]; subject != "" && subject != nil {
			t.Errorf("%s: subject = %v, want none for a client credentials token", what, subject)
		}
	}
	proxy("proxy")
	if n := grants(); n != 1 {
		t.Errorf("client credentials requests after connect = %d, want 1", n)
	}
	time.Sleep(accessTokenTTL + 300*time.Millisecond)
	proxy("proxy after expiry")
	if n := grants(); n != 2 {
		t.Errorf("client credentials requests after expiry = %d, want 2", n)
	}
}
