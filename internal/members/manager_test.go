package members

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// clock is a time source that moves one second forward on every reading.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// revocation is one RevokeMember call that fakeRevoker received.
type revocation struct {
	actor, link, username string
}

type fakeRevoker struct {
	mu    sync.Mutex
	calls []revocation
}

func (r *fakeRevoker) RevokeMember(ctx context.Context, actor connections.Actor, link, username string) (connections.RevokeResult, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, revocation{actor: actor.Username, link: link, username: username})
	return connections.RevokeResult{ProviderRevoked: true}, nil
}

type fixture struct {
	store   store.Store
	manager *Manager
	audit   *audit.Log
	revoker *fakeRevoker
	// admin is the bootstrap admin of org "default"; adminToken its token.
	admin      connections.Actor
	adminToken Token
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := openStore(t)
	boot, err := Bootstrap(t.Context(), st, "", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	user, _, err := Authenticate(t.Context(), st, string(boot.Token))
	if err != nil {
		t.Fatal(err)
	}
	now := (&clock{now: testNow}).Now
	log := audit.New(st, slog.New(slog.DiscardHandler), now)
	revoker := &fakeRevoker{}
	return &fixture{
		store:      st,
		manager:    NewManager(Options{Store: st, Audit: log, Credentials: revoker, Now: now}),
		audit:      log,
		revoker:    revoker,
		admin:      actorOf(user),
		adminToken: boot.Token,
	}
}

func actorOf(u store.User) connections.Actor {
	return connections.Actor{OrgID: u.OrgID, UserID: u.ID, Username: u.Username, Role: u.Role}
}

// addMember creates a member through the manager, as the admin.
func (f *fixture) addMember(t *testing.T, username, role string) connections.Actor {
	t.Helper()
	user, err := f.manager.CreateUser(t.Context(), f.admin, UserInput{Username: username, Role: role})
	if err != nil {
		t.Fatalf("CreateUser(%s, %s) error = %v", username, role, err)
	}
	return actorOf(user)
}

// auditActions returns the actions of the org's audit log, newest first.
func (f *fixture) auditActions(t *testing.T, orgID string) []string {
	t.Helper()
	entries, err := f.audit.List(t.Context(), orgID, store.ListAuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

func (f *fixture) role(t *testing.T, actor connections.Actor) string {
	t.Helper()
	u, err := f.store.GetUser(t.Context(), actor.OrgID, actor.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return u.Role
}

func wantProblem(t *testing.T, err error, status int, code string) *problem.Error {
	t.Helper()
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("error = %v, want a problem with code %s", err, code)
	}
	if p.Status != status || p.Code != code {
		t.Errorf("problem = %d %s (%s), want %d %s", p.Status, p.Code, p.Detail, status, code)
	}
	return p
}

func TestCreateUserAdminsOnly(t *testing.T) {
	f := newFixture(t)
	dev := f.addMember(t, "dan", store.RoleDeveloper)
	viewer := f.addMember(t, "vera", store.RoleViewer)

	for _, actor := range []connections.Actor{dev, viewer} {
		t.Run(actor.Role, func(t *testing.T) {
			_, err := f.manager.CreateUser(t.Context(), actor, UserInput{Username: "mallory", Role: store.RoleAdmin})
			wantProblem(t, err, http.StatusForbidden, "forbidden")
		})
	}
	if _, err := f.store.GetUserByUsername(t.Context(), f.admin.OrgID, "mallory"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUserByUsername(mallory) error = %v, want ErrNotFound", err)
	}
}

func TestCreateUserValidates(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name     string
		in       UserInput
		wantCode string
	}{
		{name: "empty username", in: UserInput{Username: "", Role: "viewer"}, wantCode: "invalid_username"},
		{name: "one character", in: UserInput{Username: "b", Role: "viewer"}, wantCode: "invalid_username"},
		{name: "upper case", in: UserInput{Username: "Bob", Role: "viewer"}, wantCode: "invalid_username"},
		{name: "leading digit", in: UserInput{Username: "1bob", Role: "viewer"}, wantCode: "invalid_username"},
		{name: "space", in: UserInput{Username: "bob smith", Role: "viewer"}, wantCode: "invalid_username"},
		{name: "33 characters", in: UserInput{Username: "b" + strings.Repeat("o", 32), Role: "viewer"}, wantCode: "invalid_username"},
		{name: "missing role", in: UserInput{Username: "bob"}, wantCode: "invalid_role"},
		{name: "unknown role", in: UserInput{Username: "bob", Role: "owner"}, wantCode: "invalid_role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.manager.CreateUser(t.Context(), f.admin, tt.in)
			wantProblem(t, err, http.StatusUnprocessableEntity, tt.wantCode)
		})
	}

	for _, username := range []string{"bo", "b" + strings.Repeat("o", 31), "bob.smith-2_x"} {
		if _, err := f.manager.CreateUser(t.Context(), f.admin, UserInput{Username: username, Role: "viewer"}); err != nil {
			t.Errorf("CreateUser(%q) error = %v, want success", username, err)
		}
	}
}

func TestCreateUserDuplicate(t *testing.T) {
	f := newFixture(t)
	f.addMember(t, "bob", store.RoleDeveloper)
	_, err := f.manager.CreateUser(t.Context(), f.admin, UserInput{Username: "bob", Role: store.RoleViewer})
	wantProblem(t, err, http.StatusConflict, "user_exists")
}

func TestListUsersPages(t *testing.T) {
	f := newFixture(t)
	f.addMember(t, "carol", store.RoleViewer)
	f.addMember(t, "bob", store.RoleDeveloper)
	viewer := f.addMember(t, "dave", store.RoleViewer)

	var pages []string
	after := ""
	for range 10 {
		// Every member may list, viewers included.
		users, err := f.manager.ListUsers(t.Context(), viewer, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) == 0 {
			break
		}
		var names []string
		for _, u := range users {
			names = append(names, u.Username)
		}
		pages = append(pages, strings.Join(names, " "))
		after = users[len(users)-1].Username
	}
	want := []string{"admin bob carol", "dave"}
	if fmt.Sprint(pages) != fmt.Sprint(want) {
		t.Errorf("pages = %q, want %q", pages, want)
	}
}

func TestUpdateUserChangesRole(t *testing.T) {
	f := newFixture(t)
	bob := f.addMember(t, "bob", store.RoleViewer)

	got, err := f.manager.UpdateUser(t.Context(), f.admin, "bob", store.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	if got.Role != store.RoleDeveloper {
		t.Errorf("returned role = %q, want developer", got.Role)
	}
	if role := f.role(t, bob); role != store.RoleDeveloper {
		t.Errorf("stored role = %q, want developer", role)
	}

	_, err = f.manager.UpdateUser(t.Context(), f.admin, "bob", "root")
	wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_role")
	_, err = f.manager.UpdateUser(t.Context(), f.admin, "nobody", store.RoleViewer)
	wantProblem(t, err, http.StatusNotFound, "user_not_found")
}

func TestUpdateUserAdminsOnly(t *testing.T) {
	f := newFixture(t)
	dev := f.addMember(t, "dan", store.RoleDeveloper)
	viewer := f.addMember(t, "vera", store.RoleViewer)

	tests := []struct {
		name     string
		actor    connections.Actor
		username string
	}{
		{name: "developer promotes self", actor: dev, username: "dan"},
		{name: "viewer promotes self", actor: viewer, username: "vera"},
		{name: "developer demotes admin", actor: dev, username: "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := store.RoleAdmin
			if tt.username == "admin" {
				role = store.RoleViewer
			}
			_, err := f.manager.UpdateUser(t.Context(), tt.actor, tt.username, role)
			wantProblem(t, err, http.StatusForbidden, "forbidden")
		})
	}
	if f.role(t, dev) != store.RoleDeveloper || f.role(t, viewer) != store.RoleViewer || f.role(t, f.admin) != store.RoleAdmin {
		t.Errorf("roles changed after rejected updates")
	}
}

func TestUpdateUserKeepsLastAdmin(t *testing.T) {
	f := newFixture(t)
	_, err := f.manager.UpdateUser(t.Context(), f.admin, "admin", store.RoleDeveloper)
	wantProblem(t, err, http.StatusConflict, "last_admin")
	if role := f.role(t, f.admin); role != store.RoleAdmin {
		t.Fatalf("last admin's role = %q after a rejected demotion, want admin", role)
	}

	second := f.addMember(t, "sam", store.RoleAdmin)
	if _, err := f.manager.UpdateUser(t.Context(), f.admin, "admin", store.RoleDeveloper); err != nil {
		t.Fatalf("demoting one of two admins: %v", err)
	}
	_, err = f.manager.UpdateUser(t.Context(), second, "sam", store.RoleViewer)
	wantProblem(t, err, http.StatusConflict, "last_admin")
	if role := f.role(t, second); role != store.RoleAdmin {
		t.Errorf("sam's role = %q, want admin", role)
	}
}

func TestConcurrentDemotionsKeepAnAdmin(t *testing.T) {
	for i := range 5 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			f := newFixture(t)
			sam := f.addMember(t, "sam", store.RoleAdmin)

			var wg sync.WaitGroup
			errs := make([]error, 2)
			wg.Go(func() { _, errs[0] = f.manager.UpdateUser(t.Context(), f.admin, "sam", store.RoleViewer) })
			wg.Go(func() { _, errs[1] = f.manager.UpdateUser(t.Context(), sam, "admin", store.RoleViewer) })
			wg.Wait()

			for _, err := range errs {
				if p, ok := problem.As(err); err != nil && (!ok || p.Code != "last_admin") {
					t.Errorf("concurrent demotion error = %v, want nil or last_admin", err)
				}
			}
			if n, err := f.manager.countAdmins(t.Context(), f.admin.OrgID); err != nil || n == 0 {
				t.Errorf("admins after concurrent demotions = %d (err %v), want at least 1", n, err)
			}
		})
	}
}

func TestDeleteUserRemovesTokens(t *testing.T) {
	f := newFixture(t)
	bob := f.addMember(t, "bob", store.RoleDeveloper)
	token, _, err := f.manager.CreateToken(t.Context(), f.admin, nil, TokenInput{Name: "ci", User: "bob"})
	if err != nil {
		t.Fatal(err)
	}

	if err := f.manager.DeleteUser(t.Context(), f.admin, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.GetUser(t.Context(), bob.OrgID, bob.UserID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser(bob) error = %v, want ErrNotFound", err)
	}
	if _, _, err := Authenticate(t.Context(), f.store, string(token)); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Authenticate(deleted member's token) error = %v, want ErrInvalidToken", err)
	}
	err = f.manager.DeleteUser(t.Context(), f.admin, "bob")
	wantProblem(t, err, http.StatusNotFound, "user_not_found")
}

func TestDeleteUserAdminsOnly(t *testing.T) {
	f := newFixture(t)
	dev := f.addMember(t, "dan", store.RoleDeveloper)
	viewer := f.addMember(t, "vera", store.RoleViewer)
	for _, actor := range []connections.Actor{dev, viewer} {
		t.Run(actor.Role, func(t *testing.T) {
			wantProblem(t, f.manager.DeleteUser(t.Context(), actor, "vera"), http.StatusForbidden, "forbidden")
		})
	}
	if _, err := f.store.GetUser(t.Context(), viewer.OrgID, viewer.UserID); err != nil {
		t.Errorf("GetUser(vera) error = %v after rejected deletions, want the member kept", err)
	}
}

func TestDeleteUserKeepsLastAdmin(t *testing.T) {
	f := newFixture(t)
	wantProblem(t, f.manager.DeleteUser(t.Context(), f.admin, "admin"), http.StatusConflict, "last_admin")
	if role := f.role(t, f.admin); role != store.RoleAdmin {
		t.Errorf("last admin's role = %q after a rejected deletion, want admin", role)
	}

	f.addMember(t, "sam", store.RoleAdmin)
	if err := f.manager.DeleteUser(t.Context(), f.admin, "admin"); err != nil {
		t.Errorf("deleting one of two admins: %v", err)
	}
}

func TestDeleteUserInUse(t *testing.T) {
	f := newFixture(t)
	bob := f.addMember(t, "bob", store.RoleAdmin)
	ctx := t.Context()
	if err := f.store.CreateConnection(ctx, store.Connection{
		OrgID: bob.OrgID, ID: NewID(), LinkName: "bobs_crm", Name: "Bob's CRM", ServiceKey: "github",
		OwnerID: bob.UserID, CreatedAt: testNow, UpdatedAt: testNow,
	}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.CreateWebhook(ctx, store.Webhook{
		OrgID: bob.OrgID, ID: NewID(), Name: "Ticket on alarm", URL: "https://desk.example/api", Method: "POST",
		Events: []string{"device.alarm"}, Enabled: true, CreatedBy: bob.UserID, CreatedAt: testNow, UpdatedAt: testNow,
	}); err != nil {
		t.Fatal(err)
	}

	p := wantProblem(t, f.manager.DeleteUser(ctx, f.admin, "bob"), http.StatusConflict, "user_in_use")
	for _, name := range []string{`"bobs_crm"`, `"Ticket on alarm"`} {
		if !strings.Contains(p.Detail, name) {
			t.Errorf("detail = %q, want it to name %s", p.Detail, name)
		}
	}
	if got := fmt.Sprint(p.Extra["connections"], p.Extra["webhooks"]); got != "[bobs_crm] [Ticket on alarm]" {
		t.Errorf("extra connections and webhooks = %s, want [bobs_crm] [Ticket on alarm]", got)
	}
	if role := f.role(t, bob); role != store.RoleAdmin {
		t.Errorf("bob's role = %q after a rejected deletion, want admin", role)
	}
}

func TestDeleteUserRevokesCredentials(t *testing.T) {
	f := newFixture(t)
	bob := f.addMember(t, "bob", store.RoleDeveloper)
	ctx := t.Context()
	for _, link := range []string{"shared_crm", "other_crm"} {
		conn := store.Connection{
			OrgID: f.admin.OrgID, ID: NewID(), LinkName: link, Name: link, ServiceKey: "github",
			UseLoginUserCredentials: true, OwnerID: f.admin.UserID, CreatedAt: testNow, UpdatedAt: testNow,
		}
		if err := f.store.CreateConnection(ctx, conn); err != nil {
			t.Fatal(err)
		}
		if link == "shared_crm" {
			if err := f.store.PutCredential(ctx, store.Credential{
				OrgID: conn.OrgID, ConnectionID: conn.ID, UserID: bob.UserID, Status: store.StatusConnected, UpdatedAt: testNow,
			}); err != nil {
				t.Fatal(err)
			}
		}
	}

	if err := f.manager.DeleteUser(ctx, f.admin, "bob"); err != nil {
		t.Fatal(err)
	}
	want := []revocation{{actor: "admin", link: "shared_crm", username: "bob"}}
	if fmt.Sprint(f.revoker.calls) != fmt.Sprint(want) {
		t.Errorf("revocations = %v, want %v", f.revoker.calls, want)
	}
}

func TestMemberChangesAreAudited(t *testing.T) {
	f := newFixture(t)
	ctx := audit.WithRemoteAddr(t.Context(), "192.0.2.9")
	if _, err := f.manager.CreateUser(ctx, f.admin, UserInput{Username: "bob", Role: store.RoleViewer}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.manager.UpdateUser(ctx, f.admin, "bob", store.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	// An update to the same role changes nothing and is not recorded.
	if _, err := f.manager.UpdateUser(ctx, f.admin, "bob", store.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	token, info, err := f.manager.CreateToken(ctx, f.admin, nil, TokenInput{Name: "ci", User: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.manager.DeleteToken(ctx, f.admin, info.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.manager.DeleteUser(ctx, f.admin, "bob"); err != nil {
		t.Fatal(err)
	}

	entries, err := f.audit.List(t.Context(), f.admin.OrgID, store.ListAuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ action, targetType, detail string }{
		{audit.ActionUserDeleted, "user", "map[role:developer username:bob]"},
		{audit.ActionTokenDeleted, "api_token", "map[name:ci user:bob]"},
		{audit.ActionTokenCreated, "api_token", "map[name:ci permissions:[] user:bob]"},
		{audit.ActionUserUpdated, "user", "map[previous_role:viewer role:developer username:bob]"},
		{audit.ActionUserCreated, "user", "map[role:viewer username:bob]"},
	}
	if len(entries) != len(want) {
		t.Fatalf("audit entries = %d, want %d", len(entries), len(want))
	}
	_, _, secret, _ := parseToken(string(token))
	for i, w := range want {
		e := entries[i]
		if e.Action != w.action || e.TargetType != w.targetType || fmt.Sprint(e.Detail) != w.detail {
			t.Errorf("entry %d = %s %s %v, want %s %s %s", i, e.Action, e.TargetType, e.Detail, w.action, w.targetType, w.detail)
		}
		if e.ActorName != "admin" || e.ActorID != f.admin.UserID || e.RemoteAddr != "192.0.2.9" {
			t.Errorf("entry %d actor %q (%s) from %q, want admin from 192.0.2.9", i, e.ActorName, e.ActorID, e.RemoteAddr)
		}
		if strings.Contains(fmt.Sprintf("%+v", e), secret) {
			t.Errorf("entry %d contains the token's secret", i)
		}
	}
}
