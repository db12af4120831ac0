package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/secrets"
)

// confirmPattern matches a confirmation: a details element whose summary
// opens it and whose body holds the form with the real submit button.
var confirmPattern = regexp.MustCompile(`(?s)<details class="confirm">\s*<summary id="([^"]+)-confirm">([^<]+)</summary>\s*<form method="post" action="([^"]+)">.*?<button type="submit" class="danger" id="([^"]+)">([^<]+)</button>\s*</form>\s*</details>`)

// confirmations returns the button text of every confirmation on a page,
// by the form's action.
func confirmations(p page) map[string]string {
	out := map[string]string{}
	for _, m := range confirmPattern.FindAllStringSubmatch(p.body, -1) {
		out[m[3]] = m[5]
	}
	return out
}

func TestDeleteAndRevokeNeedConfirmation(t *testing.T) {
	s := newSite(t)
	s.addAPIKeyService()
	c := s.newClient()
	s.mustSignIn(c)
	if resp := c.post("/connections/new", c.wizardForm("keyed", url.Values{"name": {"Acme devices"}, "credential_0": {"k-1234567890"}})); resp.status != http.StatusSeeOther {
		t.Fatalf("create: status %d\n%s", resp.status, resp.body)
	}

	page := c.get("/connections/acme_devices")
	got := confirmations(page)
	if want := "Delete connection acme_devices"; got["/connections/acme_devices/delete"] != want {
		t.Errorf("delete confirmation button = %q, want %q", got["/connections/acme_devices/delete"], want)
	}
	if want := "Revoke the credential of acme_devices"; got["/connections/acme_devices/revoke"] != want {
		t.Errorf("revoke confirmation button = %q, want %q", got["/connections/acme_devices/revoke"], want)
	}
	// Every destructive form of the page sits inside a confirmation.
	for _, action := range []string{"/connections/acme_devices/delete", "/connections/acme_devices/revoke"} {
		if n := strings.Count(page.body, `action="`+action+`"`); n != 1 {
			t.Errorf("page has %d forms posting to %s, want 1 inside the confirmation", n, action)
		}
	}

	resp := c.post("/connections/acme_devices/revoke", url.Values{"csrf_token": {page.csrf(t)}})
	if loc := resp.header.Get("Location"); resp.status != http.StatusSeeOther || loc != "/connections/acme_devices?notice=revoked&link=acme_devices" {
		t.Fatalf("revoke: %d to %q, want 303 to the page with the notice", resp.status, loc)
	}
	if got := c.get(resp.header.Get("Location")); !strings.Contains(got.body, `id="notice">The credential of connection acme_devices was revoked.</p>`) {
		t.Errorf("notice after revoke does not name the connection\n%s", got.body)
	}

	resp = c.post("/connections/acme_devices/delete", url.Values{"csrf_token": {page.csrf(t)}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("delete: status %d\n%s", resp.status, resp.body)
	}
	if got := c.get(resp.header.Get("Location")); !strings.Contains(got.body, `id="notice">Connection acme_devices was deleted.</p>`) {
		t.Errorf("notice after delete does not name the connection\n%s", got.body)
	}
}

func TestNoticeRejectsInvalidLinkName(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	page := c.get("/?notice=deleted&link=" + url.QueryEscape("<b>Evil</b> text"))
	if strings.Contains(page.body, "Evil") {
		t.Errorf("notice shows text from the URL that is not a link name")
	}
	if !strings.Contains(page.body, `id="notice">The connection was deleted.</p>`) {
		t.Errorf("notice with an invalid link name is not the generic one\n%s", page.body)
	}
}

func TestManagementDeletesNeedConfirmation(t *testing.T) {
	s := newSite(t)
	s.addAPIKeyService()
	c := s.adminClient()

	want := map[string]string{"/services/keyed/delete": "Delete service keyed"}
	got := confirmations(c.get("/services/keyed"))
	for action, button := range want {
		if got[action] != button {
			t.Errorf("service page: confirmation of %s = %q, want %q", action, got[action], button)
		}
	}

	clientID, secret := "client-1", secrets.Secret("client-secret-1")
	app, err := s.conns.CreateApplication(t.Context(), s.admin, connections.ApplicationInput{
		Service: "github", Name: ptr("Production"), ClientID: &clientID, ClientSecret: &secret,
	})
	if err != nil {
		t.Fatal(err)
	}
	appDelete := "/services/github/applications/" + app.ID + "/delete"
	if got := confirmations(c.get("/services/github")); got[appDelete] != "Delete application Production" {
		t.Errorf("github page: confirmation of the application's deletion = %q, want %q", got[appDelete], "Delete application Production")
	}
	if got := confirmations(c.get("/services/github/applications/" + app.ID)); got[appDelete] != "Delete application Production" {
		t.Errorf("application page: confirmation of its deletion = %q, want %q", got[appDelete], "Delete application Production")
	}

	resp := c.postForm("/webhooks/new", "/webhooks/new", url.Values{
		"name": {"Report alarm"}, "url": {"https://desk.example/x"}, "method": {"POST"}, "events": {"device.alarm"}, "enabled": {"on"}, "max_attempts": {"5"},
	})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("creating a webhook: status %d\n%s", resp.status, resp.body)
	}
	resp = c.follow(resp)
	hookPath := regexp.MustCompile(`action="(/webhooks/[^/"]+)/delete"`).FindStringSubmatch(resp.body)
	if hookPath == nil {
		t.Fatalf("page of the new webhook has no delete form\n%s", resp.body)
	}
	if got := confirmations(c.get(hookPath[1])); got[hookPath[1]+"/delete"] != "Delete webhook “Report alarm”" {
		t.Errorf("webhook page: confirmation of its deletion = %q, want %q", got[hookPath[1]+"/delete"], "Delete webhook “Report alarm”")
	}

	resp = c.postForm("/members", "/members", url.Values{"username": {"bob"}, "role": {"developer"}, "password": {"bobs-password-1"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("adding bob: status %d\n%s", resp.status, resp.body)
	}
	if got := confirmations(c.get("/members")); got["/members/bob/delete"] != "Remove member bob" {
		t.Errorf("members page: confirmation of bob's removal = %q, want %q", got["/members/bob/delete"], "Remove member bob")
	}
}
