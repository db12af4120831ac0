package members

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/store"
)

func TestCreateOrg(t *testing.T) {
	f := newFixture(t)
	created, err := f.manager.CreateOrg(t.Context(), "acme-eu", "root")
	if err != nil {
		t.Fatal(err)
	}
	if created.Org.Name != "acme-eu" || created.Admin.Username != "root" || created.Admin.Role != store.RoleAdmin {
		t.Errorf("created org %q with admin %q (%s), want acme-eu with admin root (admin)",
			created.Org.Name, created.Admin.Username, created.Admin.Role)
	}
	user, _, err := Authenticate(t.Context(), f.store, string(created.Token))
	if err != nil {
		t.Fatalf("Authenticate(new org's token) error = %v", err)
	}
	if user.OrgID != created.Org.ID || user.Username != "root" {
		t.Errorf("token belongs to %q of org %q, want root of %q", user.Username, user.OrgID, created.Org.ID)
	}

	entries, err := f.audit.List(t.Context(), created.Org.ID, store.ListAuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := audit.ActionTokenCreated + " " + audit.ActionUserCreated
	var got []string
	for _, e := range entries {
		got = append(got, e.Action)
		if e.ActorID != "" {
			t.Errorf("entry %s has actor %q, want plugboard (empty)", e.Action, e.ActorID)
		}
	}
	if strings.Join(got, " ") != want {
		t.Errorf("new org's audit log = %q, want %q", got, want)
	}
}

func TestCreateOrgRejects(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, org, admin, want string
	}{
		{name: "one character", org: "a", admin: "admin", want: "org name"},
		{name: "upper case", org: "Acme", admin: "admin", want: "org name"},
		{name: "underscore", org: "acme_eu", admin: "admin", want: "org name"},
		{name: "leading digit", org: "1acme", admin: "admin", want: "org name"},
		{name: "41 characters", org: "a" + strings.Repeat("b", 40), admin: "admin", want: "org name"},
		{name: "bad admin", org: "acme", admin: "Root", want: "admin username"},
		{name: "taken", org: DefaultOrg, admin: "admin", want: "org already exists"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.manager.CreateOrg(t.Context(), tt.org, tt.admin)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CreateOrg(%q, %q) error = %v, want one about %s", tt.org, tt.admin, err, tt.want)
			}
		})
	}
	if _, err := f.manager.CreateOrg(t.Context(), DefaultOrg, "admin"); !errors.Is(err, ErrOrgExists) {
		t.Errorf("CreateOrg(taken name) error = %v, want ErrOrgExists", err)
	}
	if n, err := f.store.CountOrgs(t.Context()); err != nil || n != 1 {
		t.Errorf("orgs after rejected creations = %d (err %v), want 1", n, err)
	}
}

func TestSecondOrgSeesNothingOfFirst(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.addMember(t, "bob", store.RoleDeveloper)
	_, bobInfo, err := f.manager.CreateToken(ctx, f.admin, nil, TokenInput{Name: "bob-ci", User: "bob"})
	if err != nil {
		t.Fatal(err)
	}

	created, err := f.manager.CreateOrg(ctx, "acme", "admin")
	if err != nil {
		t.Fatal(err)
	}
	user, _, err := Authenticate(ctx, f.store, string(created.Token))
	if err != nil {
		t.Fatal(err)
	}
	other := actorOf(user)

	users, err := f.manager.ListUsers(ctx, other, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 || users[0].ID != created.Admin.ID {
		t.Errorf("second org lists users %v, want only its admin", users)
	}
	tokens, err := f.manager.ListTokens(ctx, other, AllUsers, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := tokenNames(tokens); got != "create-org:admin" {
		t.Errorf("second org lists tokens %q, want only create-org:admin", got)
	}
	entries, err := f.audit.Read(ctx, other, audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.OrgID != created.Org.ID || e.Detail["user"] == "bob" || e.Detail["username"] == "bob" {
			t.Errorf("second org reads entry %s %v of another org", e.Action, e.Detail)
		}
	}
	if len(entries) != 2 {
		t.Errorf("second org reads %d audit entries, want its own 2", len(entries))
	}

	// The first org's member and token are unknown to the second org's admin.
	checks := []struct {
		name string
		err  error
		code string
	}{
		{name: "update bob", err: second(f.manager.UpdateUser(ctx, other, "bob", store.RoleAdmin)), code: "user_not_found"},
		{name: "delete bob", err: f.manager.DeleteUser(ctx, other, "bob"), code: "user_not_found"},
		{name: "token for bob", err: third(f.manager.CreateToken(ctx, other, nil, TokenInput{Name: "x", User: "bob"})), code: "user_not_found"},
		{name: "list bob's tokens", err: second(f.manager.ListTokens(ctx, other, "bob", "", 0)), code: "user_not_found"},
		{name: "delete bob's token", err: f.manager.DeleteToken(ctx, other, bobInfo.ID), code: "token_not_found"},
		{name: "audit of bob", err: second(f.audit.Read(ctx, other, audit.Query{Member: "bob"})), code: "user_not_found"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			wantProblem(t, c.err, http.StatusNotFound, c.code)
		})
	}
	bob, err := f.store.GetUserByUsername(ctx, f.admin.OrgID, "bob")
	if err != nil || bob.Role != store.RoleDeveloper {
		t.Errorf("bob = %+v (err %v) after the second org's attempts, want an unchanged developer", bob, err)
	}
	if _, err := f.store.GetAPIToken(ctx, f.admin.OrgID, bobInfo.ID); err != nil {
		t.Errorf("bob's token error = %v after the second org's attempts, want it kept", err)
	}
}

func second[T any](_ T, err error) error { return err }

func third[T, U any](_ T, _ U, err error) error { return err }

func TestCreateOrgThenBootstrapSkips(t *testing.T) {
	st := openStore(t)
	m := NewManager(Options{Store: st})
	if _, err := m.CreateOrg(t.Context(), "acme", "admin"); err != nil {
		t.Fatal(err)
	}
	boot, err := Bootstrap(t.Context(), st, "", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if boot.Created {
		t.Errorf("Bootstrap created %q after create-org made the first org, want nothing created", DefaultOrg)
	}
}
