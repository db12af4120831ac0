package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func testOrgs(t *testing.T, s store.Store) {
	t.Run("create and get by name", func(t *testing.T) {
		org := createOrg(t, s)

		got, err := s.GetOrgByName(t.Context(), org.Name)
		if err != nil {
			t.Fatalf("GetOrgByName(%q) error = %v", org.Name, err)
		}
		want := org
		want.CreatedAt = inUTC(want.CreatedAt)
		checkEqual(t, "GetOrgByName", got, want)
	})

	t.Run("name conflict", func(t *testing.T) {
		org := createOrg(t, s)

		dup := newOrg()
		dup.Name = org.Name
		if err := s.CreateOrg(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateOrg(taken name) error = %v, want ErrConflict", err)
		}
	})

	t.Run("id conflict", func(t *testing.T) {
		org := createOrg(t, s)

		dup := newOrg()
		dup.ID = org.ID
		if err := s.CreateOrg(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateOrg(taken ID) error = %v, want ErrConflict", err)
		}
	})

	t.Run("unknown name", func(t *testing.T) {
		_, err := s.GetOrgByName(t.Context(), uniqueID("missing"))
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetOrgByName(unknown) error = %v, want ErrNotFound", err)
		}
	})

	// Other tests may create orgs in a shared database at the same time,
	// so the count must grow by at least the two orgs created here.
	t.Run("count", func(t *testing.T) {
		before, err := s.CountOrgs(t.Context())
		if err != nil {
			t.Fatalf("CountOrgs() error = %v", err)
		}
		createOrg(t, s)
		createOrg(t, s)

		after, err := s.CountOrgs(t.Context())
		if err != nil {
			t.Fatalf("CountOrgs() error = %v", err)
		}
		if after < before+2 {
			t.Errorf("CountOrgs() = %d after creating 2 orgs, want at least %d", after, before+2)
		}
	})
}

func testUsers(t *testing.T, s store.Store) {
	t.Run("create and get", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		want := user
		want.CreatedAt = inUTC(want.CreatedAt)

		got, err := s.GetUser(t.Context(), org.ID, user.ID)
		if err != nil {
			t.Fatalf("GetUser() error = %v", err)
		}
		checkEqual(t, "GetUser", got, want)

		got, err = s.GetUserByUsername(t.Context(), org.ID, "alice")
		if err != nil {
			t.Fatalf("GetUserByUsername() error = %v", err)
		}
		checkEqual(t, "GetUserByUsername", got, want)
	})

	t.Run("username conflict in org", func(t *testing.T) {
		org := createOrg(t, s)
		createUser(t, s, org.ID, "alice")

		dup := store.User{OrgID: org.ID, ID: uniqueID("user"), Username: "alice", Role: store.RoleViewer, CreatedAt: at(0)}
		if err := s.CreateUser(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateUser(taken username) error = %v, want ErrConflict", err)
		}
	})

	t.Run("id conflict in org", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")

		dup := store.User{OrgID: org.ID, ID: user.ID, Username: "bob", Role: store.RoleViewer, CreatedAt: at(0)}
		if err := s.CreateUser(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateUser(taken ID) error = %v, want ErrConflict", err)
		}
	})

	t.Run("same username in two orgs", func(t *testing.T) {
		first := createOrg(t, s)
		second := createOrg(t, s)
		firstUser := createUser(t, s, first.ID, "alice")
		secondUser := createUser(t, s, second.ID, "alice")

		for _, want := range []store.User{firstUser, secondUser} {
			got, err := s.GetUserByUsername(t.Context(), want.OrgID, "alice")
			if err != nil {
				t.Fatalf("GetUserByUsername(org %q) error = %v", want.OrgID, err)
			}
			if got.ID != want.ID {
				t.Errorf("GetUserByUsername(org %q).ID = %q, want %q", want.OrgID, got.ID, want.ID)
			}
		}
	})

	t.Run("unknown user", func(t *testing.T) {
		org := createOrg(t, s)

		if _, err := s.GetUser(t.Context(), org.ID, uniqueID("user")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser(unknown) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetUserByUsername(t.Context(), org.ID, "nobody"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUserByUsername(unknown) error = %v, want ErrNotFound", err)
		}
	})
}

func newAPIToken(orgID, userID string) store.APIToken {
	return store.APIToken{
		OrgID:       orgID,
		ID:          uniqueID("token"),
		UserID:      userID,
		Name:        "ci",
		Hash:        []byte{0x00, 0x01, 0xfe, 0xff, 0x80, 0x7f},
		Permissions: []string{store.PermissionReadCredentials},
		CreatedAt:   at(0),
	}
}

// canonAPIToken treats nil and empty permission lists as equal.
func canonAPIToken(token store.APIToken) store.APIToken {
	if len(token.Permissions) == 0 {
		token.Permissions = nil
	}
	return token
}

func wantAPIToken(token store.APIToken) store.APIToken {
	token = canonAPIToken(token)
	token.CreatedAt = inUTC(token.CreatedAt)
	token.LastUsedAt = inUTC(token.LastUsedAt)
	return token
}

func testAPITokens(t *testing.T, s store.Store) {
	t.Run("create and get", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		token := newAPIToken(org.ID, user.ID)
		if err := s.CreateAPIToken(t.Context(), token); err != nil {
			t.Fatalf("CreateAPIToken() error = %v", err)
		}

		got, err := s.GetAPIToken(t.Context(), org.ID, token.ID)
		if err != nil {
			t.Fatalf("GetAPIToken() error = %v", err)
		}
		checkEqual(t, "GetAPIToken", canonAPIToken(got), wantAPIToken(token))
		if !got.LastUsedAt.IsZero() {
			t.Errorf("LastUsedAt of unused token = %v, want zero", got.LastUsedAt)
		}
	})

	t.Run("no permissions", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		token := newAPIToken(org.ID, user.ID)
		token.Permissions = nil
		if err := s.CreateAPIToken(t.Context(), token); err != nil {
			t.Fatalf("CreateAPIToken() error = %v", err)
		}

		got, err := s.GetAPIToken(t.Context(), org.ID, token.ID)
		if err != nil {
			t.Fatalf("GetAPIToken() error = %v", err)
		}
		if len(got.Permissions) != 0 {
			t.Errorf("Permissions = %q, want none", got.Permissions)
		}
	})

	t.Run("id conflict", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		token := newAPIToken(org.ID, user.ID)
		if err := s.CreateAPIToken(t.Context(), token); err != nil {
			t.Fatalf("CreateAPIToken() error = %v", err)
		}

		if err := s.CreateAPIToken(t.Context(), token); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateAPIToken(taken ID) error = %v, want ErrConflict", err)
		}
	})

	t.Run("touch sets last use", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		token := newAPIToken(org.ID, user.ID)
		if err := s.CreateAPIToken(t.Context(), token); err != nil {
			t.Fatalf("CreateAPIToken() error = %v", err)
		}

		for _, used := range []time.Time{at(time.Minute), at(time.Hour + 1)} {
			if err := s.TouchAPIToken(t.Context(), org.ID, token.ID, used); err != nil {
				t.Fatalf("TouchAPIToken(%v) error = %v", used, err)
			}
			got, err := s.GetAPIToken(t.Context(), org.ID, token.ID)
			if err != nil {
				t.Fatalf("GetAPIToken() error = %v", err)
			}
			want := token
			want.LastUsedAt = used
			checkEqual(t, "GetAPIToken after TouchAPIToken", canonAPIToken(got), wantAPIToken(want))
		}
	})

	t.Run("unknown token", func(t *testing.T) {
		org := createOrg(t, s)
		id := uniqueID("token")

		if _, err := s.GetAPIToken(t.Context(), org.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAPIToken(unknown) error = %v, want ErrNotFound", err)
		}
		if err := s.TouchAPIToken(t.Context(), org.ID, id, at(0)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TouchAPIToken(unknown) error = %v, want ErrNotFound", err)
		}
	})
}
