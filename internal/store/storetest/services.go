package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/store"
)

func testServices(t *testing.T, s store.Store) {
	t.Run("create and get", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		svc := createService(t, s, org.ID, "acme_devices", user.ID)

		got, err := s.GetService(t.Context(), org.ID, "acme_devices")
		if err != nil {
			t.Fatalf("GetService() error = %v", err)
		}
		checkEqual(t, "GetService", got, wantService(svc))
	})

	t.Run("key conflict in org", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		createService(t, s, org.ID, "acme_devices", user.ID)

		dup := newService(org.ID, "acme_devices", user.ID)
		dup.Service.Name = "Another name"
		if err := s.CreateService(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateService(taken key) error = %v, want ErrConflict", err)
		}
	})

	t.Run("same key in two orgs", func(t *testing.T) {
		first := createOrg(t, s)
		second := createOrg(t, s)
		createService(t, s, first.ID, "acme_devices", createUser(t, s, first.ID, "alice").ID)
		svc := newService(second.ID, "acme_devices", createUser(t, s, second.ID, "alice").ID)
		svc.Service.Name = "Second org's Acme"
		if err := s.CreateService(t.Context(), svc); err != nil {
			t.Fatalf("CreateService(key of another org) error = %v, want nil", err)
		}

		got, err := s.GetService(t.Context(), second.ID, "acme_devices")
		if err != nil {
			t.Fatalf("GetService() error = %v", err)
		}
		checkEqual(t, "GetService", got, wantService(svc))
	})

	t.Run("list in key order", func(t *testing.T) {
		org := createOrg(t, s)
		other := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		for _, key := range []string{"svc_c", "svc_a", "svc_b"} {
			createService(t, s, org.ID, key, user.ID)
		}
		createService(t, s, other.ID, "svc_a0", createUser(t, s, other.ID, "alice").ID)

		got, err := s.ListServices(t.Context(), org.ID)
		if err != nil {
			t.Fatalf("ListServices() error = %v", err)
		}
		keys := []string{}
		for _, svc := range got {
			keys = append(keys, svc.Service.Key)
		}
		checkEqual(t, "ListServices keys", keys, []string{"svc_a", "svc_b", "svc_c"})
		if len(got) > 0 {
			checkEqual(t, "ListServices()[0]", got[0], wantService(newService(org.ID, "svc_a", user.ID)))
		}
	})

	t.Run("list of org without services", func(t *testing.T) {
		org := createOrg(t, s)

		got, err := s.ListServices(t.Context(), org.ID)
		if err != nil {
			t.Fatalf("ListServices() error = %v", err)
		}
		if len(got) != 0 {
			t.Errorf("ListServices() returned %d services, want 0", len(got))
		}
	})

	t.Run("update", func(t *testing.T) {
		org := createOrg(t, s)
		other := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		svc := createService(t, s, org.ID, "acme_devices", user.ID)

		got, err := s.UpdateService(t.Context(), org.ID, "acme_devices", func(current *store.CustomService) error {
			checkEqual(t, "service passed to update", *current, wantService(svc))
			current.Service.Name = "Acme Devices v2"
			current.Service.Scopes = append(current.Service.Scopes, catalog.Scope{Name: "devices.admin"})
			current.Service.FreeScopes = true
			current.UpdatedAt = at(time.Hour)
			// The identity cannot change through an update.
			current.Service.Key = "renamed"
			current.OrgID = other.ID
			current.CreatedBy = "someone_else"
			current.CreatedAt = at(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateService() error = %v", err)
		}

		want := svc
		want.Service.Name = "Acme Devices v2"
		want.Service.Scopes = append(want.Service.Scopes, catalog.Scope{Name: "devices.admin"})
		want.Service.FreeScopes = true
		want.UpdatedAt = at(time.Hour)
		checkEqual(t, "UpdateService result", got, wantService(want))

		stored, err := s.GetService(t.Context(), org.ID, "acme_devices")
		if err != nil {
			t.Fatalf("GetService() after update error = %v", err)
		}
		checkEqual(t, "GetService after update", stored, wantService(want))

		if _, err := s.GetService(t.Context(), org.ID, "renamed"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetService(key set by update) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetService(t.Context(), other.ID, "acme_devices"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetService(org set by update) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("update error rolls back", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		svc := createService(t, s, org.ID, "acme_devices", user.ID)
		errRejected := errors.New("update rejected by test")

		_, err := s.UpdateService(t.Context(), org.ID, "acme_devices", func(current *store.CustomService) error {
			current.Service.Name = "Changed"
			current.UpdatedAt = at(time.Hour)
			return errRejected
		})
		if !errors.Is(err, errRejected) {
			t.Errorf("UpdateService() error = %v, want the update function's error", err)
		}

		got, err := s.GetService(t.Context(), org.ID, "acme_devices")
		if err != nil {
			t.Fatalf("GetService() error = %v", err)
		}
		checkEqual(t, "GetService after failed update", got, wantService(svc))
	})

	t.Run("update unknown", func(t *testing.T) {
		org := createOrg(t, s)

		_, err := s.UpdateService(t.Context(), org.ID, "missing", func(*store.CustomService) error { return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateService(unknown) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("delete", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		createService(t, s, org.ID, "acme_devices", user.ID)
		otherService := createService(t, s, org.ID, "acme_files", user.ID)

		if err := s.DeleteService(t.Context(), org.ID, "acme_devices"); err != nil {
			t.Fatalf("DeleteService() error = %v", err)
		}

		if _, err := s.GetService(t.Context(), org.ID, "acme_devices"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetService(deleted) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteService(t.Context(), org.ID, "acme_devices"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteService(deleted) error = %v, want ErrNotFound", err)
		}
		got, err := s.GetService(t.Context(), org.ID, "acme_files")
		if err != nil {
			t.Fatalf("GetService(other service) error = %v", err)
		}
		checkEqual(t, "other service after delete", got, wantService(otherService))
	})

	t.Run("delete in use", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		createService(t, s, org.ID, "acme_devices", user.ID)

		app := createApplication(t, s, org.ID, "acme_devices", false)
		if err := s.DeleteService(t.Context(), org.ID, "acme_devices"); !errors.Is(err, store.ErrInUse) {
			t.Errorf("DeleteService(used by an application) error = %v, want ErrInUse", err)
		}
		if err := s.DeleteApplication(t.Context(), org.ID, app.ID); err != nil {
			t.Fatalf("DeleteApplication() error = %v", err)
		}

		conn := createConnection(t, s, newConnection(org.ID, "crm", "acme_devices", user.ID))
		if err := s.DeleteService(t.Context(), org.ID, "acme_devices"); !errors.Is(err, store.ErrInUse) {
			t.Errorf("DeleteService(used by a connection) error = %v, want ErrInUse", err)
		}
		if _, err := s.GetService(t.Context(), org.ID, "acme_devices"); err != nil {
			t.Errorf("GetService() after refused delete error = %v, want nil", err)
		}
		if err := s.DeleteConnection(t.Context(), org.ID, conn.LinkName); err != nil {
			t.Fatalf("DeleteConnection() error = %v", err)
		}

		if err := s.DeleteService(t.Context(), org.ID, "acme_devices"); err != nil {
			t.Errorf("DeleteService(no longer used) error = %v, want nil", err)
		}
	})
	t.Run("required custom service", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		createService(t, s, org.ID, "acme_devices", user.ID)

		app := newApplication(org.ID, "acme_devices", false)
		app.RequireCustomService = true
		if err := s.CreateApplication(t.Context(), app); err != nil {
			t.Fatalf("CreateApplication(existing custom service) error = %v", err)
		}
		got, err := s.GetApplication(t.Context(), org.ID, app.ID)
		if err != nil {
			t.Fatalf("GetApplication() error = %v", err)
		}
		if got.RequireCustomService {
			t.Error("GetApplication().RequireCustomService = true, want false: the flag is not stored")
		}
		conn := newConnection(org.ID, "crm", "acme_devices", user.ID)
		conn.RequireCustomService = true
		if err := s.CreateConnection(t.Context(), conn); err != nil {
			t.Fatalf("CreateConnection(existing custom service) error = %v", err)
		}

		// A key without a row is a catalog service's unless the flag is
		// set.
		missing := newApplication(org.ID, "acme_missing", false)
		missing.RequireCustomService = true
		wantServiceReference(t, "CreateApplication(missing custom service)", s.CreateApplication(t.Context(), missing), "acme_missing")
		if _, err := s.GetApplication(t.Context(), org.ID, missing.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetApplication(failed insert) error = %v, want ErrNotFound", err)
		}
		missingConn := newConnection(org.ID, "mail", "acme_missing", user.ID)
		missingConn.RequireCustomService = true
		wantServiceReference(t, "CreateConnection(missing custom service)", s.CreateConnection(t.Context(), missingConn), "acme_missing")
		if _, err := s.GetConnection(t.Context(), org.ID, "mail"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetConnection(failed insert) error = %v, want ErrNotFound", err)
		}

		catalogConn := newConnection(org.ID, "catalog", "acme_missing", user.ID)
		if err := s.CreateConnection(t.Context(), catalogConn); err != nil {
			t.Errorf("CreateConnection(catalog service key) error = %v, want nil", err)
		}
	})
}

// wantServiceReference checks that err is a *store.ReferenceError naming
// the service key.
func wantServiceReference(t *testing.T, call string, err error, key string) {
	t.Helper()
	var ref *store.ReferenceError
	if !errors.As(err, &ref) {
		t.Errorf("%s error = %v, want a *store.ReferenceError", call, err)
		return
	}
	if ref.Kind != "service" || ref.ID != key {
		t.Errorf("%s error = %s %q, want service %q", call, ref.Kind, ref.ID, key)
	}
}
