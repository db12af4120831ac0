package main

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// disableScripts turns off JavaScript in the browser's page, as for a
// member whose browser runs none.
func (b *browser) disableScripts() {
	b.t.Helper()
	b.do("disable JavaScript", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	})
}

// TestBrowserWithoutJavaScript creates and connects an API key connection
// with scripts off: every step is a plain form or link.
func TestBrowserWithoutJavaScript(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t)
	mustStatus(t, "create service", call(t, "POST", inst.URL+"/v1/services", testAdminToken, map[string]any{
		"key": "keyed", "name": "Keyed API", "auth_type": "api_key",
		"api_key":      map[string]any{"params": []map[string]string{{"name": "X-API-Key", "in": "header"}}},
		"api_base_url": "https://api.keyed.example/v1",
	}), http.StatusCreated)

	b.disableScripts()
	b.signIn(inst, "admin", testAdminPassword)
	if b.exists("html.js") {
		t.Fatalf("the page ran its script with JavaScript disabled")
	}
	b.open(inst.URL+"/connections/new?q=keyed", "#custom-services")
	if b.exists("#default-services") {
		t.Errorf("search without JavaScript still lists default services")
	}
	b.screenshot("choose-service-no-js")
	b.do("choose the service", chromedp.Click(chromedp.CSS(`a[href="/connections/new?service=keyed"]`)), chromedp.WaitVisible(chromedp.ID("name")))
	b.do("fill in the form",
		chromedp.SendKeys(chromedp.ID("name"), "Billing keys"),
		chromedp.SendKeys(chromedp.ID("credential_0"), "key-0123456789"),
	)
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("link_name"))); got != "" {
		t.Errorf("link name without JavaScript = %q, want it left empty for the server to derive", got)
	}
	b.screenshot("new-connection-no-js")
	b.do("create and connect", chromedp.Click(chromedp.ID("create-and-connect")), chromedp.WaitVisible(chromedp.ID("connection-name")))
	if got := b.text("#link-name"); got != "billing_keys" {
		t.Errorf("link name derived by the server = %q, want billing_keys", got)
	}
	if got := b.text("#status"); got != "Connected" {
		t.Errorf("status = %q, want Connected", got)
	}
	// Without the script, every sample code panel shows with its heading.
	for _, lang := range []string{"deluge", "curl", "python"} {
		if !b.exists("#sample-" + lang + ":not([hidden])") {
			t.Errorf("sample code panel %s is hidden without JavaScript", lang)
		}
	}
	if got := b.text("#sample-code"); !strings.Contains(got, "JavaScript") || !strings.Contains(got, "billing_keys") {
		t.Errorf("sample code without JavaScript = %q, want every language's heading and snippet", got)
	}
	b.screenshot("connection-no-js")
}
