package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestMembersAddAndSignIn(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()

	resp := c.postForm("/members", "/members", url.Values{"username": {"bob"}, "role": {"developer"}, "password": {"short"}})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="password-error"`) || !strings.Contains(resp.body, `value="bob"`) {
		t.Errorf("short password: status %d, want 422 with the error next to the password and the username kept\n%s", resp.status, resp.body)
	}
	if _, err := s.store.GetUserByUsername(t.Context(), s.orgID, "bob"); err == nil {
		t.Errorf("a rejected password still added the member")
	}
	resp = c.postForm("/members", "/members", url.Values{"username": {"Bob!"}, "role": {"developer"}})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="username-error"`) {
		t.Errorf("invalid username: status %d, want 422 with the error next to the username", resp.status)
	}

	resp = c.postForm("/members", "/members", url.Values{"username": {"bob"}, "role": {"developer"}, "password": {"bob-password-1"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("add bob: status %d\n%s", resp.status, resp.body)
	}
	bob := s.newClient()
	if resp := bob.signIn("bob", "bob-password-1"); resp.status != http.StatusSeeOther {
		t.Fatalf("bob signs in: status %d, want 303", resp.status)
	}

	// A developer gets the member list without admin controls and no Audit
	// entry in the navigation, and the audit log rejects the request.
	page := bob.get("/members")
	if page.status != http.StatusOK || strings.Contains(page.body, "Add a member") || strings.Contains(page.body, "/members/admin/role") {
		t.Errorf("members page of a developer: status %d, offers admin actions", page.status)
	}
	if strings.Contains(page.body, `href="/audit"`) {
		t.Errorf("a developer's navigation offers the audit log")
	}
	if resp := bob.get("/audit"); resp.status != http.StatusForbidden {
		t.Errorf("audit log for a developer: status %d, want 403", resp.status)
	}
	if resp := bob.postForm("/members", "/members", url.Values{"username": {"eve"}, "role": {"admin"}}); resp.status != http.StatusForbidden {
		t.Errorf("developer adds a member: status %d, want 403", resp.status)
	}

	// The last admin keeps the role, and the page shows the reason.
	resp = c.postForm("/members", "/members/admin/role", url.Values{"role": {"viewer"}})
	if resp.status != http.StatusConflict || !strings.Contains(resp.body, `id="member-admin-error"`) || !strings.Contains(resp.body, "last admin") {
		t.Errorf("demote the last admin: status %d, want 409 next to the member\n%s", resp.status, resp.body)
	}
	resp = c.postForm("/members", "/members/bob/role", url.Values{"role": {"viewer"}})
	if resp.status != http.StatusSeeOther || s.user("bob").Role != "viewer" {
		t.Errorf("change bob to viewer: status %d, role %q", resp.status, s.user("bob").Role)
	}

	// A new password ends bob's session and works for the next sign-in.
	resp = c.postForm("/members", "/members/bob/password", url.Values{"password": {"bob-password-2"}})
	if resp.status != http.StatusSeeOther {
		t.Errorf("reset bob's password: status %d", resp.status)
	}
	if resp := bob.get("/members"); resp.status != http.StatusSeeOther {
		t.Errorf("bob's session after a reset: status %d, want 303 to sign in", resp.status)
	}
	if resp := bob.signIn("bob", "bob-password-2"); resp.status != http.StatusSeeOther {
		t.Errorf("bob signs in with the new password: status %d", resp.status)
	}

	resp = c.postForm("/members", "/members/bob/delete", url.Values{})
	if resp.status != http.StatusSeeOther {
		t.Errorf("remove bob: status %d\n%s", resp.status, resp.body)
	}
	if _, err := s.store.GetUserByUsername(t.Context(), s.orgID, "bob"); err == nil {
		t.Errorf("bob is still a member after removal")
	}
}

var tokenPattern = regexp.MustCompile(`id="new-token">(pb_[^<]+)<`)

func TestAPITokensPage(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	if resp := c.postForm("/members", "/members", url.Values{"username": {"carol"}, "role": {"viewer"}, "password": {"carol-password"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("add carol: %d", resp.status)
	}

	resp := c.postForm("/members/tokens", "/members/tokens", url.Values{"name": {""}})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="name-error"`) {
		t.Errorf("token without a name: status %d, want 422 next to the name", resp.status)
	}
	resp = c.follow(c.postForm("/members/tokens", "/members/tokens", url.Values{"name": {"ci"}, "user": {"admin"}, "permissions": {"credentials:read"}}))
	m := tokenPattern.FindStringSubmatch(resp.body)
	if resp.status != http.StatusOK || m == nil {
		t.Fatalf("create token: status %d, want 200 showing the token\n%s", resp.status, resp.body)
	}
	page := c.get("/members/tokens")
	if strings.Contains(page.body, m[1]) {
		t.Errorf("the token list shows a token's value")
	}
	wantContains(t, "token list", page, ">ci<", "credentials:read")

	// An admin makes a token for a member, but a viewer's token never
	// gets credentials:read.
	resp = c.postForm("/members/tokens", "/members/tokens", url.Values{"name": {"report"}, "user": {"carol"}, "permissions": {"credentials:read"}})
	if resp.status != http.StatusForbidden || !strings.Contains(resp.body, `id="permissions-error"`) {
		t.Errorf("credentials:read for a viewer: status %d, want 403 next to the permissions\n%s", resp.status, resp.body)
	}
	resp = c.postForm("/members/tokens", "/members/tokens", url.Values{"name": {"report"}, "user": {"carol"}})
	if resp.status != http.StatusSeeOther {
		t.Errorf("token for carol: status %d", resp.status)
	}

	carol := s.newClient()
	carol.signIn("carol", "carol-password")
	page = carol.get("/members/tokens")
	if !strings.Contains(page.body, ">report<") || strings.Contains(page.body, ">ci<") || strings.Contains(page.body, `id="perm-credentials"`) {
		t.Errorf("carol's tokens page: want her token only and no credentials:read choice\n%s", page.body)
	}

	idPattern := regexp.MustCompile(`action="/members/tokens/([^/]+)/delete"`)
	id := idPattern.FindStringSubmatch(page.body)
	if id == nil {
		t.Fatal("carol's token has no Revoke form")
	}
	if resp := carol.postForm("/members/tokens", "/members/tokens/"+id[1]+"/delete", url.Values{}); resp.status != http.StatusSeeOther {
		t.Errorf("carol revokes her token: status %d", resp.status)
	}
	if page := carol.get("/members/tokens"); !strings.Contains(page.body, `id="no-tokens"`) {
		t.Errorf("carol still has a token after revoking it")
	}
}
