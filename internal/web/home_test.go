package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

func TestHomeAllConnectionsTab(t *testing.T) {
	s := newSite(t)
	s.addAPIKeyService()
	// The admin owns an unshared connection, which every developer may call
	// with the admin's credential.
	if _, err := s.conns.CreateConnection(t.Context(), s.admin, connections.ConnectionInput{Name: ptr("Team keys"), Service: "keyed"}); err != nil {
		t.Fatal(err)
	}
	if err := s.store.CreateUser(t.Context(), store.User{OrgID: s.orgID, ID: "user-dana", Username: "dana", Role: store.RoleDeveloper, CreatedAt: s.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	setPassword(t, s, "dana", "danas-password")
	c := s.newClient()
	if resp := c.signIn("dana", "danas-password"); resp.status != http.StatusSeeOther {
		t.Fatalf("dana's sign-in: status %d", resp.status)
	}

	mine := c.get("/")
	if !strings.Contains(mine.body, `id="tab-all">All connections</a>`) {
		t.Errorf("home lacks the All connections tab\n%s", mine.body)
	}
	if strings.Contains(mine.body, "team_keys") {
		t.Errorf("My connections of dana lists the admin's team_keys")
	}
	if !strings.Contains(mine.body, `id="empty-state"`) || !strings.Contains(mine.body, `<a href="/?view=all" id="empty-all-link">All connections</a>`) {
		t.Errorf("empty My connections does not point to All connections\n%s", mine.body)
	}
	if strings.Contains(mine.body, "No connections yet") {
		t.Errorf("empty My connections says there are no connections although the org has one")
	}

	all := c.get("/?view=all")
	if !strings.Contains(all.body, `id="tab-all" aria-current="page"`) && !strings.Contains(all.body, `aria-current="page" id="tab-all"`) {
		t.Errorf("All connections tab is not marked current")
	}
	if !strings.Contains(all.body, `<a href="/connections/team_keys">Team keys</a>`) {
		t.Errorf("All connections lacks the admin's team_keys\n%s", all.body)
	}
	if !strings.Contains(all.body, `<input type="hidden" name="view" value="all">`) {
		t.Errorf("the filters of All connections do not keep the view")
	}
}
