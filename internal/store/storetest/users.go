package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func testOrgLookup(t *testing.T, s store.Store) {
	t.Run("get by id", func(t *testing.T) {
		org := createOrg(t, s)

		got, err := s.GetOrg(t.Context(), org.ID)
		if err != nil {
			t.Fatalf("GetOrg(%q) error = %v", org.ID, err)
		}
		want := org
		want.CreatedAt = inUTC(want.CreatedAt)
		checkEqual(t, "GetOrg", got, want)
	})

	t.Run("unknown id", func(t *testing.T) {
		if _, err := s.GetOrg(t.Context(), uniqueID("org")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetOrg(unknown) error = %v, want ErrNotFound", err)
		}
	})

	// Other tests may add orgs to a shared database, so the list must
	// contain the orgs created here and be in name order.
	t.Run("list", func(t *testing.T) {
		created := []store.Org{createOrg(t, s), createOrg(t, s), createOrg(t, s)}

		orgs, err := s.ListOrgs(t.Context())
		if err != nil {
			t.Fatalf("ListOrgs() error = %v", err)
		}
		if !slices.IsSortedFunc(orgs, func(a, b store.Org) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("ListOrgs() is not in name order")
		}
		for _, want := range created {
			i := slices.IndexFunc(orgs, func(org store.Org) bool { return org.ID == want.ID })
			if i < 0 {
				t.Errorf("ListOrgs() is missing org %q", want.ID)
				continue
			}
			want.CreatedAt = inUTC(want.CreatedAt)
			checkEqual(t, "listed org", orgs[i], want)
		}
	})
}

func usernames(users []store.User) []string {
	names := []string{}
	for _, u := range users {
		names = append(names, u.Username)
	}
	return names
}

func wantUser(u store.User) store.User {
	u.CreatedAt = inUTC(u.CreatedAt)
	return u
}

func testUserChanges(t *testing.T, s store.Store) {
	t.Run("list in username order", func(t *testing.T) {
		org := createOrg(t, s)
		carol := createUser(t, s, org.ID, "carol")
		alice := createUser(t, s, org.ID, "alice")
		bob := createUser(t, s, org.ID, "bob")
		other := createOrg(t, s)
		createUser(t, s, other.ID, "dave")

		users, err := s.ListUsers(t.Context(), org.ID)
		if err != nil {
			t.Fatalf("ListUsers() error = %v", err)
		}
		want := []store.User{wantUser(alice), wantUser(bob), wantUser(carol)}
		if len(users) != len(want) {
			t.Fatalf("ListUsers() = %q, want %q", usernames(users), usernames(want))
		}
		for i := range want {
			checkEqual(t, "listed user", users[i], want[i])
		}
	})

	t.Run("list empty org", func(t *testing.T) {
		org := createOrg(t, s)

		users, err := s.ListUsers(t.Context(), org.ID)
		if err != nil {
			t.Fatalf("ListUsers() error = %v", err)
		}
		if len(users) != 0 {
			t.Errorf("ListUsers(empty org) = %q, want none", usernames(users))
		}
	})

	t.Run("update role", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")

		got, err := s.UpdateUser(t.Context(), org.ID, user.ID, func(current *store.User) error {
			checkEqual(t, "user passed to update", *current, wantUser(user))
			current.Role = store.RoleAdmin
			// Identity fields, which the store must keep.
			current.OrgID = uniqueID("org")
			current.ID = uniqueID("user")
			current.Username = "mallory"
			current.CreatedAt = at(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateUser() error = %v", err)
		}

		want := user
		want.Role = store.RoleAdmin
		checkEqual(t, "UpdateUser result", got, wantUser(want))
		stored, err := s.GetUser(t.Context(), org.ID, user.ID)
		if err != nil {
			t.Fatalf("GetUser() error = %v", err)
		}
		checkEqual(t, "GetUser after update", stored, got)
	})

	t.Run("update error rolls back", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		errRejected := errors.New("update rejected by test")

		_, err := s.UpdateUser(t.Context(), org.ID, user.ID, func(current *store.User) error {
			current.Role = store.RoleAdmin
			return errRejected
		})
		if !errors.Is(err, errRejected) {
			t.Errorf("UpdateUser() error = %v, want the update function's error", err)
		}
		got, err := s.GetUser(t.Context(), org.ID, user.ID)
		if err != nil {
			t.Fatalf("GetUser() error = %v", err)
		}
		checkEqual(t, "GetUser after failed update", got, wantUser(user))
	})

	t.Run("delete removes tokens, credentials and states", func(t *testing.T) {
		org, alice, conn := connectionFixture(t, s)
		bob := createUser(t, s, org.ID, "bob")
		aliceToken := newAPIToken(org.ID, alice.ID)
		bobToken := newAPIToken(org.ID, bob.ID)
		for _, token := range []store.APIToken{aliceToken, bobToken} {
			if err := s.CreateAPIToken(t.Context(), token); err != nil {
				t.Fatalf("CreateAPIToken() error = %v", err)
			}
		}
		aliceCred := putCredential(t, s, newCredential(org.ID, conn.ID, alice.ID))
		putCredential(t, s, newCredential(org.ID, conn.ID, bob.ID))
		bobState := createOAuthState(t, s, newOAuthState(org.ID, conn.ID, bob.ID))
		aliceState := createOAuthState(t, s, newOAuthState(org.ID, conn.ID, alice.ID))

		if err := s.DeleteUser(t.Context(), org.ID, bob.ID); err != nil {
			t.Fatalf("DeleteUser() error = %v", err)
		}

		if _, err := s.GetUser(t.Context(), org.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser(deleted) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetAPIToken(t.Context(), org.ID, bobToken.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAPIToken(of deleted user) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetCredential(t.Context(), org.ID, conn.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetCredential(of deleted user) error = %v, want ErrNotFound", err)
		}
		if _, err := s.TakeOAuthState(t.Context(), org.ID, bobState.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeOAuthState(of deleted user) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteUser(t.Context(), org.ID, bob.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteUser(deleted) error = %v, want ErrNotFound", err)
		}

		gotToken, err := s.GetAPIToken(t.Context(), org.ID, aliceToken.ID)
		if err != nil {
			t.Fatalf("GetAPIToken(other user) error = %v", err)
		}
		checkEqual(t, "other user's token", canonAPIToken(gotToken), wantAPIToken(aliceToken))
		gotCred, err := s.GetCredential(t.Context(), org.ID, conn.ID, alice.ID)
		if err != nil {
			t.Fatalf("GetCredential(other user) error = %v", err)
		}
		checkEqual(t, "other user's credential", canonCredential(gotCred), wantCredential(aliceCred))
		if _, err := s.TakeOAuthState(t.Context(), org.ID, aliceState.ID); err != nil {
			t.Errorf("TakeOAuthState(other user) error = %v, want nil", err)
		}
	})

	t.Run("delete refused while in use", func(t *testing.T) {
		tests := []struct {
			name  string
			setup func(t *testing.T, orgID, userID string)
		}{
			{"owns a connection", func(t *testing.T, orgID, userID string) {
				createConnection(t, s, newConnection(orgID, "crm", "acme_devices", userID))
			}},
			{"owns a shared connection", func(t *testing.T, orgID, userID string) {
				conn := newConnection(orgID, "crm", "acme_devices", userID)
				conn.UseLoginUserCredentials = true
				createConnection(t, s, conn)
			}},
			{"created a webhook", func(t *testing.T, orgID, userID string) {
				createWebhook(t, s, newWebhook(orgID, userID))
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				org := createOrg(t, s)
				user := createUser(t, s, org.ID, "alice")
				token := newAPIToken(org.ID, user.ID)
				if err := s.CreateAPIToken(t.Context(), token); err != nil {
					t.Fatalf("CreateAPIToken() error = %v", err)
				}
				tt.setup(t, org.ID, user.ID)

				if err := s.DeleteUser(t.Context(), org.ID, user.ID); !errors.Is(err, store.ErrInUse) {
					t.Errorf("DeleteUser() error = %v, want ErrInUse", err)
				}
				got, err := s.GetUser(t.Context(), org.ID, user.ID)
				if err != nil {
					t.Fatalf("GetUser() after a refused delete error = %v", err)
				}
				checkEqual(t, "user after a refused delete", got, wantUser(user))
				if _, err := s.GetAPIToken(t.Context(), org.ID, token.ID); err != nil {
					t.Errorf("GetAPIToken() after a refused delete error = %v, want nil", err)
				}
			})
		}
	})

	t.Run("delete with records of another user", func(t *testing.T) {
		org, _, _ := connectionFixture(t, s)
		bob := createUser(t, s, org.ID, "bob")
		// A webhook of another org that names bob's ID does not count.
		other := createOrg(t, s)
		createUserWithID(t, s, other.ID, bob.ID, "bob")
		createWebhook(t, s, newWebhook(other.ID, bob.ID))

		if err := s.DeleteUser(t.Context(), org.ID, bob.ID); err != nil {
			t.Errorf("DeleteUser() error = %v, want nil", err)
		}
	})

	t.Run("unknown user", func(t *testing.T) {
		org := createOrg(t, s)
		id := uniqueID("user")
		called := false

		_, err := s.UpdateUser(t.Context(), org.ID, id, func(*store.User) error { called = true; return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateUser(unknown) error = %v, want ErrNotFound", err)
		}
		if called {
			t.Errorf("UpdateUser(unknown) ran the update function")
		}
		if err := s.DeleteUser(t.Context(), org.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteUser(unknown) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("other org", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		other := createOrg(t, s)
		called := false

		_, err := s.UpdateUser(t.Context(), other.ID, user.ID, func(*store.User) error { called = true; return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateUser() error = %v, want ErrNotFound", err)
		}
		if called {
			t.Errorf("UpdateUser() ran the update function for a user of another org")
		}
		if err := s.DeleteUser(t.Context(), other.ID, user.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteUser() error = %v, want ErrNotFound", err)
		}
		users, err := s.ListUsers(t.Context(), other.ID)
		if err != nil {
			t.Fatalf("ListUsers() error = %v", err)
		}
		if len(users) != 0 {
			t.Errorf("ListUsers(other org) = %q, want none", usernames(users))
		}
		got, err := s.GetUser(t.Context(), org.ID, user.ID)
		if err != nil {
			t.Fatalf("GetUser() error = %v", err)
		}
		checkEqual(t, "user after calls through another org", got, wantUser(user))
	})
}

func tokenIDs(tokens []store.APIToken) []string {
	ids := []string{}
	for _, token := range tokens {
		ids = append(ids, token.ID)
	}
	return ids
}

func testAPITokenChanges(t *testing.T, s store.Store) {
	t.Run("list by creation time", func(t *testing.T) {
		org := createOrg(t, s)
		alice := createUser(t, s, org.ID, "alice")
		bob := createUser(t, s, org.ID, "bob")
		token := func(userID string, created time.Duration) store.APIToken {
			tok := newAPIToken(org.ID, userID)
			tok.CreatedAt = at(created)
			if err := s.CreateAPIToken(t.Context(), tok); err != nil {
				t.Fatalf("CreateAPIToken() error = %v", err)
			}
			return tok
		}
		aliceLast := token(alice.ID, 2*time.Minute)
		aliceFirst := token(alice.ID, 0)
		aliceMiddle := token(alice.ID, time.Minute)
		bobs := token(bob.ID, 30*time.Second)
		bobs.LastUsedAt = at(time.Hour)
		if err := s.TouchAPIToken(t.Context(), org.ID, bobs.ID, bobs.LastUsedAt); err != nil {
			t.Fatalf("TouchAPIToken() error = %v", err)
		}

		tests := []struct {
			name   string
			userID string
			want   []store.APIToken
		}{
			{"every user", "", []store.APIToken{aliceFirst, bobs, aliceMiddle, aliceLast}},
			{"one user", alice.ID, []store.APIToken{aliceFirst, aliceMiddle, aliceLast}},
			{"other user", bob.ID, []store.APIToken{bobs}},
			{"user without tokens", uniqueID("user"), nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tokens, err := s.ListAPITokens(t.Context(), org.ID, tt.userID)
				if err != nil {
					t.Fatalf("ListAPITokens(%q) error = %v", tt.userID, err)
				}
				if len(tokens) != len(tt.want) {
					t.Fatalf("ListAPITokens(%q) = %q, want %q", tt.userID, tokenIDs(tokens), tokenIDs(tt.want))
				}
				for i := range tt.want {
					checkEqual(t, "listed token", canonAPIToken(tokens[i]), wantAPIToken(tt.want[i]))
				}
			})
		}
	})

	t.Run("delete", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		deleted := newAPIToken(org.ID, user.ID)
		remaining := newAPIToken(org.ID, user.ID)
		for _, token := range []store.APIToken{deleted, remaining} {
			if err := s.CreateAPIToken(t.Context(), token); err != nil {
				t.Fatalf("CreateAPIToken() error = %v", err)
			}
		}

		if err := s.DeleteAPIToken(t.Context(), org.ID, deleted.ID); err != nil {
			t.Fatalf("DeleteAPIToken() error = %v", err)
		}

		if _, err := s.GetAPIToken(t.Context(), org.ID, deleted.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAPIToken(deleted) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteAPIToken(t.Context(), org.ID, deleted.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAPIToken(deleted) error = %v, want ErrNotFound", err)
		}
		tokens, err := s.ListAPITokens(t.Context(), org.ID, "")
		if err != nil {
			t.Fatalf("ListAPITokens() error = %v", err)
		}
		checkEqual(t, "remaining token IDs", tokenIDs(tokens), []string{remaining.ID})
	})

	t.Run("other org", func(t *testing.T) {
		org := createOrg(t, s)
		user := createUser(t, s, org.ID, "alice")
		token := newAPIToken(org.ID, user.ID)
		if err := s.CreateAPIToken(t.Context(), token); err != nil {
			t.Fatalf("CreateAPIToken() error = %v", err)
		}
		other := createOrg(t, s)

		for _, userID := range []string{"", user.ID} {
			tokens, err := s.ListAPITokens(t.Context(), other.ID, userID)
			if err != nil {
				t.Fatalf("ListAPITokens(%q) error = %v", userID, err)
			}
			if len(tokens) != 0 {
				t.Errorf("ListAPITokens(other org, %q) = %q, want none", userID, tokenIDs(tokens))
			}
		}
		if err := s.DeleteAPIToken(t.Context(), other.ID, token.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAPIToken() error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetAPIToken(t.Context(), org.ID, token.ID); err != nil {
			t.Errorf("GetAPIToken() after a delete through another org error = %v, want nil", err)
		}
	})
}
