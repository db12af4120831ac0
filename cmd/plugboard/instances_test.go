package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"

	"github.com/plugboard/plugboard/internal/oauthtest"
	"github.com/plugboard/plugboard/internal/testkit"
)

// TestInstancesShareOnePostgres runs two plugboard processes on one
// PostgreSQL database behind one public URL: a connection is created and
// its authorization started on the first, the callback completes on the
// second, and both call the provider's API through it.
func TestInstancesShareOnePostgres(t *testing.T) {
	databaseURL := testkit.NewPostgresDatabase(t)
	provider := oauthtest.Start(t, oauthtest.Options{
		Clients: []oauthtest.Client{{
			ID: "plugboard-client", Secret: clientSecret, AuthMethod: oauthtest.AuthMethodBasic,
			RedirectURIs: []string{"http://127.0.0.1/oauth/callback"},
		}},
	})
	// Every instance needs the same master key to open the others' secrets.
	t.Setenv("PLUGBOARD_MASTER_KEY", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	args := []string{"--database-url", databaseURL, "--public-url", "http://127.0.0.1:1"}
	first := startInstance(t, args...)
	second := startInstance(t, args...)

	mustStatus(t, "create service", call(t, "POST", first.URL+"/v1/services", testAdminToken, map[string]any{
		"key": "acme", "name": "Acme devices API", "auth_type": "oauth2",
		"oauth2": map[string]any{
			"authorization_url": provider.AuthorizationURL, "token_url": provider.TokenURL,
			"token_auth_method": "client_secret_basic",
		},
		"scopes":       []map[string]string{{"name": "offline_access"}, {"name": "devices.read"}},
		"api_base_url": provider.APIBaseURL,
	}), http.StatusCreated)
	mustStatus(t, "create application", call(t, "POST", first.URL+"/v1/applications", testAdminToken, map[string]any{
		"service": "acme", "name": "Production", "client_id": "plugboard-client", "client_secret": clientSecret,
	}), http.StatusCreated)
	mustStatus(t, "create connection", call(t, "POST", first.URL+"/v1/connections", testAdminToken, map[string]any{
		"name": "Acme devices", "service": "acme", "scopes": []string{"offline_access", "devices.read"},
	}), http.StatusCreated)

	resp := call(t, "POST", first.URL+"/v1/connections/acme_devices/connect", testAdminToken, map[string]string{})
	mustStatus(t, "connect on the first instance", resp, http.StatusOK)
	authURL, _ := resp.JSON(t)["authorization_url"].(string)
	callback, err := provider.Authorize(context.Background(), authURL, "alice", "wonderland")
	if err != nil {
		t.Fatal(err)
	}
	mustStatus(t, "callback on the second instance", call(t, "GET", second.URL+"/oauth/callback?"+callback.RawQuery, "", nil), http.StatusOK)

	for name, inst := range map[string]*instance{"first": first, "second": second} {
		resp := call(t, "GET", inst.URL+"/v1/connections/acme_devices/proxy/devices", testAdminToken, nil)
		mustStatus(t, "proxy on the "+name+" instance", resp, http.StatusOK)
		if subject := resp.JSON(t)["subject"]; subject != "alice" {
			t.Errorf("%s instance's call went out as %v, want alice", name, subject)
		}
	}
}
