package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func newAuthzClient(orgID string) store.AuthzClient {
	return store.AuthzClient{
		OrgID: orgID, ID: uniqueID("client"), Name: "plugboard", ApplicationID: uniqueID("app"),
		RedirectURIs: []string{"http://127.0.0.1:8080/oauth/callback"}, CreatedAt: at(0), UpdatedAt: at(0),
	}
}

func wantAuthzClient(c store.AuthzClient) store.AuthzClient {
	c.CreatedAt, c.UpdatedAt = inUTC(c.CreatedAt), inUTC(c.UpdatedAt)
	return c
}

func putAuthzClient(t *testing.T, s store.Store, c store.AuthzClient) store.AuthzClient {
	t.Helper()
	if err := s.PutAuthzClient(t.Context(), c); err != nil {
		t.Fatalf("PutAuthzClient() error = %v", err)
	}
	return c
}

func newAuthzRequest(orgID, clientID string) store.AuthzRequest {
	return store.AuthzRequest{
		OrgID: orgID, ID: uniqueID("request"), ClientID: clientID, RedirectURI: "http://127.0.0.1:8080/oauth/callback",
		Scopes: []string{"connections.read", "offline_access"}, State: "state-1", ResponseType: "code",
		CodeChallenge: "challenge", CodeChallengeMethod: "S256", ExpiresAt: at(10 * time.Minute), CreatedAt: at(0),
	}
}

func wantAuthzRequest(r store.AuthzRequest) store.AuthzRequest {
	r.AuthTime, r.ExpiresAt, r.CreatedAt = inUTC(r.AuthTime), inUTC(r.ExpiresAt), inUTC(r.CreatedAt)
	if r.AuthTime.IsZero() {
		r.AuthTime = time.Time{}
	}
	if r.Scopes == nil {
		r.Scopes = []string{}
	}
	return r
}

func newAuthzToken(orgID, clientID, userID, kind, grantID string) store.AuthzToken {
	return store.AuthzToken{
		OrgID: orgID, ID: uniqueID("token"), Kind: kind, Hash: []byte("hash-" + uniqueID("h")), GrantID: grantID,
		ClientID: clientID, UserID: userID, Scopes: []string{"connections.read"}, AuthTime: at(0),
		ExpiresAt: at(time.Hour), CreatedAt: at(0),
	}
}

func wantAuthzToken(tok store.AuthzToken) store.AuthzToken {
	tok.AuthTime, tok.ExpiresAt, tok.CreatedAt = inUTC(tok.AuthTime), inUTC(tok.ExpiresAt), inUTC(tok.CreatedAt)
	return tok
}

// authzFixture returns an org with a user and an authorization server
// client.
func authzFixture(t *testing.T, s store.Store) (store.Org, store.User, store.AuthzClient) {
	t.Helper()
	org := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")
	return org, user, putAuthzClient(t, s, newAuthzClient(org.ID))
}

func testAuthzClients(t *testing.T, s store.Store) {
	t.Run("put and get", func(t *testing.T) {
		org := createOrg(t, s)
		client := putAuthzClient(t, s, newAuthzClient(org.ID))

		got, err := s.GetAuthzClient(t.Context(), org.ID, client.ID)
		if err != nil {
			t.Fatalf("GetAuthzClient() error = %v", err)
		}
		checkEqual(t, "GetAuthzClient", got, wantAuthzClient(client))
	})

	t.Run("put replaces but keeps creation time", func(t *testing.T) {
		org := createOrg(t, s)
		client := putAuthzClient(t, s, newAuthzClient(org.ID))
		changed := client
		changed.RedirectURIs = []string{"https://plugboard.example/oauth/callback"}
		changed.ApplicationID = ""
		changed.SecretHash = []byte("secret-hash")
		changed.CreatedAt = at(time.Hour)
		changed.UpdatedAt = at(time.Hour)
		putAuthzClient(t, s, changed)

		got, err := s.GetAuthzClient(t.Context(), org.ID, client.ID)
		if err != nil {
			t.Fatalf("GetAuthzClient() error = %v", err)
		}
		want := wantAuthzClient(changed)
		want.CreatedAt = inUTC(client.CreatedAt)
		checkEqual(t, "GetAuthzClient after a second put", got, want)
	})

	t.Run("other org", func(t *testing.T) {
		org := createOrg(t, s)
		other := createOrg(t, s)
		client := putAuthzClient(t, s, newAuthzClient(org.ID))

		if _, err := s.GetAuthzClient(t.Context(), other.ID, client.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAuthzClient(other org) error = %v, want ErrNotFound", err)
		}
	})
}

func testAuthzRequests(t *testing.T, s store.Store) {
	t.Run("create, get, update and delete", func(t *testing.T) {
		org, user, client := authzFixture(t, s)
		req := newAuthzRequest(org.ID, client.ID)
		if err := s.CreateAuthzRequest(t.Context(), req); err != nil {
			t.Fatalf("CreateAuthzRequest() error = %v", err)
		}
		if err := s.CreateAuthzRequest(t.Context(), req); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateAuthzRequest(taken ID) error = %v, want ErrConflict", err)
		}
		got, err := s.GetAuthzRequest(t.Context(), org.ID, req.ID)
		if err != nil {
			t.Fatalf("GetAuthzRequest() error = %v", err)
		}
		checkEqual(t, "GetAuthzRequest", got, wantAuthzRequest(req))

		updated, err := s.UpdateAuthzRequest(t.Context(), org.ID, req.ID, func(r *store.AuthzRequest) error {
			r.UserID = user.ID
			r.AuthTime = at(time.Minute)
			r.CodeHash = []byte("code-hash")
			r.GrantID = "grant-1"
			r.ClientID = "another-client"
			r.CreatedAt = at(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateAuthzRequest() error = %v", err)
		}
		want := req
		want.UserID, want.AuthTime, want.CodeHash, want.GrantID = user.ID, at(time.Minute), []byte("code-hash"), "grant-1"
		checkEqual(t, "UpdateAuthzRequest", updated, wantAuthzRequest(want))
		got, err = s.GetAuthzRequest(t.Context(), org.ID, req.ID)
		if err != nil {
			t.Fatalf("GetAuthzRequest() after update error = %v", err)
		}
		checkEqual(t, "GetAuthzRequest after update", got, wantAuthzRequest(want))

		if err := s.DeleteAuthzRequest(t.Context(), org.ID, req.ID); err != nil {
			t.Fatalf("DeleteAuthzRequest() error = %v", err)
		}
		if _, err := s.GetAuthzRequest(t.Context(), org.ID, req.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAuthzRequest(deleted) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteAuthzRequest(t.Context(), org.ID, req.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAuthzRequest(deleted) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("failed update changes nothing", func(t *testing.T) {
		org, user, client := authzFixture(t, s)
		req := newAuthzRequest(org.ID, client.ID)
		if err := s.CreateAuthzRequest(t.Context(), req); err != nil {
			t.Fatalf("CreateAuthzRequest() error = %v", err)
		}
		failure := errors.New("rejected")
		_, err := s.UpdateAuthzRequest(t.Context(), org.ID, req.ID, func(r *store.AuthzRequest) error {
			r.UserID = user.ID
			return failure
		})
		if !errors.Is(err, failure) {
			t.Fatalf("UpdateAuthzRequest() error = %v, want %v", err, failure)
		}
		got, _ := s.GetAuthzRequest(t.Context(), org.ID, req.ID)
		checkEqual(t, "request after a failed update", got, wantAuthzRequest(req))
	})

	t.Run("other org", func(t *testing.T) {
		org, _, client := authzFixture(t, s)
		other := createOrg(t, s)
		req := newAuthzRequest(org.ID, client.ID)
		if err := s.CreateAuthzRequest(t.Context(), req); err != nil {
			t.Fatalf("CreateAuthzRequest() error = %v", err)
		}
		if _, err := s.GetAuthzRequest(t.Context(), other.ID, req.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAuthzRequest(other org) error = %v, want ErrNotFound", err)
		}
		if _, err := s.UpdateAuthzRequest(t.Context(), other.ID, req.ID, func(*store.AuthzRequest) error { return nil }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateAuthzRequest(other org) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteAuthzRequest(t.Context(), other.ID, req.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAuthzRequest(other org) error = %v, want ErrNotFound", err)
		}
	})
}

func testAuthzTokens(t *testing.T, s store.Store) {
	t.Run("create, get and delete", func(t *testing.T) {
		org, user, client := authzFixture(t, s)
		access := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzAccessToken, "grant-1")
		refresh := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzRefreshToken, "grant-1")
		if err := s.CreateAuthzTokens(t.Context(), []store.AuthzToken{access, refresh}); err != nil {
			t.Fatalf("CreateAuthzTokens() error = %v", err)
		}
		for _, tok := range []store.AuthzToken{access, refresh} {
			got, err := s.GetAuthzToken(t.Context(), org.ID, tok.ID)
			if err != nil {
				t.Fatalf("GetAuthzToken(%s) error = %v", tok.Kind, err)
			}
			checkEqual(t, "GetAuthzToken "+tok.Kind, got, wantAuthzToken(tok))
		}
		if err := s.DeleteAuthzToken(t.Context(), org.ID, access.ID); err != nil {
			t.Fatalf("DeleteAuthzToken() error = %v", err)
		}
		if _, err := s.GetAuthzToken(t.Context(), org.ID, access.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAuthzToken(deleted) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteAuthzToken(t.Context(), org.ID, access.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAuthzToken(deleted) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("a failed create stores none", func(t *testing.T) {
		org, user, client := authzFixture(t, s)
		first := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzAccessToken, "grant-1")
		if err := s.CreateAuthzTokens(t.Context(), []store.AuthzToken{first}); err != nil {
			t.Fatalf("CreateAuthzTokens() error = %v", err)
		}
		fresh := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzRefreshToken, "grant-1")
		if err := s.CreateAuthzTokens(t.Context(), []store.AuthzToken{fresh, first}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("CreateAuthzTokens(taken ID) error = %v, want ErrConflict", err)
		}
		if _, err := s.GetAuthzToken(t.Context(), org.ID, fresh.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAuthzToken(token of a failed create) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("delete grant", func(t *testing.T) {
		org, user, client := authzFixture(t, s)
		grant := []store.AuthzToken{
			newAuthzToken(org.ID, client.ID, user.ID, store.AuthzAccessToken, "grant-1"),
			newAuthzToken(org.ID, client.ID, user.ID, store.AuthzRefreshToken, "grant-1"),
		}
		other := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzAccessToken, "grant-2")
		if err := s.CreateAuthzTokens(t.Context(), append(grant, other)); err != nil {
			t.Fatalf("CreateAuthzTokens() error = %v", err)
		}
		n, err := s.DeleteAuthzGrant(t.Context(), org.ID, "grant-1")
		if err != nil {
			t.Fatalf("DeleteAuthzGrant() error = %v", err)
		}
		if n != 2 {
			t.Errorf("DeleteAuthzGrant() = %d, want 2", n)
		}
		if _, err := s.GetAuthzToken(t.Context(), org.ID, grant[1].ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAuthzToken(token of the deleted grant) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetAuthzToken(t.Context(), org.ID, other.ID); err != nil {
			t.Errorf("GetAuthzToken(token of another grant) error = %v, want nil", err)
		}
	})

	t.Run("rotate refresh token once", func(t *testing.T) {
		org, user, client := authzFixture(t, s)
		old := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzRefreshToken, "grant-1")
		if err := s.CreateAuthzTokens(t.Context(), []store.AuthzToken{old}); err != nil {
			t.Fatalf("CreateAuthzTokens() error = %v", err)
		}

		// Concurrent rotations of one refresh token: exactly one wins.
		const callers = 8
		var wg sync.WaitGroup
		errs := make([]error, callers)
		replacements := make([]store.AuthzToken, callers)
		for i := range callers {
			replacements[i] = newAuthzToken(org.ID, client.ID, user.ID, store.AuthzRefreshToken, "grant-1")
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.RotateAuthzRefreshToken(t.Context(), org.ID, old.ID, []store.AuthzToken{replacements[i]})
			}()
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			_, getErr := s.GetAuthzToken(t.Context(), org.ID, replacements[i].ID)
			switch {
			case err == nil:
				won++
				if getErr != nil {
					t.Errorf("rotation %d succeeded but its token is missing: %v", i, getErr)
				}
			case errors.Is(err, store.ErrNotFound):
				if !errors.Is(getErr, store.ErrNotFound) {
					t.Errorf("rotation %d failed but stored its token: %v", i, getErr)
				}
			default:
				t.Errorf("rotation %d error = %v, want nil or ErrNotFound", i, err)
			}
		}
		if won != 1 {
			t.Errorf("%d of %d concurrent rotations succeeded, want 1", won, callers)
		}
		rotated, err := s.GetAuthzToken(t.Context(), org.ID, old.ID)
		if err != nil {
			t.Fatalf("GetAuthzToken(rotated) error = %v", err)
		}
		want := wantAuthzToken(old)
		want.Kind = store.AuthzRotatedToken
		checkEqual(t, "rotated refresh token", rotated, want)
	})

	t.Run("rotate rejects an access token", func(t *testing.T) {
		org, user, client := authzFixture(t, s)
		access := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzAccessToken, "grant-1")
		if err := s.CreateAuthzTokens(t.Context(), []store.AuthzToken{access}); err != nil {
			t.Fatalf("CreateAuthzTokens() error = %v", err)
		}
		next := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzRefreshToken, "grant-1")
		if err := s.RotateAuthzRefreshToken(t.Context(), org.ID, access.ID, []store.AuthzToken{next}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RotateAuthzRefreshToken(access token) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("delete expired", func(t *testing.T) {
		org, user, client := authzFixture(t, s)
		expired := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzAccessToken, "grant-1")
		expired.ExpiresAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		live := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzAccessToken, "grant-1")
		if err := s.CreateAuthzTokens(t.Context(), []store.AuthzToken{expired, live}); err != nil {
			t.Fatalf("CreateAuthzTokens() error = %v", err)
		}
		oldRequest := newAuthzRequest(org.ID, client.ID)
		oldRequest.ExpiresAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := s.CreateAuthzRequest(t.Context(), oldRequest); err != nil {
			t.Fatalf("CreateAuthzRequest() error = %v", err)
		}

		n, err := s.DeleteExpiredAuthz(t.Context(), time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatalf("DeleteExpiredAuthz() error = %v", err)
		}
		if n < 2 {
			t.Errorf("DeleteExpiredAuthz() = %d, want at least 2", n)
		}
		if _, err := s.GetAuthzToken(t.Context(), org.ID, expired.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAuthzToken(expired) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetAuthzRequest(t.Context(), org.ID, oldRequest.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAuthzRequest(expired) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetAuthzToken(t.Context(), org.ID, live.ID); err != nil {
			t.Errorf("GetAuthzToken(live) error = %v, want nil", err)
		}
	})

	t.Run("other org", func(t *testing.T) {
		org, user, client := authzFixture(t, s)
		other := createOrg(t, s)
		tok := newAuthzToken(org.ID, client.ID, user.ID, store.AuthzRefreshToken, "grant-1")
		if err := s.CreateAuthzTokens(t.Context(), []store.AuthzToken{tok}); err != nil {
			t.Fatalf("CreateAuthzTokens() error = %v", err)
		}
		if _, err := s.GetAuthzToken(t.Context(), other.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetAuthzToken(other org) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteAuthzToken(t.Context(), other.ID, tok.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteAuthzToken(other org) error = %v, want ErrNotFound", err)
		}
		if n, err := s.DeleteAuthzGrant(t.Context(), other.ID, "grant-1"); err != nil || n != 0 {
			t.Errorf("DeleteAuthzGrant(other org) = %d, %v, want 0, nil", n, err)
		}
		next := newAuthzToken(other.ID, client.ID, user.ID, store.AuthzRefreshToken, "grant-1")
		if err := s.RotateAuthzRefreshToken(t.Context(), other.ID, tok.ID, []store.AuthzToken{next}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RotateAuthzRefreshToken(other org) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetAuthzToken(t.Context(), org.ID, tok.ID); err != nil {
			t.Errorf("GetAuthzToken() after other orgs' attempts error = %v, want nil", err)
		}
	})
}

func testAuthzSigningKeys(t *testing.T, s store.Store) {
	org := createOrg(t, s)
	other := createOrg(t, s)
	older := store.AuthzSigningKey{OrgID: org.ID, ID: uniqueID("key"), Algorithm: "ES256",
		PrivateKeySealed: "sealed-1", PublicKeyJWK: `{"kty":"EC"}`, CreatedAt: at(0)}
	newer := older
	newer.ID, newer.PrivateKeySealed, newer.CreatedAt = uniqueID("key"), "sealed-2", at(time.Hour)
	otherKey := older
	otherKey.OrgID, otherKey.ID = other.ID, uniqueID("key")
	for _, k := range []store.AuthzSigningKey{older, newer, otherKey} {
		if err := s.CreateAuthzSigningKey(t.Context(), k); err != nil {
			t.Fatalf("CreateAuthzSigningKey() error = %v", err)
		}
	}
	if err := s.CreateAuthzSigningKey(t.Context(), older); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateAuthzSigningKey(taken ID) error = %v, want ErrConflict", err)
	}

	got, err := s.ListAuthzSigningKeys(t.Context(), org.ID)
	if err != nil {
		t.Fatalf("ListAuthzSigningKeys() error = %v", err)
	}
	want := []store.AuthzSigningKey{newer, older}
	for i := range want {
		want[i].CreatedAt = inUTC(want[i].CreatedAt)
	}
	checkEqual(t, "ListAuthzSigningKeys", got, want)

	all, err := s.ListAuthzSigningKeys(t.Context(), "")
	if err != nil {
		t.Fatalf("ListAuthzSigningKeys(every org) error = %v", err)
	}
	found := map[string]bool{}
	for _, k := range all {
		found[k.ID] = true
	}
	for _, k := range []store.AuthzSigningKey{older, newer, otherKey} {
		if !found[k.ID] {
			t.Errorf("ListAuthzSigningKeys(every org) misses key %s of org %s", k.ID, k.OrgID)
		}
	}
}
