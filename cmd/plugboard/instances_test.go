package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

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

// TestRefreshStormAcrossThreeInstances lets one credential expire and then
// calls through it from three instances on one PostgreSQL database at
// once: the provider receives exactly one refresh request and every call
// succeeds.
func TestRefreshStormAcrossThreeInstances(t *testing.T) {
	databaseURL := testkit.NewPostgresDatabase(t)
	provider := oauthtest.Start(t, oauthtest.Options{
		Clients: []oauthtest.Client{{
			ID: "plugboard-client", Secret: clientSecret, AuthMethod: oauthtest.AuthMethodPost,
			RedirectURIs: []string{"http://127.0.0.1/oauth/callback"},
		}},
		RotateRefreshTokens: true,
		AccessTokenTTL:      accessTokenTTL,
	})
	t.Setenv("PLUGBOARD_MASTER_KEY", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	args := []string{"--database-url", databaseURL, "--public-url", "http://127.0.0.1:1", "--refresh-skew", "0s"}
	instances := []*instance{startInstance(t, args...), startInstance(t, args...), startInstance(t, args...)}
	first := instances[0]

	mustStatus(t, "create service", call(t, "POST", first.URL+"/v1/services", testAdminToken, map[string]any{
		"key": "acme", "name": "Acme devices API", "auth_type": "oauth2",
		"oauth2": map[string]any{
			"authorization_url": provider.AuthorizationURL, "token_url": provider.TokenURL,
			"token_auth_method": "client_secret_post",
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
	connectAs(t, first, provider, testAdminToken, "acme_devices", "alice", "wonderland")

	time.Sleep(accessTokenTTL + 300*time.Millisecond)
	const perInstance = 10
	var wg sync.WaitGroup
	failures := make(chan string, 3*perInstance)
	for _, inst := range instances {
		for range perInstance {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				req, _ := http.NewRequestWithContext(ctx, "GET", inst.URL+"/v1/connections/acme_devices/proxy/devices", nil)
				req.Header.Set("Authorization", "Bearer "+testAdminToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					failures <- err.Error()
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failures <- fmt.Sprintf("status %d", resp.StatusCode)
				}
			})
		}
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Errorf("a call during the storm failed: %s", f)
	}
	stats, err := provider.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := stats.TokenRequests["refresh_token"]; n != 1 {
		t.Errorf("three instances sent %d refresh requests, want 1", n)
	}
}

// TestWebhookDeliveriesAcrossInstances posts events to two instances on one
// PostgreSQL database: every event is delivered exactly once in normal
// operation, and once more events are queued and one instance is killed,
// the other still delivers every event.
func TestWebhookDeliveriesAcrossInstances(t *testing.T) {
	databaseURL := testkit.NewPostgresDatabase(t)
	rc := newReceiver(t, func(int) int { return http.StatusOK })
	t.Setenv("PLUGBOARD_MASTER_KEY", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	args := []string{"--database-url", databaseURL, "--webhook-retry-base", "200ms", "--webhook-lease", "3s"}
	first := startInstance(t, args...)
	second := startInstance(t, args...)
	bindDeskWebhook(t, first, rc)

	delivered := func() map[string]int {
		counts := map[string]int{}
		for _, r := range rc.requests() {
			if r.status == http.StatusOK {
				counts[r.body]++
			}
		}
		return counts
	}
	for i := range 20 {
		inst := first
		if i%2 == 1 {
			inst = second
		}
		postAlarm(t, inst, fmt.Sprintf("pump-%d", i))
	}
	waitFor(t, 20*time.Second, "20 deliveries", func() bool { return len(delivered()) == 20 })
	time.Sleep(500 * time.Millisecond)
	for body, n := range delivered() {
		if n != 1 {
			t.Errorf("%s delivered %d times, want exactly once", body, n)
		}
	}

	// Queue more while the receiver fails, kill one instance, let the
	// receiver recover: the surviving instance delivers everything.
	rc.setRespond(func(int) int { return http.StatusServiceUnavailable })
	for i := 20; i < 30; i++ {
		postAlarm(t, first, fmt.Sprintf("pump-%d", i))
	}
	time.Sleep(500 * time.Millisecond)
	first.kill(t)
	rc.setRespond(func(int) int { return http.StatusOK })
	waitFor(t, 30*time.Second, "all 30 events delivered", func() bool { return len(delivered()) == 30 })
}

// TestInstancesDropCachedRecords runs two plugboard processes on one
// PostgreSQL database. The second caches a member's token, role and
// credential, and each change made on the first takes effect on the
// second within --cache-staleness.
func TestInstancesDropCachedRecords(t *testing.T) {
	databaseURL := testkit.NewPostgresDatabase(t)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"key":%q}`, r.Header.Get("X-API-Key"))
	}))
	t.Cleanup(upstream.Close)
	t.Setenv("PLUGBOARD_MASTER_KEY", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	// A change committed on the first instance reaches the second's copies
	// within the staleness, so the test waits that long after each change.
	const staleness = 100 * time.Millisecond
	args := []string{"--database-url", databaseURL, "--allow-private-egress", "--cache-staleness", staleness.String()}
	first := startInstance(t, args...)
	second := startInstance(t, args...)

	mustStatus(t, "create service", call(t, "POST", first.URL+"/v1/services", testAdminToken, map[string]any{
		"key": "keys", "name": "Key service", "auth_type": "api_key",
		"api_key":      map[string]any{"params": []map[string]string{{"name": "X-API-Key", "in": "header"}}},
		"api_base_url": upstream.URL,
	}), http.StatusCreated)
	mustStatus(t, "create connection", call(t, "POST", first.URL+"/v1/connections", testAdminToken, map[string]any{
		"name": "Keys", "service": "keys",
	}), http.StatusCreated)
	connect := func(key string) {
		t.Helper()
		mustStatus(t, "connect", call(t, "POST", first.URL+"/v1/connections/keys/connect", testAdminToken,
			map[string]any{"credentials": map[string]string{"X-API-Key": key}}), http.StatusOK)
	}
	connect("first-key")
	mustStatus(t, "create member", call(t, "POST", first.URL+"/v1/users", testAdminToken,
		map[string]string{"username": "bob", "role": "developer"}), http.StatusCreated)
	resp := call(t, "POST", first.URL+"/v1/tokens", testAdminToken, map[string]string{"name": "bob ci", "user": "bob"})
	mustStatus(t, "create bob's token", resp, http.StatusCreated)
	bobToken, _ := resp.JSON(t)["token"].(string)

	proxy := func(token string) apiResponse {
		t.Helper()
		return call(t, "GET", second.URL+"/v1/connections/keys/proxy/items", token, nil)
	}
	resp = proxy(bobToken)
	mustStatus(t, "bob's call on the second instance", resp, http.StatusOK)
	if got := resp.JSON(t)["key"]; got != "first-key" {
		t.Fatalf("upstream received key %v, want first-key", got)
	}

	connect("second-key")
	time.Sleep(staleness)
	if got := proxy(bobToken).JSON(t)["key"]; got != "second-key" {
		t.Errorf("after reconnecting on the first instance, the second sent key %v, want second-key", got)
	}

	mustStatus(t, "demote bob", call(t, "PATCH", first.URL+"/v1/users/bob", testAdminToken,
		map[string]string{"role": "viewer"}), http.StatusOK)
	time.Sleep(staleness)
	mustStatus(t, "viewer's call on the second instance", proxy(bobToken), http.StatusForbidden)

	mustStatus(t, "delete bob", call(t, "DELETE", first.URL+"/v1/users/bob", testAdminToken, nil), http.StatusNoContent)
	time.Sleep(staleness)
	mustStatus(t, "deleted member's call on the second instance", proxy(bobToken), http.StatusUnauthorized)
}
