package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// reload loads the current page again and waits until sel is visible. A
// reload that starts while the page is still being replaced fails with
// "Not attached to an active page", so it is tried up to three times.
func (b *browser) reload(sel string) {
	b.t.Helper()
	var err error
	for range 3 {
		if err = chromedp.Do(b.ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(sel))); err == nil {
			return
		}
		time.Sleep(300 * time.Millisecond)
	}
	b.screenshot("failed-reload")
	b.t.Fatalf("reload: %v", err)
}

// phoneScreenshot saves a screenshot of the current page at a phone's
// width of 375 px, then returns to the desktop width.
func (b *browser) phoneScreenshot(page string) {
	b.t.Helper()
	b.do("narrow the window", chromedp.EmulateViewport(375, 800))
	b.screenshot(page + "-phone")
	b.do("widen the window", chromedp.EmulateViewport(1280, 900))
}

func TestBrowserServicesAndApplications(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t)
	b.signIn(inst, "admin", testAdminPassword)

	b.open(inst.URL+"/services", "#new-service")
	if !b.exists(`a[href="/services/github"]`) {
		t.Errorf("services page does not list the catalog's github")
	}
	b.screenshot("services")

	// A custom api_key service with a header and a query parameter. The
	// second parameter row comes from the form's Add button, which works
	// without JavaScript.
	b.do("open the new-service form", chromedp.Click(chromedp.ID("new-service")), chromedp.WaitVisible(chromedp.ID("key")))
	b.do("fill the service",
		chromedp.SendKeys(chromedp.ID("key"), "acme_keys"),
		chromedp.SendKeys(chromedp.ID("name"), "Acme keys"),
		chromedp.SetValue(chromedp.ID("auth_type"), "api_key"),
		chromedp.SendKeys(chromedp.ID("api_base_url"), "https://api.acme.example/v1"),
		chromedp.SendKeys(chromedp.ID("param_name_0"), "X-API-Key"),
		chromedp.Click(chromedp.ID("add-param")),
		chromedp.WaitVisible(chromedp.ID("param_name_1")),
	)
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("key"))); got != "acme_keys" {
		t.Errorf("key after adding a row = %q, want acme_keys kept", got)
	}
	b.do("fill the second parameter with a bad scope",
		chromedp.SendKeys(chromedp.ID("param_name_1"), "tenant"),
		chromedp.SetValue(chromedp.ID("param_in_1"), "query"),
		chromedp.SendKeys(chromedp.ID("scope_name_0"), "two words"),
		chromedp.Click(chromedp.ID("save-service")),
		chromedp.WaitVisible(chromedp.ID("scope_name_0-error")),
	)
	if got := b.text("#scope_name_0-error"); !strings.Contains(got, "contains whitespace") {
		t.Errorf("scope error = %q, want the catalog's whitespace message", got)
	}
	b.screenshot("service-form-error")
	b.do("fix the scope and save",
		chromedp.SetValue(chromedp.ID("scope_name_0"), "devices.read"),
		chromedp.SendKeys(chromedp.ID("scope_description_0"), "Read devices"),
		chromedp.Click(chromedp.ID("save-service")),
		chromedp.WaitVisible(chromedp.ID("service-facts")),
	)
	if got := b.text("#api-key-params"); !strings.Contains(got, "X-API-Key in the header") || !strings.Contains(got, "tenant in the query") {
		t.Errorf("API key parameters = %q, want X-API-Key in the header and tenant in the query", got)
	}
	b.screenshot("custom-service")

	// An application of an oauth2 service shows the redirect URI to copy.
	b.open(inst.URL+"/services/github", "#new-application")
	b.do("register an application",
		chromedp.SendKeys(chromedp.ID("app-name"), "Production"),
		chromedp.SendKeys(chromedp.ID("client_id"), "gh-client-id"),
		chromedp.SendKeys(chromedp.ID("client_secret"), "gh-client-secret"),
		chromedp.Click(chromedp.ID("create-application")),
		chromedp.WaitVisible(chromedp.CSS("tr.application-row")),
	)
	if got := b.text("#redirect-uri"); got != inst.URL+"/oauth/callback" {
		t.Errorf("redirect URI = %q, want %s/oauth/callback", got, inst.URL)
	}
	if !b.exists(`[data-copy="redirect-uri"] button.copy`) {
		t.Errorf("redirect URI has no copy button")
	}
	if html, _ := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("main"))); strings.Contains(html, "gh-client-secret") {
		t.Errorf("service page shows the client secret")
	}
	b.screenshot("service-with-application")
	b.phoneScreenshot("service-with-application")
}

func TestBrowserWebhookDeliveries(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t, "--webhook-retry-base", "100ms")
	rc := newReceiver(t, func(int) int { return http.StatusOK })
	connectDesk(t, inst, rc)

	b.signIn(inst, "admin", testAdminPassword)
	b.open(inst.URL+"/webhooks", "#new-webhook")
	b.screenshot("webhooks-empty")
	b.do("create a webhook bound to the connection",
		chromedp.Click(chromedp.ID("new-webhook")),
		chromedp.WaitVisible(chromedp.ID("webhook-form")),
		chromedp.SendKeys(chromedp.ID("name"), "Ticket on alarm"),
		chromedp.SendKeys(chromedp.ID("events"), "device.alarm"),
		chromedp.SetValue(chromedp.ID("connection"), "desk"),
		chromedp.SendKeys(chromedp.ID("url"), "/tickets"),
		chromedp.SendKeys(chromedp.ID("header_name_0"), "Content-Type"),
		chromedp.SendKeys(chromedp.ID("header_value_0"), "application/json"),
		chromedp.SendKeys(chromedp.ID("body"), `{"subject": "test by {{.data.user}}"}`),
		chromedp.Click(chromedp.ID("save-webhook")),
		chromedp.WaitVisible(chromedp.ID("webhook-facts")),
	)
	if facts := b.text("#webhook-facts"); !strings.Contains(facts, "desk") {
		t.Errorf("webhook facts = %q, want the connection desk", facts)
	}
	if b.exists("#webhook-secret") {
		t.Errorf("a webhook bound to a connection shows a signing secret")
	}
	b.screenshot("webhook-created")

	b.do("send a test", chromedp.Click(chromedp.ID("send-test")), chromedp.WaitVisible(chromedp.CSS("tr.delivery-row")))
	waitForDelivery(t, b, "succeeded")
	if got := b.text("tr.delivery-row .response-status"); got != "HTTP 200" {
		t.Errorf("last response = %q, want HTTP 200", got)
	}
	b.screenshot("webhook-test-delivered")

	b.do("redeliver", chromedp.Click(chromedp.CSS("tr.delivery-row button.redeliver")), chromedp.WaitVisible(chromedp.CSS("p.notice")))
	waitFor(t, 20*time.Second, "the redelivery at the receiver", func() bool { return len(rc.requests()) == 2 })
	waitForDelivery(t, b, "succeeded")
	for i, req := range rc.requests() {
		if req.path != "/api/tickets" || !strings.HasPrefix(req.authorization, "Basic ") {
			t.Errorf("request %d: path %q, authorization %q; want /api/tickets with the connection's Basic credential", i, req.path, req.authorization)
		}
	}
	b.screenshot("webhook-redelivered")
	b.phoneScreenshot("webhook-redelivered")
	b.open(inst.URL+"/webhooks", "#webhook-list")
	b.screenshot("webhooks-list")

	// The audit log filtered by the connection lists its entries only.
	b.open(inst.URL+"/audit", "#audit-filters")
	b.do("filter by connection",
		chromedp.SendKeys(chromedp.ID("connection"), "desk"),
		chromedp.Click(chromedp.ID("apply-filters")),
		chromedp.WaitVisible(chromedp.ID("clear-filters")),
	)
	links, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('.audit-row td[data-label="Connection"]')).map(e => e.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	if len(links) == 0 {
		t.Errorf("audit log filtered by desk lists no entries")
	}
	for i, link := range links {
		if link != "desk" {
			t.Errorf("entry %d of the filtered audit log names connection %q, want desk", i, link)
		}
	}
	b.screenshot("audit-by-connection")
}

// waitForDelivery reloads the webhook page until its newest delivery has
// the status.
func waitForDelivery(t *testing.T, b *browser, status string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b.reload("tr.delivery-row")
		if got := b.text("tr.delivery-row .status"); got == status {
			return
		} else if time.Now().After(deadline) {
			b.screenshot("failed-delivery-status")
			t.Fatalf("delivery status = %q after 20s, want %q", got, status)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestBrowserMembersAndAudit(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t)
	b.signIn(inst, "admin", testAdminPassword)

	b.open(inst.URL+"/members", "#add-member")
	b.do("add a member with a password",
		chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SetValue(chromedp.ID("role"), "developer"),
		chromedp.SendKeys(chromedp.ID("password"), "bob-password-123"),
		chromedp.Click(chromedp.ID("add-member-button")),
		chromedp.WaitVisible(chromedp.ID("member-bob")),
	)
	if got := b.text("#member-bob .role-name"); got != "developer" {
		t.Errorf("bob's role = %q, want developer", got)
	}
	b.screenshot("members")
	b.phoneScreenshot("members")

	b.do("create an API token",
		chromedp.Click(chromedp.ID("tab-tokens")),
		chromedp.WaitVisible(chromedp.ID("new-token-form")),
		chromedp.SendKeys(chromedp.CSS("#new-token-form #name"), "ci"),
		chromedp.Click(chromedp.ID("create-token")),
		chromedp.WaitVisible(chromedp.ID("new-token")),
	)
	token := b.text("#new-token")
	mustStatus(t, "call with the new token", call(t, "GET", inst.URL+"/v1/me", token, nil), http.StatusOK)
	b.screenshot("token-created")
	tokenPage := b.location()
	if !strings.Contains(tokenPage, "/members/tokens?display=") || strings.Contains(tokenPage, token) {
		t.Errorf("location after creating a token = %s, want the tokens page with a display parameter and no token", tokenPage)
	}

	// Reloading the page that showed the token loads it again with GET:
	// no second token is made, and the token is no longer shown.
	b.reload("#secret-gone")
	if b.exists("#new-token") {
		t.Errorf("the token is shown again after a reload")
	}
	if got := b.location(); got != tokenPage {
		t.Errorf("location after the reload = %s, want %s", got, tokenPage)
	}
	named, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](
		`Array.from(document.querySelectorAll('#token-list td[data-label="Name"]')).filter(e => e.textContent === 'ci').length`))
	if err != nil {
		t.Fatal(err)
	}
	if named != 1 {
		t.Errorf("after the reload the token list has %d tokens named ci, want 1", named)
	}
	b.screenshot("token-reloaded")

	b.open(inst.URL+"/audit", "#audit-filters")
	b.screenshot("audit")
	b.do("filter by member",
		chromedp.SetValue(chromedp.ID("member"), "admin"),
		chromedp.Click(chromedp.ID("apply-filters")),
		chromedp.WaitVisible(chromedp.ID("clear-filters")),
	)
	if loc := b.location(); !strings.Contains(loc, "member=admin") {
		t.Errorf("location after filtering = %s, want member=admin in the query", loc)
	}
	actions, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('.audit-action')).map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"user.created", "user.password_set", "token.created"} {
		if !strings.Contains(strings.Join(actions, " "), want) {
			t.Errorf("filtered audit actions %v lack %s", actions, want)
		}
	}
	b.screenshot("audit-filtered")
	b.phoneScreenshot("audit-filtered")

	b.do("sign out", chromedp.Click(chromedp.CSS("header form button")), chromedp.WaitVisible(chromedp.ID("username")))
	b.signIn(inst, "bob", "bob-password-123")
	if got := b.text(".member"); !strings.Contains(got, "bob") {
		t.Errorf("header shows %q, want bob signed in", got)
	}
	if b.exists(`header a[href="/audit"]`) {
		t.Errorf("a developer's navigation offers the audit log")
	}
	b.open(inst.URL+"/members", "#member-list")
	if b.exists("#add-member") {
		t.Errorf("a developer is offered Add member")
	}
	b.screenshot("members-as-developer")
}
