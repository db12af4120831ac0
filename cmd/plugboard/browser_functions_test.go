package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// createSelfConnection runs the wizard for the plugboard service up to
// Create and Connect, and waits for plugboard's own consent page.
func (b *browser) createSelfConnection(inst *instance, name string, scopes ...string) {
	b.t.Helper()
	b.open(inst.URL+"/connections/new", "#default-services")
	b.do("search the services", chromedp.SendKeys(chromedp.ID("q"), "plugboard"))
	b.screenshot("choose-service-" + name)
	b.do("choose plugboard", chromedp.Click(chromedp.CSS(`a[href="/connections/new?service=plugboard"]`)), chromedp.WaitVisible(chromedp.ID("name")))
	b.do("name the connection", chromedp.SendKeys(chromedp.ID("name"), name))
	for _, scope := range scopes {
		b.do("tick "+scope, chromedp.Click(chromedp.CSS(`input[name="scopes"][value="`+scope+`"]`)))
	}
	b.screenshot("new-connection-" + name)
	b.do("create and connect", chromedp.Click(chromedp.ID("create-and-connect")), chromedp.WaitVisible(chromedp.CSS("main.consent")))
	if loc := b.location(); !strings.HasPrefix(loc, inst.URL+"/oauth2/consent?id=") {
		b.t.Errorf("location after Create and Connect = %s, want plugboard's own consent page", loc)
	}
}

// TestBrowserSelfServiceFunction connects plugboard to itself through its
// own consent page with the egress guard on, makes a function from the
// connection's Deluge sample and runs it: the function lists the org's
// connections through invokeurl. No outside provider takes part.
func TestBrowserSelfServiceFunction(t *testing.T) {
	b := newBrowser(t)
	inst := startInstanceWith(t, instanceOptions{DataDir: t.TempDir(), GuardEgress: true})
	v1 := inst.URL + "/v1"

	// Another connection of the org, which the function's list must show.
	mustStatus(t, "create another connection", call(t, "POST", v1+"/connections", testAdminToken, map[string]any{
		"name": "Reports", "service": "plugboard", "scopes": []string{"webhooks.read"},
	}), http.StatusCreated)

	b.signIn(inst, "admin", testAdminPassword)
	b.screenshot("connections-home")

	b.createSelfConnection(inst, "Own API", "connections.read", "connections.use", "offline_access")
	page := b.text("main.consent")
	for _, want := range []string{"Authorize plugboard", "Signed in as admin", "connections.read", "connections.use", "offline_access"} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page = %q, want it to contain %q", page, want)
		}
	}
	b.screenshot("consent")
	b.do("narrow the window", chromedp.EmulateViewport(375, 800))
	b.screenshot("consent-phone")
	b.do("widen the window", chromedp.EmulateViewport(1280, 900))

	// Accept leads back to the connection's page, connected.
	b.do("accept", chromedp.Click(chromedp.CSS("button.consent-accept")), chromedp.WaitVisible(chromedp.ID("connection-name")))
	if loc := b.location(); !strings.HasPrefix(loc, inst.URL+"/connections/own_api?connected=own_api") {
		t.Errorf("location after Accept = %s, want the connection page with connected=own_api", loc)
	}
	if got := b.text("#status"); got != "Connected" {
		t.Errorf("status after Accept = %q, want Connected", got)
	}
	deluge := b.text("#code-deluge")
	if !strings.Contains(deluge, `"`+inst.URL+`/v1/connections"`) || !strings.Contains(deluge, `connection: "own_api"`) {
		t.Errorf("Deluge sample = %q, want a call of %s/v1/connections through own_api", deluge, inst.URL)
	}
	b.screenshot("connection-connected")

	// New function from the sample: the script is the sample as it is.
	b.do("new function from the sample", chromedp.Click(chromedp.ID("new-function-from-sample")), chromedp.WaitVisible(chromedp.ID("script")))
	if loc := b.location(); loc != inst.URL+"/functions/new?connection=own_api" {
		t.Errorf("location of the new function = %s, want /functions/new?connection=own_api", loc)
	}
	script, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("script")))
	if err != nil {
		t.Fatal(err)
	}
	if script != deluge {
		t.Errorf("script of the new function = %q, want the Deluge sample %q", script, deluge)
	}
	name, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("name")))
	if err != nil || name != "own_api_sample" {
		t.Errorf("suggested function name = %q (%v), want own_api_sample", name, err)
	}
	b.screenshot("new-function")
	b.do("save the function", chromedp.Click(chromedp.ID("save-function")), chromedp.WaitVisible(chromedp.ID("run-function")))
	if got := b.text("#notice"); got != "The function was created." {
		t.Errorf("notice after saving = %q, want The function was created.", got)
	}
	b.screenshot("function")

	// Run: the log shows the org's connections, listed through invokeurl.
	b.do("run the function", chromedp.Click(chromedp.ID("run-function")), chromedp.WaitVisible(chromedp.ID("run-outcome")))
	if b.exists("#run-error") {
		t.Fatalf("run failed: %s", b.text("#run-error"))
	}
	log := b.text("#run-log")
	for _, link := range []string{`"link_name":"own_api"`, `"link_name":"reports"`} {
		if !strings.Contains(log, link) {
			t.Errorf("run log = %q, want it to contain %s", log, link)
		}
	}
	if got := b.text("#run-outcome h3"); !strings.HasPrefix(got, "Result (") || !strings.HasSuffix(got, " ms)") {
		t.Errorf("run heading = %q, want the result with its duration", got)
	}
	b.screenshot("function-run")
	b.do("narrow the window", chromedp.EmulateViewport(375, 800))
	b.screenshot("function-run-phone")
	b.do("widen the window", chromedp.EmulateViewport(1280, 900))

	// The functions list and the connection page name the function.
	b.open(inst.URL+"/functions", "#function-list")
	if got := b.text("#function-list"); !strings.Contains(got, "own_api_sample") || !strings.Contains(got, "own_api") || !strings.Contains(got, "admin") {
		t.Errorf("functions list = %q, want own_api_sample using own_api, created by admin", got)
	}
	b.screenshot("functions")
	b.do("narrow the window", chromedp.EmulateViewport(375, 800))
	b.screenshot("functions-phone")
	b.do("widen the window", chromedp.EmulateViewport(1280, 900))
	b.open(inst.URL+"/connections/own_api", "#usages")
	if got := b.text("#usages"); !strings.Contains(got, "own_api_sample") {
		t.Errorf("connection's users = %q, want the function own_api_sample", got)
	}
	b.screenshot("connection-used-by-function")
}

// TestBrowserSelfServiceDeny checks that Deny on plugboard's own consent
// page leaves the connection not connected.
func TestBrowserSelfServiceDeny(t *testing.T) {
	b := newBrowser(t)
	inst := startInstanceWith(t, instanceOptions{DataDir: t.TempDir(), GuardEgress: true})

	b.signIn(inst, "admin", testAdminPassword)
	b.createSelfConnection(inst, "Refused", "connections.read")
	b.screenshot("consent")
	b.do("deny", chromedp.Click(chromedp.CSS("button.consent-deny")), chromedp.WaitVisible(chromedp.ID("connection-name")))
	b.screenshot("after-deny")
	if got := b.text("#status"); got != "Not connected" {
		t.Errorf("status after Deny = %q, want Not connected", got)
	}
	if got := b.text("#alert"); !strings.Contains(got, "did not grant access") {
		t.Errorf("alert after Deny = %q, want that access was not granted", got)
	}
	resp := call(t, "GET", inst.URL+"/v1/connections/refused", testAdminToken, nil)
	mustStatus(t, "read the refused connection", resp, http.StatusOK)
	if got := resp.JSON(t)["status"]; got != "not_connected" {
		t.Errorf("API status after Deny = %v, want not_connected", got)
	}
}

// TestBrowserFunctionWithoutJavaScript writes, fixes and runs a function
// with scripts off, pressing Enter on the buttons instead of clicking.
func TestBrowserFunctionWithoutJavaScript(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t)
	b.disableScripts()
	b.signIn(inst, "admin", testAdminPassword)

	b.do("open Functions from the navigation", chromedp.Click(chromedp.CSS(`header nav a[href="/functions"]`)), chromedp.WaitVisible(chromedp.ID("empty-state")))
	b.screenshot("functions-empty")
	b.do("open the new function", chromedp.Click(chromedp.ID("new-function")), chromedp.WaitVisible(chromedp.ID("script")))
	b.do("write a script with a syntax error",
		chromedp.SendKeys(chromedp.ID("name"), "greet"),
		chromedp.SetValue(chromedp.ID("script"), "info \"greeting \" + who;\nreturn \"hello \" + ;\n"),
		chromedp.SendKeys(chromedp.ID("save-function"), kb.Enter),
		chromedp.WaitVisible(chromedp.ID("script-error")),
	)
	if got := b.text("#script-error"); !strings.Contains(got, "line 2, column") {
		t.Errorf("error next to the script = %q, want its line and column", got)
	}
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("name"))); got != "greet" {
		t.Errorf("name after the error = %q, want greet kept", got)
	}
	b.screenshot("function-syntax-error")

	b.do("fix the script",
		chromedp.SetValue(chromedp.ID("script"), "info \"greeting \" + who;\nreturn \"hello \" + who;\n"),
		chromedp.SendKeys(chromedp.ID("save-function"), kb.Enter),
		chromedp.WaitVisible(chromedp.ID("run-function")),
	)
	b.do("run with arguments",
		chromedp.SetValue(chromedp.ID("arguments"), `{"who": "ann"}`),
		chromedp.SendKeys(chromedp.ID("run-function"), kb.Enter),
		chromedp.WaitVisible(chromedp.ID("run-outcome")),
	)
	if got := b.text("#run-result"); got != `"hello ann"` {
		t.Errorf("result = %q, want \"hello ann\"", got)
	}
	if got := b.text("#run-log"); !strings.Contains(got, "greeting ann") {
		t.Errorf("log = %q, want the info line", got)
	}
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("arguments"))); got != `{"who": "ann"}` {
		t.Errorf("arguments after the run = %q, want them kept", got)
	}
	b.screenshot("function-run-no-js")

	b.do("run with an argument of the wrong kind",
		chromedp.SetValue(chromedp.ID("arguments"), `["ann"]`),
		chromedp.SendKeys(chromedp.ID("run-function"), kb.Enter),
		chromedp.WaitVisible(chromedp.ID("arguments-error")),
	)
	b.screenshot("function-arguments-error")
}
