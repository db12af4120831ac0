package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// pendingSecretFixture creates an org, a user and two web sessions of that
// user, and returns the org and the sessions.
func pendingSecretFixture(t *testing.T, s store.Store) (store.Org, store.User, store.WebSession, store.WebSession) {
	t.Helper()
	org := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")
	first, second := newWebSession(org.ID, user.ID), newWebSession(org.ID, user.ID)
	for _, ws := range []store.WebSession{first, second} {
		if err := s.CreateWebSession(t.Context(), ws); err != nil {
			t.Fatalf("CreateWebSession() error = %v", err)
		}
	}
	return org, user, first, second
}

func newPendingSecret(orgID, sessionID string) store.PendingSecret {
	return store.PendingSecret{
		OrgID:       orgID,
		ID:          uniqueID("pending"),
		SessionID:   sessionID,
		Kind:        "api_token",
		Subject:     "ci",
		ValueSealed: "sealed-value",
		CreatedAt:   at(0),
		ExpiresAt:   at(5 * time.Minute),
	}
}

func createPendingSecret(t *testing.T, s store.Store, ps store.PendingSecret) store.PendingSecret {
	t.Helper()
	if err := s.CreatePendingSecret(t.Context(), ps); err != nil {
		t.Fatalf("CreatePendingSecret() error = %v", err)
	}
	return ps
}

func wantPendingSecret(ps store.PendingSecret) store.PendingSecret {
	ps.CreatedAt = inUTC(ps.CreatedAt)
	ps.ExpiresAt = inUTC(ps.ExpiresAt)
	return ps
}

func testPendingSecrets(t *testing.T, s store.Store) {
	t.Run("create and take once", func(t *testing.T) {
		org, _, session, _ := pendingSecretFixture(t, s)
		ps := createPendingSecret(t, s, newPendingSecret(org.ID, session.ID))

		got, err := s.TakePendingSecret(t.Context(), org.ID, session.ID, ps.ID)
		if err != nil {
			t.Fatalf("TakePendingSecret() error = %v", err)
		}
		checkEqual(t, "TakePendingSecret", got, wantPendingSecret(ps))
		if _, err := s.TakePendingSecret(t.Context(), org.ID, session.ID, ps.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second TakePendingSecret() error = %v, want ErrNotFound", err)
		}
	})

	t.Run("id conflict", func(t *testing.T) {
		org, _, session, _ := pendingSecretFixture(t, s)
		ps := createPendingSecret(t, s, newPendingSecret(org.ID, session.ID))

		if err := s.CreatePendingSecret(t.Context(), ps); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreatePendingSecret(taken ID) error = %v, want ErrConflict", err)
		}
	})

	t.Run("missing session", func(t *testing.T) {
		org, _, _, _ := pendingSecretFixture(t, s)

		if err := s.CreatePendingSecret(t.Context(), newPendingSecret(org.ID, uniqueID("session"))); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CreatePendingSecret(missing session) error = %v, want ErrNotFound", err)
		}
	})

	// Another session, even of the same user, or another org neither gets
	// the secret nor uses up its one display.
	t.Run("other session or org", func(t *testing.T) {
		org, _, session, otherSession := pendingSecretFixture(t, s)
		other := createOrg(t, s)
		ps := createPendingSecret(t, s, newPendingSecret(org.ID, session.ID))

		if _, err := s.TakePendingSecret(t.Context(), org.ID, otherSession.ID, ps.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakePendingSecret(other session) error = %v, want ErrNotFound", err)
		}
		if _, err := s.TakePendingSecret(t.Context(), other.ID, session.ID, ps.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakePendingSecret(other org) error = %v, want ErrNotFound", err)
		}
		if _, err := s.TakePendingSecret(t.Context(), org.ID, session.ID, ps.ID); err != nil {
			t.Errorf("TakePendingSecret(own session) after the others tried: error = %v, want nil", err)
		}
	})

	t.Run("expired secret is returned", func(t *testing.T) {
		org, _, session, _ := pendingSecretFixture(t, s)
		ps := newPendingSecret(org.ID, session.ID)
		ps.CreatedAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		ps.ExpiresAt = ps.CreatedAt.Add(5 * time.Minute)
		createPendingSecret(t, s, ps)

		got, err := s.TakePendingSecret(t.Context(), org.ID, session.ID, ps.ID)
		if err != nil {
			t.Fatalf("TakePendingSecret(expired) error = %v, want nil", err)
		}
		checkEqual(t, "TakePendingSecret", got, wantPendingSecret(ps))
	})

	t.Run("deleted with session or user", func(t *testing.T) {
		org, user, session, otherSession := pendingSecretFixture(t, s)
		ofSession := createPendingSecret(t, s, newPendingSecret(org.ID, session.ID))
		ofUser := createPendingSecret(t, s, newPendingSecret(org.ID, otherSession.ID))

		if err := s.DeleteWebSession(t.Context(), org.ID, session.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakePendingSecret(t.Context(), org.ID, session.ID, ofSession.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakePendingSecret() after its session ended: error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteUser(t.Context(), org.ID, user.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TakePendingSecret(t.Context(), org.ID, otherSession.ID, ofUser.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakePendingSecret() after its user was deleted: error = %v, want ErrNotFound", err)
		}
	})

	t.Run("concurrent take succeeds once", func(t *testing.T) {
		org, _, session, _ := pendingSecretFixture(t, s)
		checkTakenOnce(t, "TakePendingSecret", func() func() error {
			ps := createPendingSecret(t, s, newPendingSecret(org.ID, session.ID))
			return func() error {
				_, err := s.TakePendingSecret(t.Context(), org.ID, session.ID, ps.ID)
				return err
			}
		})
	})

	t.Run("delete expired", func(t *testing.T) {
		testDeleteExpiredPendingSecrets(t, s)
	})
}

// testDeleteExpiredPendingSecrets checks that the sweep deletes only the
// secrets that expire strictly before now. The sweep runs across orgs, so
// the secrets here expire in 2000, clear of other tests' rows, and the
// count is a lower bound.
func testDeleteExpiredPendingSecrets(t *testing.T, s store.Store) {
	org, _, session, _ := pendingSecretFixture(t, s)
	now := time.Date(2000, 1, 1, 0, 30, 0, 0, time.UTC)
	east := time.FixedZone("UTC+2", 2*60*60)

	var expired, live []store.PendingSecret
	for _, expiry := range []time.Time{now.Add(-time.Minute), now.Add(-1).In(east), now, now.Add(time.Nanosecond), now.Add(time.Minute).In(east)} {
		ps := newPendingSecret(org.ID, session.ID)
		ps.CreatedAt, ps.ExpiresAt = now.Add(-5*time.Minute), expiry
		createPendingSecret(t, s, ps)
		if expiry.Before(now) {
			expired = append(expired, ps)
		} else {
			live = append(live, ps)
		}
	}

	n, err := s.DeleteExpiredPendingSecrets(t.Context(), now)
	if err != nil {
		t.Fatalf("DeleteExpiredPendingSecrets() error = %v", err)
	}
	if n < len(expired) {
		t.Errorf("DeleteExpiredPendingSecrets() = %d, want at least %d", n, len(expired))
	}
	for _, ps := range expired {
		if _, err := s.TakePendingSecret(t.Context(), org.ID, session.ID, ps.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakePendingSecret(expired at %v) error = %v, want ErrNotFound", ps.ExpiresAt, err)
		}
	}
	for _, ps := range live {
		if _, err := s.TakePendingSecret(t.Context(), org.ID, session.ID, ps.ID); err != nil {
			t.Errorf("TakePendingSecret(expiring at %v) error = %v, want nil", ps.ExpiresAt, err)
		}
	}
}
