package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/plugboard/plugboard/internal/oauthtest"
)

// startProviderAndService starts the OAuth test server and registers it
// with inst as the custom service "acme" with one application.
func startProviderAndService(t *testing.T, inst *instance) *oauthtest.Provider {
	t.Helper()
	provider := oauthtest.Start(t, oauthtest.Options{
		Clients: []oauthtest.Client{{
			ID: "plugboard-client", Secret: clientSecret, AuthMethod: oauthtest.AuthMethodBasic,
			RedirectURIs: []string{"http://127.0.0.1/oauth/callback"},
		}},
	})
	v1 := inst.URL + "/v1"
	mustStatus(t, "create service", call(t, "POST", v1+"/services", testAdminToken, map[string]any{
		"key": "acme", "name": "Acme devices API", "auth_type": "oauth2",
		"oauth2": map[string]any{
			"authorization_url": provider.AuthorizationURL, "token_url": provider.TokenURL,
			"revocation_url": provider.RevocationURL, "token_auth_method": "client_secret_basic",
		},
		"scopes": []map[string]string{
			{"name": "offline_access", "description": "Keep access while you are away"},
			{"name": "devices.read", "description": "Read devices"},
		},
		"api_base_url": provider.APIBaseURL,
	}), http.StatusCreated)
	mustStatus(t, "create application", call(t, "POST", v1+"/applications", testAdminToken, map[string]any{
		"service": "acme", "name": "Production", "client_id": "plugboard-client", "client_secret": clientSecret,
	}), http.StatusCreated)
	return provider
}

// visible reports whether the first element that matches sel is shown.
// Chromium keeps a layout box for the content of a closed details element
// but skips rendering it, which checkVisibility reports.
func (b *browser) visible(sel string) bool {
	b.t.Helper()
	script := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e !== null && e.checkVisibility(); })()`, sel)
	shown, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](script))
	if err != nil {
		b.t.Fatalf("checking whether %s is visible: %v", sel, err)
	}
	return shown
}

// waitForLocationChange waits until the page's URL is no longer from.
func (b *browser) waitForLocationChange(from string) string {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		if err == nil && loc != from {
			ready, err := chromedp.Run(b.ctx, chromedp.Evaluate[string]("document.readyState"))
			if err == nil && ready == "complete" {
				return loc
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.screenshot("stuck")
	b.t.Fatalf("the page stayed at %s", from)
	return ""
}

// grantAtProvider signs in at the OAuth test server's login page, when it
// shows one, and approves its consent page, until the browser is back on
// plugboard. It screenshots each provider page.
func (b *browser) grantAtProvider(inst *instance, username, password string) {
	b.t.Helper()
	for range 6 {
		loc := b.location()
		if strings.HasPrefix(loc, inst.URL) {
			return
		}
		switch {
		case b.exists("form#login"):
			b.screenshot("provider-login")
			b.do("sign in at the provider as "+username,
				chromedp.SetValue(chromedp.CSS(`form#login input[name="username"]`), username),
				chromedp.SetValue(chromedp.CSS(`form#login input[name="password"]`), password),
				chromedp.Click(chromedp.CSS("form#login button")),
			)
		case b.exists("form#consent"):
			b.screenshot("provider-consent")
			b.do("approve at the provider", chromedp.Click(chromedp.ID("approve")))
		default:
			b.screenshot("provider-unknown")
			b.t.Fatalf("unexpected provider page at %s", loc)
		}
		b.waitForLocationChange(loc)
	}
	b.t.Fatalf("not back on plugboard after the provider's pages; at %s", b.location())
}

func TestBrowserConnectionLifecycle(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t)
	startProviderAndService(t, inst)
	v1 := inst.URL + "/v1"

	b.signIn(inst, "admin", testAdminPassword)
	b.screenshot("connections-empty")

	// The wizard: choose the service, then describe the connection.
	b.do("open the wizard", chromedp.Click(chromedp.ID("new-connection")), chromedp.WaitVisible(chromedp.ID("default-services")))
	b.do("search the services", chromedp.SendKeys(chromedp.ID("q"), "acme"))
	b.screenshot("choose-service")
	b.do("choose acme", chromedp.Click(chromedp.CSS(`a[href="/connections/new?service=acme"]`)), chromedp.WaitVisible(chromedp.ID("name")))
	b.do("name the connection", chromedp.SendKeys(chromedp.ID("name"), "Acme devices"))
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("link_name"))); got != "acme_devices" {
		t.Errorf("link name filled in as the name is typed = %q, want acme_devices", got)
	}
	b.do("tick the scopes",
		chromedp.Click(chromedp.CSS(`input[name="scopes"][value="offline_access"]`)),
		chromedp.Click(chromedp.CSS(`input[name="scopes"][value="devices.read"]`)),
	)
	b.screenshot("new-connection")

	// Create and Connect goes to the provider's consent screen, and back.
	start := b.location()
	b.do("create and connect", chromedp.Click(chromedp.ID("create-and-connect")))
	b.waitForLocationChange(start)
	b.grantAtProvider(inst, "alice", "wonderland")
	b.do("wait for the connection page", chromedp.WaitVisible(chromedp.ID("connection-name")))
	if loc := b.location(); !strings.HasPrefix(loc, inst.URL+"/connections/acme_devices?connected=acme_devices") {
		t.Errorf("location after connecting = %s, want the connection page with connected=acme_devices", loc)
	}
	if got := b.text("#status"); got != "Connected" {
		t.Errorf("status after connecting = %q, want Connected", got)
	}
	if got := b.text("#notice"); got != "Connected." {
		t.Errorf("notice after connecting = %q, want Connected.", got)
	}
	if got := b.text("#scopes"); !strings.Contains(got, "devices.read") || strings.Contains(got, "missing") {
		t.Errorf("scopes table = %q, want devices.read granted and nothing missing", got)
	}
	if got := b.text("#last-used"); got != "never" {
		t.Errorf("last used before any call = %q, want never", got)
	}
	if got := b.text("#sample-code"); !strings.Contains(got, "acme_devices") {
		t.Errorf("sample code = %q, want snippets naming acme_devices", got)
	}
	var tabs []string
	for _, label := range []string{"Deluge", "JSON", "curl", "Go", "Python", "JavaScript"} {
		if b.exists(`#sample-code [role="tab"]`) && strings.Contains(b.text(`#sample-code [role="tablist"]`), label) {
			tabs = append(tabs, label)
		}
	}
	if len(tabs) != 6 {
		t.Errorf("sample code tabs = %v, want Deluge, JSON, curl, Go, Python and JavaScript", tabs)
	}
	b.do("show the Python tab", chromedp.Click(chromedp.ID("sample-python-tab")))
	if visible := b.text("#sample-python"); !strings.Contains(visible, "acme_devices") {
		t.Errorf("Python tab = %q, want its snippet", visible)
	}
	if b.exists(`#sample-curl:not([hidden])`) {
		t.Errorf("the curl panel shows while the Python tab is selected")
	}
	b.screenshot("connection-connected")
	b.do("narrow the window", chromedp.EmulateViewport(375, 800))
	b.screenshot("connection-connected-phone")
	b.do("widen the window", chromedp.EmulateViewport(1280, 900))

	// A call through the proxy shows up as "last used".
	resp := call(t, "GET", v1+"/connections/acme_devices/proxy/devices", testAdminToken, nil)
	mustStatus(t, "call through the connection", resp, http.StatusOK)
	if subject, _ := resp.JSON(t)["subject"].(string); subject != "alice" {
		t.Errorf("the call went out as %q, want alice", subject)
	}
	resp = call(t, "GET", v1+"/connections/acme_devices", testAdminToken, nil)
	if used, _ := resp.JSON(t)["last_used_at"].(string); used == "" {
		t.Errorf("the API's connection after a call = %s, want last_used_at", resp.Body)
	}
	b.open(inst.URL+"/connections/acme_devices", "#last-used")
	if got := b.text("#last-used"); got != "just now" {
		t.Errorf("last used after a call = %q, want just now", got)
	}
	b.open(inst.URL+"/", "#connections")
	if got := b.text("#connections"); !strings.Contains(got, "Acme devices") || !strings.Contains(got, "acme_devices") ||
		!strings.Contains(got, "Connected") || !strings.Contains(got, "just now") {
		t.Errorf("connections table = %q, want the connection, its link name, Connected and just now", got)
	}
	b.screenshot("connections-list")

	// Revoke.
	b.open(inst.URL+"/connections/acme_devices", "#revoke-confirm")
	if b.visible("#revoke") {
		t.Errorf("the revoke button shows before Revoke… is opened")
	}
	b.do("open the revoke confirmation", chromedp.Click(chromedp.ID("revoke-confirm")), chromedp.WaitVisible(chromedp.ID("revoke")))
	if !b.visible("#revoke") {
		t.Errorf("the revoke button is hidden after Revoke… is opened")
	}
	if got := b.text("#revoke"); got != "Revoke the credential of acme_devices" {
		t.Errorf("revoke button = %q, want it to name the connection", got)
	}
	b.screenshot("revoke-confirmation")
	b.do("revoke", chromedp.Click(chromedp.ID("revoke")), chromedp.WaitVisible(chromedp.ID("notice")))
	if got := b.text("#status"); got != "Not connected" {
		t.Errorf("status after revoking = %q, want Not connected", got)
	}
	if got := b.text("#notice"); got != "The credential of connection acme_devices was revoked." {
		t.Errorf("notice after revoking = %q", got)
	}
	b.screenshot("connection-revoked")
	mustStatus(t, "call after revoking", call(t, "GET", v1+"/connections/acme_devices/proxy/devices", testAdminToken, nil), http.StatusConflict)

	// A webhook bound to the connection: Delete is refused, naming it.
	mustStatus(t, "create webhook", call(t, "POST", v1+"/webhooks", testAdminToken, map[string]any{
		"name": "Ticket on alarm", "url": "/devices", "method": "POST", "connection": "acme_devices",
		"events": []string{"device.alarm"}, "enabled": true,
	}), http.StatusCreated)
	b.open(inst.URL+"/connections/acme_devices", "#delete-confirm")
	if got := b.text("#usages"); !strings.Contains(got, "Ticket on alarm") {
		t.Errorf("used-by list = %q, want the webhook Ticket on alarm", got)
	}
	b.do("delete", chromedp.Click(chromedp.ID("delete-confirm")), chromedp.WaitVisible(chromedp.ID("delete")),
		chromedp.Click(chromedp.ID("delete")), chromedp.WaitVisible(chromedp.ID("delete-error")))
	if got := b.text("#delete-error"); !strings.Contains(got, `"Ticket on alarm"`) {
		t.Errorf("delete refusal = %q, want it to name the webhook \"Ticket on alarm\"", got)
	}
	b.screenshot("delete-refused")
	mustStatus(t, "connection after the refused delete", call(t, "GET", v1+"/connections/acme_devices", testAdminToken, nil), http.StatusOK)
}

func TestBrowserSharedConnection(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t)
	provider := startProviderAndService(t, inst)
	v1 := inst.URL + "/v1"

	// The admin shares a connection, and a second member gets a password.
	mustStatus(t, "create shared connection", call(t, "POST", v1+"/connections", testAdminToken, map[string]any{
		"name": "Shared devices", "service": "acme", "scopes": []string{"offline_access", "devices.read"},
		"use_login_user_credentials": true,
	}), http.StatusCreated)
	mustStatus(t, "create bob", call(t, "POST", v1+"/users", testAdminToken, map[string]string{"username": "bob", "role": "developer"}), http.StatusCreated)
	const bobPassword = "bobs-web-password"
	mustStatus(t, "set bob's password", call(t, "PATCH", v1+"/users/bob", testAdminToken, map[string]string{"password": bobPassword}), http.StatusOK)
	resp := call(t, "POST", v1+"/tokens", testAdminToken, map[string]string{"name": "bob's script", "user": "bob"})
	mustStatus(t, "create bob's token", resp, http.StatusCreated)
	bobToken, _ := resp.JSON(t)["token"].(string)

	// Bob finds it under Shared connections and connects his own account.
	b.signIn(inst, "bob", bobPassword)
	if b.exists("#connections") {
		t.Errorf("bob's My connections lists connections, want none")
	}
	b.do("open Shared connections", chromedp.Click(chromedp.ID("tab-shared")), chromedp.WaitVisible(chromedp.ID("connections")))
	if got := b.text("#connections"); !strings.Contains(got, "Shared devices") || !strings.Contains(got, "admin") {
		t.Errorf("bob's shared connections = %q, want Shared devices owned by admin", got)
	}
	b.screenshot("shared-connections")
	b.do("open the shared connection", chromedp.Click(chromedp.CSS(`a[href="/connections/shared_devices"]`)), chromedp.WaitVisible(chromedp.ID("connect")))
	if got := b.text("#my-status"); got != "Not connected" {
		t.Errorf("bob's status before connecting = %q, want Not connected", got)
	}
	b.screenshot("shared-connection")
	start := b.location()
	b.do("connect", chromedp.Click(chromedp.ID("connect")))
	b.waitForLocationChange(start)
	b.grantAtProvider(inst, "bob", "builder")
	b.do("wait for the connection page", chromedp.WaitVisible(chromedp.ID("my-status")))
	if got := b.text("#my-status"); got != "Connected" {
		t.Errorf("bob's status after connecting = %q, want Connected", got)
	}
	if got := b.text("#owner-status"); got != "Not connected" {
		t.Errorf("the owner's status = %q, want Not connected: bob connected only his own", got)
	}
	b.screenshot("shared-connected")
	if got := subjectOf(t, inst, bobToken, "shared_devices"); got != "bob" {
		t.Errorf("bob's call went out as %q, want bob", got)
	}

	// The admin starts a flow through the API. The link opened in bob's
	// signed-in browser fails at the callback, with no token request.
	resp = call(t, "POST", v1+"/connections/shared_devices/connect", testAdminToken, map[string]string{})
	mustStatus(t, "admin starts connecting", resp, http.StatusOK)
	authURL, _ := resp.JSON(t)["authorization_url"].(string)
	before, err := provider.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	b.do("open the admin's authorization link", chromedp.Navigate(authURL))
	b.grantAtProvider(inst, "alice", "wonderland")
	b.do("wait for the callback page", chromedp.WaitVisible(chromedp.CSS("h1")))
	if got := b.text("body"); !strings.Contains(got, "Connection failed") || !strings.Contains(got, "bob is signed in") {
		t.Errorf("callback page in bob's browser = %q, want Connection failed saying bob is signed in", got)
	}
	b.screenshot("callback-other-member")
	after, err := provider.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := after.TokenRequests["authorization_code"], before.TokenRequests["authorization_code"]; got != want {
		t.Errorf("code exchanges after the other member's callback = %d, want %d (none sent)", got, want)
	}
	resp = call(t, "GET", v1+"/connections/shared_devices", testAdminToken, nil)
	mustStatus(t, "admin's view", resp, http.StatusOK)
	if status := resp.JSON(t)["status"]; status != "not_connected" {
		t.Errorf("the admin's status after the rejected callback = %v, want not_connected", status)
	}
}
