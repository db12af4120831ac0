package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var secretPattern = regexp.MustCompile(`id="webhook-secret">([^<]+)<`)

func TestWebhookPages(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	page := c.get("/webhooks")
	wantContains(t, "empty webhooks page", page, `id="empty-state"`, `id="new-webhook"`)

	resp := c.postForm("/webhooks/new", "/webhooks/new", url.Values{
		"name": {"Alarm"}, "url": {"ftp://desk.example/x"}, "method": {"POST"}, "events": {"device.alarm"},
		"header_name": {"X-Team"}, "header_value": {"ops"}, "body": {`{"d": "{{.data.device}}"}`}, "enabled": {"on"}, "max_attempts": {"5"},
	})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="url-error"`) || !strings.Contains(resp.body, `value="X-Team"`) {
		t.Errorf("ftp URL: status %d, want 422 next to the URL with the headers kept\n%s", resp.status, resp.body)
	}
	resp = c.postForm("/webhooks/new", "/webhooks/new", url.Values{
		"name": {"Alarm"}, "url": {"https://desk.example/x"}, "method": {"POST"}, "events": {"Not An Event"}, "max_attempts": {"5"},
	})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="events-error"`) {
		t.Errorf("bad event type: status %d, want 422 next to the event types", resp.status)
	}

	resp = c.follow(c.postForm("/webhooks/new", "/webhooks/new", url.Values{
		"name": {"Alarm"}, "url": {"https://desk.example/x"}, "method": {"POST"}, "events": {"device.alarm, device.fixed"},
		"header_name": {"X-Team", ""}, "header_value": {"ops", ""}, "body": {`{"d": "{{.data.device}}"}`}, "enabled": {"on"}, "max_attempts": {"5"},
	}))
	m := secretPattern.FindStringSubmatch(resp.body)
	if resp.status != http.StatusOK || m == nil {
		t.Fatalf("create: status %d, want 200 showing the signing secret\n%s", resp.status, resp.body)
	}
	hookID := regexp.MustCompile(`action="/webhooks/([^/"]+)/test"`).FindStringSubmatch(resp.body)
	if hookID == nil {
		t.Fatal("created webhook's page has no Send test form")
	}
	path := "/webhooks/" + hookID[1]
	page = c.get(path)
	if strings.Contains(page.body, m[1]) {
		t.Errorf("the webhook page shows the signing secret again")
	}
	wantContains(t, "webhook page", page, `value="X-Team"`, "device.fixed", `id="no-deliveries"`, `id="rotate-secret"`)

	resp = c.follow(c.postForm(path, path+"/rotate-secret", url.Values{}))
	rotated := secretPattern.FindStringSubmatch(resp.body)
	if resp.status != http.StatusOK || rotated == nil || rotated[1] == m[1] {
		t.Errorf("rotate: status %d, want a new secret shown once", resp.status)
	}

	resp = c.postForm(path, path+"/test", url.Values{})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("send test: status %d\n%s", resp.status, resp.body)
	}
	page = c.get(resp.header.Get("Location"))
	wantContains(t, "after a test", page, "A test delivery was queued", `class="delivery-row"`, "webhook.test", "pending")

	resp = c.postForm(path, path, url.Values{"name": {"Alarm v2"}, "url": {"https://desk.example/y"}, "method": {"PUT"}, "events": {"device.alarm"}, "max_attempts": {"3"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("edit: status %d\n%s", resp.status, resp.body)
	}
	page = c.get(path)
	wantContains(t, "after edit", page, `value="Alarm v2"`, `<option value="PUT" selected>`)
	if strings.Contains(page.body, `name="enabled" value="on" checked`) {
		t.Errorf("webhook is still enabled after saving with the box unchecked")
	}

	// A viewer reads the webhook without its header values or body.
	if resp := c.postForm("/members", "/members", url.Values{"username": {"vera"}, "role": {"viewer"}, "password": {"vera-password"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("add vera: %d", resp.status)
	}
	vera := s.newClient()
	vera.signIn("vera", "vera-password")
	page = vera.get(path)
	if page.status != http.StatusOK || strings.Contains(page.body, "ops") || strings.Contains(page.body, `id="send-test"`) || strings.Contains(page.body, "webhook-form") {
		t.Errorf("viewer's webhook page: status %d, shows a header value or offers changes\n%s", page.status, page.body)
	}
	if resp := vera.postForm(path, path+"/test", url.Values{}); resp.status != http.StatusForbidden {
		t.Errorf("viewer sends a test: status %d, want 403", resp.status)
	}

	resp = c.postForm(path, path+"/delete", url.Values{})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/webhooks?notice=webhook_deleted" {
		t.Errorf("delete: %d to %q", resp.status, resp.header.Get("Location"))
	}
}

func TestAuditPageFilters(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	for _, name := range []string{"dan", "erin"} {
		if resp := c.postForm("/members", "/members", url.Values{"username": {name}, "role": {"developer"}}); resp.status != http.StatusSeeOther {
			t.Fatalf("add %s: %d", name, resp.status)
		}
	}
	page := c.get("/audit")
	wantContains(t, "audit log", page, "user.created", `<option value="dan">`)
	if n := strings.Count(page.body, `class="audit-row"`); n != 2 {
		t.Errorf("audit rows = %d, want 2", n)
	}

	page = c.get("/audit?member=nobody")
	wantContains(t, "unknown member", page, `id="filter-error"`, "nobody")
	page = c.get("/audit?connection=none_such")
	wantContains(t, "unknown connection", page, `id="no-entries"`)

	// Paging: 55 entries make two pages of 50 and 5.
	for i := range 53 {
		if resp := c.postForm("/members", "/members/dan/role", url.Values{"role": {[]string{"viewer", "developer"}[i%2]}}); resp.status != http.StatusSeeOther {
			t.Fatalf("role change %d: %d", i, resp.status)
		}
	}
	page = c.get("/audit")
	older := regexp.MustCompile(`href="(/audit\?[^"]*before=[^"]+)" id="older-entries"`).FindStringSubmatch(page.body)
	if strings.Count(page.body, `class="audit-row"`) != 50 || older == nil {
		t.Fatalf("first page: %d rows, older link %v; want 50 and a link", strings.Count(page.body, `class="audit-row"`), older)
	}
	page = c.get(strings.ReplaceAll(older[1], "&amp;", "&"))
	if n := strings.Count(page.body, `class="audit-row"`); n != 5 {
		t.Errorf("second page rows = %d, want 5", n)
	}
	page = c.get("/audit?member=admin")
	if n := strings.Count(page.body, `class="audit-row"`); n != 50 {
		t.Errorf("entries of admin on the first page = %d, want 50", n)
	}
	page = c.get("/audit?member=dan")
	if strings.Contains(page.body, `class="audit-row"`) {
		t.Errorf("dan took no action, yet the filtered log lists entries")
	}
}
