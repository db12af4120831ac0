package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// checkDefaults reads each of apps back and fails the test unless exactly
// those in wantDefault are the default of their service.
func checkDefaults(t *testing.T, s store.Store, orgID string, apps []store.Application, wantDefault ...string) {
	t.Helper()
	for _, app := range apps {
		got, err := s.GetApplication(t.Context(), orgID, app.ID)
		if err != nil {
			t.Fatalf("GetApplication(%q) error = %v", app.ID, err)
		}
		want := slices.Contains(wantDefault, app.ID)
		if got.Default != want {
			t.Errorf("application %q of service %q: Default = %t, want %t", app.Name, app.ServiceKey, got.Default, want)
		}
	}
}

func applicationIDs(apps []store.Application) []string {
	ids := []string{}
	for _, app := range apps {
		ids = append(ids, app.ID)
	}
	slices.Sort(ids)
	return ids
}

func sortedIDs(ids ...string) []string {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return ids
}

func testApplications(t *testing.T, s store.Store) {
	t.Run("create and get", func(t *testing.T) {
		org := createOrg(t, s)
		app := createApplication(t, s, org.ID, "acme_devices", true)

		got, err := s.GetApplication(t.Context(), org.ID, app.ID)
		if err != nil {
			t.Fatalf("GetApplication() error = %v", err)
		}
		checkEqual(t, "GetApplication", got, wantApplication(app))
	})

	t.Run("id conflict", func(t *testing.T) {
		org := createOrg(t, s)
		app := createApplication(t, s, org.ID, "acme_devices", false)

		dup := newApplication(org.ID, "acme_devices", false)
		dup.ID = app.ID
		if err := s.CreateApplication(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateApplication(taken ID) error = %v, want ErrConflict", err)
		}
	})

	t.Run("unknown application", func(t *testing.T) {
		org := createOrg(t, s)
		id := uniqueID("app")

		if _, err := s.GetApplication(t.Context(), org.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetApplication(unknown) error = %v, want ErrNotFound", err)
		}
		_, err := s.UpdateApplication(t.Context(), org.ID, id, func(*store.Application) error { return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateApplication(unknown) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteApplication(t.Context(), org.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteApplication(unknown) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("create default clears same service only", func(t *testing.T) {
		org := createOrg(t, s)
		first := createApplication(t, s, org.ID, "alpha", true)
		second := createApplication(t, s, org.ID, "alpha", true)
		checkDefaults(t, s, org.ID, []store.Application{first, second}, second.ID)

		beta := createApplication(t, s, org.ID, "beta", true)
		checkDefaults(t, s, org.ID, []store.Application{first, second, beta}, second.ID, beta.ID)

		createApplication(t, s, org.ID, "alpha", false)
		checkDefaults(t, s, org.ID, []store.Application{first, second, beta}, second.ID, beta.ID)
	})

	t.Run("failed create keeps default", func(t *testing.T) {
		org := createOrg(t, s)
		first := createApplication(t, s, org.ID, "alpha", true)
		second := createApplication(t, s, org.ID, "alpha", false)

		dup := newApplication(org.ID, "alpha", true)
		dup.ID = second.ID
		if err := s.CreateApplication(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateApplication(taken ID) error = %v, want ErrConflict", err)
		}
		checkDefaults(t, s, org.ID, []store.Application{first, second}, first.ID)
	})

	t.Run("update default clears same service only", func(t *testing.T) {
		org := createOrg(t, s)
		first := createApplication(t, s, org.ID, "alpha", false)
		second := createApplication(t, s, org.ID, "alpha", true)
		beta := createApplication(t, s, org.ID, "beta", true)
		all := []store.Application{first, second, beta}

		got, err := s.UpdateApplication(t.Context(), org.ID, first.ID, func(app *store.Application) error {
			app.Default = true
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateApplication(set default) error = %v", err)
		}
		if !got.Default {
			t.Errorf("UpdateApplication(set default) result Default = false, want true")
		}
		checkDefaults(t, s, org.ID, all, first.ID, beta.ID)

		_, err = s.UpdateApplication(t.Context(), org.ID, second.ID, func(app *store.Application) error {
			app.Name = "Renamed"
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateApplication(rename) error = %v", err)
		}
		checkDefaults(t, s, org.ID, all, first.ID, beta.ID)
	})

	t.Run("list by service", func(t *testing.T) {
		org := createOrg(t, s)
		other := createOrg(t, s)
		first := createApplication(t, s, org.ID, "alpha", true)
		second := createApplication(t, s, org.ID, "alpha", false)
		beta := createApplication(t, s, org.ID, "beta", false)
		createApplication(t, s, other.ID, "alpha", false)

		tests := []struct {
			serviceKey string
			want       []string
		}{
			{"alpha", sortedIDs(first.ID, second.ID)},
			{"beta", sortedIDs(beta.ID)},
			{"", sortedIDs(first.ID, second.ID, beta.ID)},
			{"gamma", []string{}},
		}
		for _, tt := range tests {
			got, err := s.ListApplications(t.Context(), org.ID, tt.serviceKey)
			if err != nil {
				t.Fatalf("ListApplications(%q) error = %v", tt.serviceKey, err)
			}
			checkEqual(t, "ListApplications("+tt.serviceKey+") IDs", applicationIDs(got), tt.want)
		}

		got, err := s.ListApplications(t.Context(), org.ID, "beta")
		if err != nil {
			t.Fatalf("ListApplications() error = %v", err)
		}
		if len(got) == 1 {
			checkEqual(t, "ListApplications(beta)[0]", got[0], wantApplication(beta))
		}
	})

	t.Run("update", func(t *testing.T) {
		org := createOrg(t, s)
		app := createApplication(t, s, org.ID, "alpha", false)
		// The beta default shows that a changed service key, which the
		// update cannot store, clears no default of another service.
		beta := createApplication(t, s, org.ID, "beta", true)

		got, err := s.UpdateApplication(t.Context(), org.ID, app.ID, func(current *store.Application) error {
			checkEqual(t, "application passed to update", *current, wantApplication(app))
			current.Name = "Staging"
			current.ClientID = "client-staging"
			current.ClientSecretSealed = "sealed-secret-staging"
			current.Default = true
			current.UpdatedAt = at(time.Hour)
			// The identity cannot change through an update.
			current.OrgID = uniqueID("org")
			current.ID = beta.ID
			current.ServiceKey = "beta"
			current.CreatedAt = at(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateApplication() error = %v", err)
		}

		want := app
		want.Name = "Staging"
		want.ClientID = "client-staging"
		want.ClientSecretSealed = "sealed-secret-staging"
		want.Default = true
		want.UpdatedAt = at(time.Hour)
		checkEqual(t, "UpdateApplication result", got, wantApplication(want))

		stored, err := s.GetApplication(t.Context(), org.ID, app.ID)
		if err != nil {
			t.Fatalf("GetApplication() error = %v", err)
		}
		checkEqual(t, "GetApplication after update", stored, wantApplication(want))

		storedBeta, err := s.GetApplication(t.Context(), org.ID, beta.ID)
		if err != nil {
			t.Fatalf("GetApplication(beta) error = %v", err)
		}
		checkEqual(t, "other service's application after update", storedBeta, wantApplication(beta))
	})

	t.Run("update error rolls back", func(t *testing.T) {
		org := createOrg(t, s)
		app := createApplication(t, s, org.ID, "alpha", false)
		other := createApplication(t, s, org.ID, "alpha", true)
		errRejected := errors.New("update rejected by test")

		_, err := s.UpdateApplication(t.Context(), org.ID, app.ID, func(current *store.Application) error {
			current.Name = "Changed"
			current.Default = true
			return errRejected
		})
		if !errors.Is(err, errRejected) {
			t.Errorf("UpdateApplication() error = %v, want the update function's error", err)
		}

		got, err := s.GetApplication(t.Context(), org.ID, app.ID)
		if err != nil {
			t.Fatalf("GetApplication() error = %v", err)
		}
		checkEqual(t, "GetApplication after failed update", got, wantApplication(app))
		checkDefaults(t, s, org.ID, []store.Application{app, other}, other.ID)
	})

	t.Run("delete", func(t *testing.T) {
		org := createOrg(t, s)
		app := createApplication(t, s, org.ID, "alpha", false)
		otherApp := createApplication(t, s, org.ID, "alpha", false)

		if err := s.DeleteApplication(t.Context(), org.ID, app.ID); err != nil {
			t.Fatalf("DeleteApplication() error = %v", err)
		}

		if _, err := s.GetApplication(t.Context(), org.ID, app.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetApplication(deleted) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteApplication(t.Context(), org.ID, app.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteApplication(deleted) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetApplication(t.Context(), org.ID, otherApp.ID); err != nil {
			t.Errorf("GetApplication(other application) error = %v, want nil", err)
		}
	})

	t.Run("delete in use", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		app := createApplication(t, s, org.ID, "alpha", false)
		conn := newConnection(org.ID, "crm", "alpha", user.ID)
		conn.ApplicationID = app.ID
		createConnection(t, s, conn)

		if err := s.DeleteApplication(t.Context(), org.ID, app.ID); !errors.Is(err, store.ErrInUse) {
			t.Errorf("DeleteApplication(used by a connection) error = %v, want ErrInUse", err)
		}
		if _, err := s.GetApplication(t.Context(), org.ID, app.ID); err != nil {
			t.Errorf("GetApplication() after refused delete error = %v, want nil", err)
		}

		if err := s.DeleteConnection(t.Context(), org.ID, conn.LinkName); err != nil {
			t.Fatalf("DeleteConnection() error = %v", err)
		}
		if err := s.DeleteApplication(t.Context(), org.ID, app.ID); err != nil {
			t.Errorf("DeleteApplication(no longer used) error = %v, want nil", err)
		}
	})
}
