package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserConsentAccept accepts plugboard's own consent page in
// chromium, signed in to the web UI, so the page's Content-Security-Policy
// is checked by a browser that enforces it on the form post and on every
// redirect after it.
func TestBrowserConsentAccept(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t)
	b.signIn(inst, "admin", testAdminPassword)

	v1 := inst.URL + "/v1"
	mustStatus(t, "create the self connection", call(t, "POST", v1+"/connections", testAdminToken, map[string]any{
		"name": "Self", "service": "plugboard", "scopes": []string{"connections.read", "offline_access"},
	}), http.StatusCreated)
	resp := call(t, "POST", v1+"/connections/self/connect", testAdminToken, map[string]string{})
	mustStatus(t, "connect", resp, http.StatusOK)
	authURL, _ := resp.JSON(t)["authorization_url"].(string)

	b.open(authURL, ".consent-accept")
	b.screenshot("consent")
	b.do("accept the consent page",
		chromedp.Click(chromedp.CSS(".consent-accept")),
		chromedp.WaitVisible(chromedp.ID("callback-message")),
	)
	b.screenshot("connected")
	if got := b.text("#callback-message"); !strings.Contains(got, "is connected") {
		t.Errorf("callback page after Accept says %q, want that the connection is connected", got)
	}
	resp = call(t, "GET", v1+"/connections/self", testAdminToken, nil)
	mustStatus(t, "read the self connection", resp, http.StatusOK)
	if got := resp.JSON(t)["status"]; got != "connected" {
		t.Errorf("self connection status after Accept = %v, want connected", got)
	}
}
