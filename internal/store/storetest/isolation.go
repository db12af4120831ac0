package storetest

import (
	"errors"
	"testing"

	"github.com/plugboard/plugboard/internal/store"
)

// testOrgIsolation fills one org and then reads, changes and deletes its
// records through the ID of a second org. Every call must miss, and the
// first org's records must stay as they were.
func testOrgIsolation(t *testing.T, s store.Store) {
	org := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")
	token := newAPIToken(org.ID, user.ID)
	if err := s.CreateAPIToken(t.Context(), token); err != nil {
		t.Fatalf("CreateAPIToken() error = %v", err)
	}
	svc := createService(t, s, org.ID, "acme_devices", user.ID)
	app := createApplication(t, s, org.ID, "acme_devices", true)
	conn := newConnection(org.ID, "crm", "acme_devices", user.ID)
	conn.ApplicationID = app.ID
	conn.UseLoginUserCredentials = true
	createConnection(t, s, conn)
	cred := putCredential(t, s, newCredential(org.ID, conn.ID, user.ID))
	state := createOAuthState(t, s, newOAuthState(org.ID, conn.ID, user.ID))

	// The second org has a user with the same username, which a query that
	// drops the org ID would find, and a service of its own.
	other := createOrg(t, s)
	otherUser := createUser(t, s, other.ID, "alice")
	createService(t, s, other.ID, "other_service", otherUser.ID)

	t.Run("reads", func(t *testing.T) {
		ctx := t.Context()
		if _, err := s.GetUser(ctx, other.ID, user.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser() error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetAPIToken(ctx, other.ID, token.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAPIToken() error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetService(ctx, other.ID, svc.Service.Key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetService() error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetApplication(ctx, other.ID, app.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetApplication() error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetConnection(ctx, other.ID, conn.LinkName); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetConnection() error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetConnectionByID(ctx, other.ID, conn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetConnectionByID() error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetCredential(ctx, other.ID, conn.ID, user.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetCredential() error = %v, want ErrNotFound", err)
		}
	})

	t.Run("lists", func(t *testing.T) {
		ctx := t.Context()
		services, err := s.ListServices(ctx, other.ID)
		if err != nil {
			t.Fatalf("ListServices() error = %v", err)
		}
		if len(services) != 1 || services[0].Service.Key != "other_service" {
			t.Errorf("ListServices() returned %d services, want only other_service", len(services))
		}
		for _, serviceKey := range []string{"", svc.Service.Key} {
			apps, err := s.ListApplications(ctx, other.ID, serviceKey)
			if err != nil {
				t.Fatalf("ListApplications(%q) error = %v", serviceKey, err)
			}
			if len(apps) != 0 {
				t.Errorf("ListApplications(%q) returned %d applications, want 0", serviceKey, len(apps))
			}
		}
		for _, opts := range []store.ListConnectionsOptions{{}, {OwnerID: user.ID}, {SharedOnly: true}, {NotOwnerID: otherUser.ID}} {
			conns, err := s.ListConnections(ctx, other.ID, opts)
			if err != nil {
				t.Fatalf("ListConnections(%+v) error = %v", opts, err)
			}
			if len(conns) != 0 {
				t.Errorf("ListConnections(%+v) returned %d connections, want 0", opts, len(conns))
			}
		}
		creds, err := s.ListCredentials(ctx, other.ID, conn.ID)
		if err != nil {
			t.Fatalf("ListCredentials() error = %v", err)
		}
		if len(creds) != 0 {
			t.Errorf("ListCredentials() returned %d credentials, want 0", len(creds))
		}
	})

	t.Run("writes", func(t *testing.T) {
		ctx := t.Context()
		called := false
		if err := s.TouchAPIToken(ctx, other.ID, token.ID, at(1)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TouchAPIToken() error = %v, want ErrNotFound", err)
		}
		_, err := s.UpdateService(ctx, other.ID, svc.Service.Key, func(*store.CustomService) error { called = true; return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateService() error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteService(ctx, other.ID, svc.Service.Key); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteService() error = %v, want ErrNotFound", err)
		}
		_, err = s.UpdateApplication(ctx, other.ID, app.ID, func(*store.Application) error { called = true; return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateApplication() error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteApplication(ctx, other.ID, app.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteApplication() error = %v, want ErrNotFound", err)
		}
		_, err = s.UpdateConnection(ctx, other.ID, conn.LinkName, func(*store.Connection, []store.Credential) error { called = true; return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateConnection() error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteConnection(ctx, other.ID, conn.LinkName); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteConnection() error = %v, want ErrNotFound", err)
		}
		_, err = s.UpdateCredential(ctx, other.ID, conn.ID, user.ID, func(*store.Credential) error { called = true; return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateCredential() error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteCredential(ctx, other.ID, conn.ID, user.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteCredential() error = %v, want ErrNotFound", err)
		}
		if _, err := s.TakeOAuthState(ctx, other.ID, state.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeOAuthState() error = %v, want ErrNotFound", err)
		}
		if called {
			t.Errorf("an update function ran for a record of another org")
		}

		// A credential of the second org cannot attach to the first org's
		// connection.
		if err := s.PutCredential(ctx, newCredential(other.ID, conn.ID, otherUser.ID)); err == nil {
			t.Errorf("PutCredential(connection of another org) error = nil, want an error")
		}
	})

	t.Run("first org unchanged", func(t *testing.T) {
		ctx := t.Context()
		gotToken, err := s.GetAPIToken(ctx, org.ID, token.ID)
		if err != nil {
			t.Fatalf("GetAPIToken() error = %v", err)
		}
		checkEqual(t, "API token", canonAPIToken(gotToken), wantAPIToken(token))
		gotService, err := s.GetService(ctx, org.ID, svc.Service.Key)
		if err != nil {
			t.Fatalf("GetService() error = %v", err)
		}
		checkEqual(t, "service", gotService, wantService(svc))
		gotApp, err := s.GetApplication(ctx, org.ID, app.ID)
		if err != nil {
			t.Fatalf("GetApplication() error = %v", err)
		}
		checkEqual(t, "application", gotApp, wantApplication(app))
		gotConn, err := s.GetConnection(ctx, org.ID, conn.LinkName)
		if err != nil {
			t.Fatalf("GetConnection() error = %v", err)
		}
		checkEqual(t, "connection", canonConnection(gotConn), wantConnection(conn))
		creds, err := s.ListCredentials(ctx, org.ID, conn.ID)
		if err != nil {
			t.Fatalf("ListCredentials() error = %v", err)
		}
		if len(creds) != 1 {
			t.Fatalf("ListCredentials() returned %d credentials, want 1", len(creds))
		}
		checkEqual(t, "credential", canonCredential(creds[0]), wantCredential(cred))
		gotState, err := s.TakeOAuthState(ctx, org.ID, state.ID)
		if err != nil {
			t.Fatalf("TakeOAuthState() error = %v", err)
		}
		checkEqual(t, "OAuth state", gotState, wantOAuthState(state))
	})
}
