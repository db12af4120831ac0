package connections_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

func TestLifecycleRaisesEventsAndAudit(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices", "devices.read"))
	f.connect(t, f.developer, conn.LinkName)
	if _, err := f.manager.UpdateConnection(f.ctx, f.developer, conn.LinkName, connections.ConnectionInput{Name: ptr("Plant devices")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.manager.Revoke(f.ctx, f.developer, conn.LinkName); err != nil {
		t.Fatal(err)
	}
	if err := f.manager.DeleteConnection(f.ctx, f.developer, conn.LinkName); err != nil {
		t.Fatal(err)
	}

	wantEvents := []string{connections.EventConnected, connections.EventRevoked, connections.EventDeleted}
	if got := f.events.types(); !slices.Equal(got, wantEvents) {
		t.Errorf("events = %v, want %v", got, wantEvents)
	}
	for _, e := range f.events.events {
		if e.orgID != testOrgID || e.data["connection"] != conn.LinkName || e.data["user"] != "dev" {
			t.Errorf("event %s = %+v, want org %s, connection %s and user dev", e.eventType, e, testOrgID, conn.LinkName)
		}
	}
	wantActions := []string{"connection.created", "connection.connected", "connection.updated", "connection.revoked", "connection.deleted"}
	if got := f.audit.actions(); !slices.Equal(got, wantActions) {
		t.Errorf("audit actions = %v, want %v", got, wantActions)
	}
	for _, e := range f.audit.entries {
		if e.ActorID != f.developer.UserID || e.LinkName != conn.LinkName || e.ConnectionID != conn.ID {
			t.Errorf("audit entry %s = actor %q, connection %q; want %q on %q", e.Action, e.ActorID, e.LinkName, f.developer.UserID, conn.LinkName)
		}
	}
}

func TestInvalidGrantRaisesNeedsReauth(t *testing.T) {
	f, conn := connectedFixture(t)
	f.provider.setRespond(func(url.Values, int) providerResponse {
		return providerResponse{status: http.StatusBadRequest, body: map[string]any{"error": "invalid_grant"}}
	})
	f.clock.Advance(untilRefresh)
	if _, err := f.manager.Token(f.ctx, f.developer, conn.LinkName); err == nil {
		t.Fatal("Token() after invalid_grant succeeded, want an error")
	}
	if got := f.events.types(); !slices.Contains(got, connections.EventNeedsReauth) {
		t.Errorf("events = %v, want %s among them", got, connections.EventNeedsReauth)
	}
}

func TestCredentialReadIsAudited(t *testing.T) {
	f, conn := connectedFixture(t)
	f.token(t, conn.LinkName)
	if got := f.audit.actions(); !slices.Contains(got, "credential.read") {
		t.Errorf("audit actions = %v, want credential.read among them", got)
	}
}

// createWebhook binds a webhook named name to conn directly in the store.
func (f *fixture) createWebhook(t *testing.T, conn store.Connection, name string) store.Webhook {
	t.Helper()
	hook := store.Webhook{
		OrgID: testOrgID, ID: "wh-" + name, Name: name, URL: "/devices", Method: "POST",
		ConnectionID: conn.ID, Events: []string{"device.alarm"}, Enabled: true, MaxAttempts: 3,
		CreatedBy: f.developer.UserID, CreatedAt: testStart, UpdatedAt: testStart,
	}
	if err := f.store.CreateWebhook(f.ctx, hook); err != nil {
		t.Fatalf("creating webhook %s: %v", name, err)
	}
	return hook
}

func TestDeleteRefusedWhileWebhooksUseConnection(t *testing.T) {
	f, conn := connectedFixture(t)
	f.createWebhook(t, conn, "Ticket on alarm")
	f.createWebhook(t, conn, "Page on call")

	err := f.manager.DeleteConnection(f.ctx, f.developer, conn.LinkName)
	p := f.wantProblem(t, err, http.StatusConflict, "connection_in_use")
	for _, name := range []string{"Ticket on alarm", "Page on call"} {
		if !strings.Contains(p.Detail, name) {
			t.Errorf("detail %q does not name webhook %q", p.Detail, name)
		}
	}
	if _, err := f.manager.Connection(f.ctx, testOrgID, conn.LinkName); err != nil {
		t.Errorf("connection after a refused delete: %v, want it kept", err)
	}
	if n := len(f.provider.revocations()); n != 0 {
		t.Errorf("a refused delete sent %d revocations, want 0", n)
	}

	usages, err := f.manager.Usages(f.ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	if len(usages) != 2 || usages[0].Type != "webhook" {
		t.Errorf("usages = %+v, want the two webhooks", usages)
	}
}

func TestUpdateRefusalNamesWebhooks(t *testing.T) {
	f, conn := connectedFixture(t)
	f.createWebhook(t, conn, "Ticket on alarm")

	_, err := f.manager.UpdateConnection(f.ctx, f.developer, conn.LinkName, connections.ConnectionInput{Scopes: &[]string{"devices.write"}})
	p := f.wantProblem(t, err, http.StatusConflict, "connection_connected")
	if !strings.Contains(p.Detail, "revoke") || !strings.Contains(p.Detail, "Ticket on alarm") {
		t.Errorf("detail %q, want it to say to revoke first and name the webhook", p.Detail)
	}
}

func TestHoldersAndRevokeMember(t *testing.T) {
	f := newFixture(t)
	shared := true
	in := connectionInput("Shared devices", "devices.read")
	in.UseLoginUserCredentials = &shared
	conn := f.createConnection(t, f.developer, in)
	f.connect(t, f.developer, conn.LinkName)
	f.clock.Advance(time.Second)
	f.connect(t, f.otherDeveloper, conn.LinkName)

	holders, err := f.manager.Holders(f.ctx, f.admin, conn.LinkName)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range holders {
		names = append(names, h.Username)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"dev", "dev2"}) {
		t.Errorf("holders = %v, want [dev dev2]", names)
	}
	if _, err := f.manager.Holders(f.ctx, f.otherDeveloper, conn.LinkName); err == nil {
		t.Errorf("a member who is neither admin nor owner listed the holders")
	}

	_, err = f.manager.RevokeMember(f.ctx, f.developer, conn.LinkName, "dev2")
	f.wantProblem(t, err, http.StatusForbidden, "forbidden")
	if _, err := f.manager.RevokeMember(f.ctx, f.admin, conn.LinkName, "dev2"); err != nil {
		t.Fatalf("RevokeMember() by an admin: %v", err)
	}
	if _, err := f.manager.Token(f.ctx, f.otherDeveloper, conn.LinkName); err == nil {
		t.Errorf("dev2's call after the admin revoked it succeeded")
	} else {
		f.wantProblem(t, err, http.StatusConflict, "authorization_required")
	}
	if _, err := f.manager.Token(f.ctx, f.developer, conn.LinkName); err != nil {
		t.Errorf("dev's own credential after dev2's revoke: %v", err)
	}
}
