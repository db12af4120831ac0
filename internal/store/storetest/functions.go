package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func newFunction(orgID, name, createdBy string, connections ...string) store.Function {
	return store.Function{
		OrgID:       orgID,
		ID:          uniqueID("fn"),
		Name:        name,
		Language:    "deluge",
		Script:      "info \"" + name + "\";",
		Connections: connections,
		CreatedBy:   createdBy,
		CreatedAt:   at(0),
		UpdatedAt:   at(time.Minute),
	}
}

func createFunction(t *testing.T, s store.Store, fn store.Function) store.Function {
	t.Helper()
	if err := s.CreateFunction(t.Context(), fn); err != nil {
		t.Fatalf("CreateFunction(%q) error = %v", fn.Name, err)
	}
	return fn
}

// canonFunction treats a nil and an empty connection list as equal and
// puts times in UTC, as stores return them.
func canonFunction(fn store.Function) store.Function {
	if len(fn.Connections) == 0 {
		fn.Connections = nil
	}
	fn.CreatedAt = inUTC(fn.CreatedAt)
	fn.UpdatedAt = inUTC(fn.UpdatedAt)
	return fn
}

func functionNames(fns []store.Function) []string {
	names := make([]string, 0, len(fns))
	for _, fn := range fns {
		names = append(names, fn.Name)
	}
	return names
}

func testFunctions(t *testing.T, s store.Store) {
	org := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")

	t.Run("create and get", func(t *testing.T) {
		fn := createFunction(t, s, newFunction(org.ID, "sync_alarms", user.ID, "crm", "desk"))
		got, err := s.GetFunction(t.Context(), org.ID, "sync_alarms")
		if err != nil {
			t.Fatalf("GetFunction() error = %v", err)
		}
		checkEqual(t, "function", canonFunction(got), canonFunction(fn))
	})

	t.Run("name conflict", func(t *testing.T) {
		createFunction(t, s, newFunction(org.ID, "taken", user.ID))
		err := s.CreateFunction(t.Context(), newFunction(org.ID, "taken", user.ID))
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateFunction() with a taken name error = %v, want ErrConflict", err)
		}
	})

	t.Run("same name in another org", func(t *testing.T) {
		other := createOrg(t, s)
		createFunction(t, s, newFunction(org.ID, "shared_name", user.ID))
		if err := s.CreateFunction(t.Context(), newFunction(other.ID, "shared_name", user.ID)); err != nil {
			t.Errorf("CreateFunction() in another org error = %v, want nil", err)
		}
		if _, err := s.GetFunction(t.Context(), other.ID, "sync_alarms"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetFunction() of another org's function error = %v, want ErrNotFound", err)
		}
	})

	t.Run("update and rename", func(t *testing.T) {
		fn := createFunction(t, s, newFunction(org.ID, "before_rename", user.ID, "crm"))
		updated, err := s.UpdateFunction(t.Context(), org.ID, "before_rename", func(f *store.Function) error {
			f.Name = "after_rename"
			f.Script = "return 1;"
			f.Connections = []string{"desk"}
			f.UpdatedAt = at(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateFunction() error = %v", err)
		}
		want := fn
		want.Name, want.Script, want.Connections, want.UpdatedAt = "after_rename", "return 1;", []string{"desk"}, at(time.Hour)
		checkEqual(t, "updated function", canonFunction(updated), canonFunction(want))
		got, err := s.GetFunction(t.Context(), org.ID, "after_rename")
		if err != nil {
			t.Fatalf("GetFunction() after rename error = %v", err)
		}
		checkEqual(t, "function read back", canonFunction(got), canonFunction(want))
		if _, err := s.GetFunction(t.Context(), org.ID, "before_rename"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetFunction() of the old name error = %v, want ErrNotFound", err)
		}
	})

	t.Run("rename to a taken name", func(t *testing.T) {
		createFunction(t, s, newFunction(org.ID, "first_fn", user.ID))
		createFunction(t, s, newFunction(org.ID, "second_fn", user.ID))
		_, err := s.UpdateFunction(t.Context(), org.ID, "second_fn", func(f *store.Function) error {
			f.Name = "first_fn"
			return nil
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("UpdateFunction() to a taken name error = %v, want ErrConflict", err)
		}
		if _, err := s.GetFunction(t.Context(), org.ID, "second_fn"); err != nil {
			t.Errorf("GetFunction() after a failed rename error = %v, want the function kept", err)
		}
	})

	t.Run("update error rolls back", func(t *testing.T) {
		createFunction(t, s, newFunction(org.ID, "rollback_fn", user.ID))
		boom := errors.New("boom")
		_, err := s.UpdateFunction(t.Context(), org.ID, "rollback_fn", func(f *store.Function) error {
			f.Script = "changed"
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("UpdateFunction() error = %v, want the update's error", err)
		}
		got, err := s.GetFunction(t.Context(), org.ID, "rollback_fn")
		if err != nil {
			t.Fatal(err)
		}
		if got.Script == "changed" {
			t.Errorf("script = %q after a failed update, want it unchanged", got.Script)
		}
	})

	t.Run("delete", func(t *testing.T) {
		createFunction(t, s, newFunction(org.ID, "doomed", user.ID))
		if err := s.DeleteFunction(t.Context(), org.ID, "doomed"); err != nil {
			t.Fatalf("DeleteFunction() error = %v", err)
		}
		if _, err := s.GetFunction(t.Context(), org.ID, "doomed"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetFunction() after delete error = %v, want ErrNotFound", err)
		}
	})

	t.Run("unknown function", func(t *testing.T) {
		if _, err := s.GetFunction(t.Context(), org.ID, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetFunction() error = %v, want ErrNotFound", err)
		}
		if _, err := s.UpdateFunction(t.Context(), org.ID, "missing", func(*store.Function) error { return nil }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateFunction() error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteFunction(t.Context(), org.ID, "missing"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteFunction() error = %v, want ErrNotFound", err)
		}
	})
}

func testListFunctions(t *testing.T, s store.Store) {
	org := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")
	createFunction(t, s, newFunction(org.ID, "zeta", user.ID, "crm"))
	createFunction(t, s, newFunction(org.ID, "alpha", user.ID, "desk", "crm"))
	createFunction(t, s, newFunction(org.ID, "mid", user.ID))
	// A link name that only contains another as a substring must not match.
	createFunction(t, s, newFunction(org.ID, "near", user.ID, "crm_2"))
	other := createOrg(t, s)
	createFunction(t, s, newFunction(other.ID, "foreign", user.ID, "crm"))

	tests := []struct {
		name string
		opts store.ListFunctionsOptions
		want []string
	}{
		{"every function", store.ListFunctionsOptions{}, []string{"alpha", "mid", "near", "zeta"}},
		{"by connection", store.ListFunctionsOptions{Connection: "crm"}, []string{"alpha", "zeta"}},
		{"by other connection", store.ListFunctionsOptions{Connection: "desk"}, []string{"alpha"}},
		{"unused connection", store.ListFunctionsOptions{Connection: "nobody"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListFunctions(t.Context(), org.ID, tt.opts)
			if err != nil {
				t.Fatalf("ListFunctions() error = %v", err)
			}
			checkEqual(t, "names", functionNames(got), tt.want)
		})
	}
}

// testDeleteConnectionWithFunction checks that a function naming a
// connection keeps it.
func testDeleteConnectionWithFunction(t *testing.T, s store.Store) {
	org, user, conn := connectionFixture(t, s)
	createFunction(t, s, newFunction(org.ID, "uses_it", user.ID, conn.LinkName))
	if err := s.DeleteConnection(t.Context(), org.ID, conn.LinkName); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("DeleteConnection() named by a function error = %v, want ErrInUse", err)
	}
	if _, err := s.GetConnection(t.Context(), org.ID, conn.LinkName); err != nil {
		t.Errorf("GetConnection() after a refused delete error = %v, want the connection kept", err)
	}
	if err := s.DeleteFunction(t.Context(), org.ID, "uses_it"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConnection(t.Context(), org.ID, conn.LinkName); err != nil {
		t.Errorf("DeleteConnection() after the function went error = %v, want nil", err)
	}
}
