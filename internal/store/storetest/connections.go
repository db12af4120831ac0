package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func testConnections(t *testing.T, s store.Store) {
	t.Run("create and get", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		conn := newConnection(org.ID, "crm", "acme_devices", user.ID)
		conn.ApplicationID = createApplication(t, s, org.ID, "acme_devices", false).ID
		conn.UseLoginUserCredentials = true
		createConnection(t, s, conn)

		got, err := s.GetConnection(t.Context(), org.ID, "crm")
		if err != nil {
			t.Fatalf("GetConnection() error = %v", err)
		}
		checkEqual(t, "GetConnection", canonConnection(got), wantConnection(conn))

		got, err = s.GetConnectionByID(t.Context(), org.ID, conn.ID)
		if err != nil {
			t.Fatalf("GetConnectionByID() error = %v", err)
		}
		checkEqual(t, "GetConnectionByID", canonConnection(got), wantConnection(conn))
	})

	t.Run("no scopes", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		conn := newConnection(org.ID, "crm", "acme_devices", user.ID)
		conn.Scopes = nil
		createConnection(t, s, conn)

		got, err := s.GetConnection(t.Context(), org.ID, "crm")
		if err != nil {
			t.Fatalf("GetConnection() error = %v", err)
		}
		if len(got.Scopes) != 0 {
			t.Errorf("Scopes = %q, want none", got.Scopes)
		}
	})

	t.Run("link name conflict in org", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		createConnection(t, s, newConnection(org.ID, "crm", "acme_devices", user.ID))

		dup := newConnection(org.ID, "crm", "other_service", user.ID)
		if err := s.CreateConnection(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateConnection(taken link name) error = %v, want ErrConflict", err)
		}
	})

	t.Run("same link name in two orgs", func(t *testing.T) {
		first := createOrg(t, s)
		second := createOrg(t, s)
		firstConn := createConnection(t, s, newConnection(first.ID, "crm", "acme_devices", createUser(t, s, first.ID, "alice").ID))
		secondConn := newConnection(second.ID, "crm", "acme_devices", createUser(t, s, second.ID, "alice").ID)
		if err := s.CreateConnection(t.Context(), secondConn); err != nil {
			t.Fatalf("CreateConnection(link name of another org) error = %v, want nil", err)
		}

		for _, want := range []store.Connection{firstConn, secondConn} {
			got, err := s.GetConnection(t.Context(), want.OrgID, "crm")
			if err != nil {
				t.Fatalf("GetConnection(org %q) error = %v", want.OrgID, err)
			}
			if got.ID != want.ID {
				t.Errorf("GetConnection(org %q).ID = %q, want %q", want.OrgID, got.ID, want.ID)
			}
		}
	})

	t.Run("unknown connection", func(t *testing.T) {
		org := createOrg(t, s)

		if _, err := s.GetConnection(t.Context(), org.ID, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetConnection(unknown) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetConnectionByID(t.Context(), org.ID, uniqueID("conn")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetConnectionByID(unknown) error = %v, want ErrNotFound", err)
		}
		_, err := s.UpdateConnection(t.Context(), org.ID, "missing", func(*store.Connection, []store.Credential) error { return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateConnection(unknown) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteConnection(t.Context(), org.ID, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteConnection(unknown) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("update", func(t *testing.T) {
		org := createOrg(t, s)
		alice := createUser(t, s, org.ID, "alice")
		bob := createUser(t, s, org.ID, "bob")
		conn := createConnection(t, s, newConnection(org.ID, "crm", "acme_devices", alice.ID))
		newApp := createApplication(t, s, org.ID, "acme_devices", false)
		aliceCred := putCredential(t, s, newCredential(org.ID, conn.ID, alice.ID))
		bobCred := newCredential(org.ID, conn.ID, bob.ID)
		bobCred.Status = store.StatusNeedsReauth
		putCredential(t, s, bobCred)

		var passed []store.Credential
		got, err := s.UpdateConnection(t.Context(), org.ID, "crm", func(current *store.Connection, creds []store.Credential) error {
			checkEqual(t, "connection passed to update", canonConnection(*current), wantConnection(conn))
			passed = slices.Clone(creds)
			current.Name = "CRM"
			current.Description = "Sales CRM"
			current.ApplicationID = newApp.ID
			current.Scopes = []string{"contacts.read"}
			current.UseLoginUserCredentials = true
			current.UpdatedAt = at(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateConnection() error = %v", err)
		}

		slices.SortFunc(passed, func(a, b store.Credential) int { return strings.Compare(a.UserID, b.UserID) })
		wantPassed := []store.Credential{aliceCred, bobCred}
		slices.SortFunc(wantPassed, func(a, b store.Credential) int { return strings.Compare(a.UserID, b.UserID) })
		if len(passed) != len(wantPassed) {
			t.Fatalf("update received %d credentials, want %d", len(passed), len(wantPassed))
		}
		for i := range passed {
			checkEqual(t, "credential passed to update", canonCredential(passed[i]), wantCredential(wantPassed[i]))
		}

		want := conn
		want.Name = "CRM"
		want.Description = "Sales CRM"
		want.ApplicationID = newApp.ID
		want.Scopes = []string{"contacts.read"}
		want.UseLoginUserCredentials = true
		want.UpdatedAt = at(time.Hour)
		checkEqual(t, "UpdateConnection result", canonConnection(got), wantConnection(want))

		stored, err := s.GetConnection(t.Context(), org.ID, "crm")
		if err != nil {
			t.Fatalf("GetConnection() error = %v", err)
		}
		checkEqual(t, "GetConnection after update", canonConnection(stored), wantConnection(want))
	})

	t.Run("update keeps identity", func(t *testing.T) {
		org := createOrg(t, s)
		alice := createUser(t, s, org.ID, "alice")
		bob := createUser(t, s, org.ID, "bob")
		conn := createConnection(t, s, newConnection(org.ID, "crm", "acme_devices", alice.ID))
		sibling := createConnection(t, s, newConnection(org.ID, "mail", "acme_mail", bob.ID))

		got, err := s.UpdateConnection(t.Context(), org.ID, "crm", func(current *store.Connection, _ []store.Credential) error {
			current.Name = "CRM"
			current.OrgID = uniqueID("org")
			current.ID = sibling.ID
			current.LinkName = "renamed"
			current.ServiceKey = "acme_mail"
			current.OwnerID = bob.ID
			current.CreatedAt = at(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateConnection() error = %v", err)
		}

		want := conn
		want.Name = "CRM"
		checkEqual(t, "UpdateConnection result", canonConnection(got), wantConnection(want))
		stored, err := s.GetConnection(t.Context(), org.ID, "crm")
		if err != nil {
			t.Fatalf("GetConnection() error = %v", err)
		}
		checkEqual(t, "GetConnection after update", canonConnection(stored), wantConnection(want))

		storedSibling, err := s.GetConnection(t.Context(), org.ID, "mail")
		if err != nil {
			t.Fatalf("GetConnection(sibling) error = %v", err)
		}
		checkEqual(t, "sibling connection after update", canonConnection(storedSibling), wantConnection(sibling))
		if _, err := s.GetConnection(t.Context(), org.ID, "renamed"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetConnection(link name set by update) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("update error rolls back", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		conn := createConnection(t, s, newConnection(org.ID, "crm", "acme_devices", user.ID))
		errRejected := errors.New("update rejected by test")

		_, err := s.UpdateConnection(t.Context(), org.ID, "crm", func(current *store.Connection, _ []store.Credential) error {
			current.Name = "Changed"
			current.Scopes = []string{"changed"}
			return errRejected
		})
		if !errors.Is(err, errRejected) {
			t.Errorf("UpdateConnection() error = %v, want the update function's error", err)
		}

		got, err := s.GetConnection(t.Context(), org.ID, "crm")
		if err != nil {
			t.Fatalf("GetConnection() error = %v", err)
		}
		checkEqual(t, "GetConnection after failed update", canonConnection(got), wantConnection(conn))
	})

	t.Run("delete cascades", func(t *testing.T) {
		org := createOrg(t, s)
		alice := createUser(t, s, org.ID, "alice")
		bob := createUser(t, s, org.ID, "bob")
		conn := createConnection(t, s, newConnection(org.ID, "crm", "acme_devices", alice.ID))
		putCredential(t, s, newCredential(org.ID, conn.ID, alice.ID))
		putCredential(t, s, newCredential(org.ID, conn.ID, bob.ID))
		state := createOAuthState(t, s, newOAuthState(org.ID, conn.ID, alice.ID))
		sibling := createConnection(t, s, newConnection(org.ID, "mail", "acme_devices", alice.ID))
		siblingCred := putCredential(t, s, newCredential(org.ID, sibling.ID, alice.ID))
		siblingState := createOAuthState(t, s, newOAuthState(org.ID, sibling.ID, alice.ID))

		if err := s.DeleteConnection(t.Context(), org.ID, "crm"); err != nil {
			t.Fatalf("DeleteConnection() error = %v", err)
		}

		if _, err := s.GetConnection(t.Context(), org.ID, "crm"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetConnection(deleted) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetConnectionByID(t.Context(), org.ID, conn.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetConnectionByID(deleted) error = %v, want ErrNotFound", err)
		}
		for _, user := range []store.User{alice, bob} {
			if _, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetCredential(deleted connection, %s) error = %v, want ErrNotFound", user.Username, err)
			}
		}
		creds, err := s.ListCredentials(t.Context(), org.ID, conn.ID)
		if err != nil {
			t.Fatalf("ListCredentials(deleted connection) error = %v", err)
		}
		if len(creds) != 0 {
			t.Errorf("ListCredentials(deleted connection) returned %d credentials, want 0", len(creds))
		}
		if _, err := s.TakeOAuthState(t.Context(), org.ID, state.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeOAuthState(deleted connection's state) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteConnection(t.Context(), org.ID, "crm"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteConnection(deleted) error = %v, want ErrNotFound", err)
		}

		gotCred, err := s.GetCredential(t.Context(), org.ID, sibling.ID, alice.ID)
		if err != nil {
			t.Fatalf("GetCredential(sibling connection) error = %v", err)
		}
		checkEqual(t, "sibling connection's credential", canonCredential(gotCred), wantCredential(siblingCred))
		if _, err := s.TakeOAuthState(t.Context(), org.ID, siblingState.ID); err != nil {
			t.Errorf("TakeOAuthState(sibling connection's state) error = %v, want nil", err)
		}
	})
}

func testListConnections(t *testing.T, s store.Store) {
	org := createOrg(t, s)
	other := createOrg(t, s)
	alice := createUser(t, s, org.ID, "alice")
	bob := createUser(t, s, org.ID, "bob")
	otherUser := createUser(t, s, other.ID, "alice")

	// Created out of order, so a list in insertion order fails.
	fixtures := []struct {
		linkName string
		owner    store.User
		shared   bool
		service  string
	}{
		{"crm", alice, false, "acme_devices"},
		{"alpha", bob, true, "acme_devices"},
		{"mail", alice, true, "acme_mail"},
		{"zeta", bob, false, "acme_mail"},
		{"beta", alice, false, "acme_devices"},
	}
	for _, f := range fixtures {
		conn := newConnection(org.ID, f.linkName, f.service, f.owner.ID)
		conn.UseLoginUserCredentials = f.shared
		createConnection(t, s, conn)
	}
	for _, linkName := range []string{"aaa", "crm", "mail_other"} {
		conn := newConnection(other.ID, linkName, "acme_devices", otherUser.ID)
		conn.UseLoginUserCredentials = true
		createConnection(t, s, conn)
	}

	tests := []struct {
		name string
		opts store.ListConnectionsOptions
		want []string
	}{
		{"all", store.ListConnectionsOptions{}, []string{"alpha", "beta", "crm", "mail", "zeta"}},
		{"after link name", store.ListConnectionsOptions{After: "beta"}, []string{"crm", "mail", "zeta"}},
		{"after missing link name", store.ListConnectionsOptions{After: "c"}, []string{"crm", "mail", "zeta"}},
		{"after last", store.ListConnectionsOptions{After: "zeta"}, []string{}},
		{"limit", store.ListConnectionsOptions{Limit: 2}, []string{"alpha", "beta"}},
		{"after and limit", store.ListConnectionsOptions{After: "beta", Limit: 2}, []string{"crm", "mail"}},
		{"limit above count", store.ListConnectionsOptions{Limit: 50}, []string{"alpha", "beta", "crm", "mail", "zeta"}},
		{"owner", store.ListConnectionsOptions{OwnerID: alice.ID}, []string{"beta", "crm", "mail"}},
		{"not owner", store.ListConnectionsOptions{NotOwnerID: alice.ID}, []string{"alpha", "zeta"}},
		{"shared only", store.ListConnectionsOptions{SharedOnly: true}, []string{"alpha", "mail"}},
		{"owner and shared", store.ListConnectionsOptions{OwnerID: alice.ID, SharedOnly: true}, []string{"mail"}},
		{"shared by others", store.ListConnectionsOptions{NotOwnerID: alice.ID, SharedOnly: true}, []string{"alpha"}},
		{"owner after and limit", store.ListConnectionsOptions{OwnerID: alice.ID, After: "beta", Limit: 1}, []string{"crm"}},
		{"unknown owner", store.ListConnectionsOptions{OwnerID: otherUser.ID}, []string{}},
		{"service", store.ListConnectionsOptions{ServiceKey: "acme_mail"}, []string{"mail", "zeta"}},
		{"service and owner", store.ListConnectionsOptions{ServiceKey: "acme_devices", OwnerID: alice.ID}, []string{"beta", "crm"}},
		{"unknown service", store.ListConnectionsOptions{ServiceKey: "acme_none"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListConnections(t.Context(), org.ID, tt.opts)
			if err != nil {
				t.Fatalf("ListConnections(%+v) error = %v", tt.opts, err)
			}
			checkEqual(t, "link names", linkNames(got), tt.want)
			for _, conn := range got {
				if conn.OrgID != org.ID {
					t.Errorf("connection %q has OrgID %q, want %q", conn.LinkName, conn.OrgID, org.ID)
				}
			}
		})
	}

	t.Run("pages", func(t *testing.T) {
		var all []string
		opts := store.ListConnectionsOptions{Limit: 2}
		for range 10 {
			page, err := s.ListConnections(t.Context(), org.ID, opts)
			if err != nil {
				t.Fatalf("ListConnections(%+v) error = %v", opts, err)
			}
			all = append(all, linkNames(page)...)
			if len(page) < opts.Limit {
				break
			}
			opts.After = page[len(page)-1].LinkName
		}
		checkEqual(t, "link names of all pages", all, []string{"alpha", "beta", "crm", "mail", "zeta"})
	})

	t.Run("full records", func(t *testing.T) {
		got, err := s.ListConnections(t.Context(), org.ID, store.ListConnectionsOptions{OwnerID: bob.ID, SharedOnly: true})
		if err != nil {
			t.Fatalf("ListConnections() error = %v", err)
		}
		if len(got) != 1 {
			t.Fatalf("ListConnections() returned %d connections, want 1", len(got))
		}
		want, err := s.GetConnection(t.Context(), org.ID, "alpha")
		if err != nil {
			t.Fatalf("GetConnection() error = %v", err)
		}
		checkEqual(t, "listed connection", canonConnection(got[0]), canonConnection(want))
	})

	t.Run("other org", func(t *testing.T) {
		got, err := s.ListConnections(t.Context(), other.ID, store.ListConnectionsOptions{})
		if err != nil {
			t.Fatalf("ListConnections(other org) error = %v", err)
		}
		checkEqual(t, "link names of other org", linkNames(got), []string{"aaa", "crm", "mail_other"})
	})
}
