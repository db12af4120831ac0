package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func testCredentials(t *testing.T, s store.Store) {
	t.Run("put and get", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		cred := newCredential(org.ID, conn.ID, user.ID)
		cred.SecretsSealed = "sealed-secrets"
		cred.LastError = "token endpoint returned 503"
		cred.LastErrorClass = "transient"
		cred.LastErrorAt = at(2 * time.Minute)
		putCredential(t, s, cred)

		got, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID)
		if err != nil {
			t.Fatalf("GetCredential() error = %v", err)
		}
		checkEqual(t, "GetCredential", canonCredential(got), wantCredential(cred))
	})

	t.Run("put replaces", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		putCredential(t, s, newCredential(org.ID, conn.ID, user.ID))

		replacement := store.Credential{
			OrgID:        org.ID,
			ConnectionID: conn.ID,
			UserID:       user.ID,
			Status:       store.StatusNeedsReauth,
			TokenType:    "bearer",
			LastError:    "invalid_grant",
			LastErrorAt:  at(3 * time.Hour),
			UpdatedAt:    at(3 * time.Hour),
		}
		putCredential(t, s, replacement)

		got, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID)
		if err != nil {
			t.Fatalf("GetCredential() error = %v", err)
		}
		checkEqual(t, "GetCredential after replace", canonCredential(got), wantCredential(replacement))
	})

	t.Run("times round trip", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		cred := newCredential(org.ID, conn.ID, user.ID)
		// Nanoseconds that a microsecond or millisecond column would lose,
		// in three zones, so the store must convert them to UTC.
		west := time.FixedZone("UTC-7", -7*60*60)
		cred.Expiry = time.Date(2031, 12, 31, 23, 59, 59, 999999999, west)
		cred.LastErrorAt = time.Date(2031, 1, 1, 0, 0, 0, 1, time.UTC)
		cred.ConnectedAt = at(7)
		cred.RefreshedAt = at(-1)
		cred.UpdatedAt = time.Date(2031, 6, 1, 12, 0, 0, 500000000, west)
		cred.RefreshLeaseID = "lease-1"
		cred.RefreshLeaseUntil = at(35 * time.Second)
		putCredential(t, s, cred)

		got, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID)
		if err != nil {
			t.Fatalf("GetCredential() error = %v", err)
		}
		fields := []struct {
			name      string
			got, want time.Time
		}{
			{"Expiry", got.Expiry, cred.Expiry},
			{"LastErrorAt", got.LastErrorAt, cred.LastErrorAt},
			{"ConnectedAt", got.ConnectedAt, cred.ConnectedAt},
			{"RefreshedAt", got.RefreshedAt, cred.RefreshedAt},
			{"UpdatedAt", got.UpdatedAt, cred.UpdatedAt},
			{"RefreshLeaseUntil", got.RefreshLeaseUntil, cred.RefreshLeaseUntil},
		}
		checkEqual(t, "RefreshLeaseID", got.RefreshLeaseID, cred.RefreshLeaseID)
		for _, f := range fields {
			if !f.got.Equal(f.want) {
				t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
			}
			if f.got.Location() != time.UTC {
				t.Errorf("%s location = %v, want UTC", f.name, f.got.Location())
			}
		}
	})

	t.Run("zero times stay zero", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		cred := store.Credential{OrgID: org.ID, ConnectionID: conn.ID, UserID: user.ID, Status: store.StatusNotConnected}
		putCredential(t, s, cred)

		got, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID)
		if err != nil {
			t.Fatalf("GetCredential() error = %v", err)
		}
		checkEqual(t, "GetCredential", canonCredential(got), wantCredential(cred))
		for name, value := range map[string]time.Time{
			"Expiry":            got.Expiry,
			"LastErrorAt":       got.LastErrorAt,
			"ConnectedAt":       got.ConnectedAt,
			"RefreshedAt":       got.RefreshedAt,
			"UpdatedAt":         got.UpdatedAt,
			"RefreshLeaseUntil": got.RefreshLeaseUntil,
		} {
			if !value.IsZero() {
				t.Errorf("%s = %v, want the zero time", name, value)
			}
		}
	})

	t.Run("scopes and extras round trip", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		cred := newCredential(org.ID, conn.ID, user.ID)
		cred.GrantedScopes = []string{"devices.read", "offline_access", "https://www.googleapis.com/auth/drive"}
		cred.Extras = map[string]any{
			"api_domain":   "https://www.zohoapis.eu",
			"instance_url": "https://acme.my.salesforce.com",
			"expires_in":   float64(3600),
			"ratio":        0.25,
			"verified":     true,
			"id_token":     nil,
			"unicode":      "Grüße, 東京",
			"list":         []any{"a", float64(1), false, nil},
			"nested": map[string]any{
				"team":  map[string]any{"id": "T123", "name": "Acme"},
				"users": []any{map[string]any{"id": "U1"}, map[string]any{"id": "U2"}},
				"empty": map[string]any{},
			},
		}
		putCredential(t, s, cred)

		got, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID)
		if err != nil {
			t.Fatalf("GetCredential() error = %v", err)
		}
		checkEqual(t, "GrantedScopes", got.GrantedScopes, cred.GrantedScopes)
		checkEqual(t, "Extras", got.Extras, cred.Extras)
	})

	t.Run("list", func(t *testing.T) {
		org, alice, conn := connectionFixture(t, s)
		bob := createUser(t, s, org.ID, "bob")
		carol := createUser(t, s, org.ID, "carol")
		other := createConnection(t, s, newConnection(org.ID, "mail", "acme_devices", alice.ID))
		var want []store.Credential
		for _, user := range []store.User{carol, alice, bob} {
			want = append(want, putCredential(t, s, newCredential(org.ID, conn.ID, user.ID)))
		}
		putCredential(t, s, newCredential(org.ID, other.ID, alice.ID))

		got, err := s.ListCredentials(t.Context(), org.ID, conn.ID)
		if err != nil {
			t.Fatalf("ListCredentials() error = %v", err)
		}
		byUser := func(a, b store.Credential) int { return strings.Compare(a.UserID, b.UserID) }
		slices.SortFunc(got, byUser)
		slices.SortFunc(want, byUser)
		if len(got) != len(want) {
			t.Fatalf("ListCredentials() returned %d credentials, want %d", len(got), len(want))
		}
		for i := range got {
			checkEqual(t, "listed credential", canonCredential(got[i]), wantCredential(want[i]))
		}
	})

	t.Run("update", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		cred := putCredential(t, s, newCredential(org.ID, conn.ID, user.ID))

		got, err := s.UpdateCredential(t.Context(), org.ID, conn.ID, user.ID, func(current *store.Credential) error {
			checkEqual(t, "credential passed to update", canonCredential(*current), wantCredential(cred))
			current.AccessTokenSealed = "sealed-access-refreshed"
			current.Expiry = at(2 * time.Hour)
			current.RefreshedAt = at(time.Hour)
			current.UpdatedAt = at(time.Hour)
			// The identity cannot change through an update.
			current.OrgID = uniqueID("org")
			current.ConnectionID = uniqueID("conn")
			current.UserID = uniqueID("user")
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateCredential() error = %v", err)
		}

		want := cred
		want.AccessTokenSealed = "sealed-access-refreshed"
		want.Expiry = at(2 * time.Hour)
		want.RefreshedAt = at(time.Hour)
		want.UpdatedAt = at(time.Hour)
		checkEqual(t, "UpdateCredential result", canonCredential(got), wantCredential(want))
		stored, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID)
		if err != nil {
			t.Fatalf("GetCredential() error = %v", err)
		}
		checkEqual(t, "GetCredential after update", canonCredential(stored), wantCredential(want))
	})

	// Every update reads the counter, waits, and writes it plus one. Without
	// the row lock two updates read the same value and one increment is lost.
	t.Run("concurrent updates are atomic", func(t *testing.T) {
		const workers = 20
		org, user, conn := connectionFixture(t, s)
		cred := newCredential(org.ID, conn.ID, user.ID)
		cred.Extras = map[string]any{"counter": float64(0)}
		putCredential(t, s, cred)

		increment := func(current *store.Credential) error {
			n, ok := current.Extras["counter"].(float64)
			if !ok {
				return fmt.Errorf("counter extra is %T, want float64", current.Extras["counter"])
			}
			time.Sleep(time.Millisecond)
			current.Extras["counter"] = n + 1
			return nil
		}
		start := make(chan struct{})
		results := make([]float64, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				<-start
				got, err := s.UpdateCredential(t.Context(), org.ID, conn.ID, user.ID, increment)
				errs[i] = err
				results[i], _ = got.Extras["counter"].(float64)
			})
		}
		close(start)
		wg.Wait()

		for i, err := range errs {
			if err != nil {
				t.Errorf("UpdateCredential() in worker %d error = %v", i, err)
			}
		}
		// Each committed update returns its own counter value, from 1 to workers.
		slices.Sort(results)
		for i, value := range results {
			if value != float64(i+1) {
				t.Errorf("sorted counter values returned by the updates = %v, want 1 to %d once each", results, workers)
				break
			}
		}
		got, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID)
		if err != nil {
			t.Fatalf("GetCredential() error = %v", err)
		}
		if got.Extras["counter"] != float64(workers) {
			t.Errorf("counter after %d concurrent increments = %v, want %d", workers, got.Extras["counter"], workers)
		}
	})

	t.Run("update error rolls back", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		cred := putCredential(t, s, newCredential(org.ID, conn.ID, user.ID))
		errRejected := errors.New("update rejected by test")

		_, err := s.UpdateCredential(t.Context(), org.ID, conn.ID, user.ID, func(current *store.Credential) error {
			current.Status = store.StatusNeedsReauth
			current.AccessTokenSealed = ""
			current.Extras["changed"] = true
			return errRejected
		})
		if !errors.Is(err, errRejected) {
			t.Errorf("UpdateCredential() error = %v, want the update function's error", err)
		}

		got, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID)
		if err != nil {
			t.Fatalf("GetCredential() error = %v", err)
		}
		checkEqual(t, "GetCredential after failed update", canonCredential(got), wantCredential(cred))
	})

	t.Run("delete", func(t *testing.T) {
		org, alice, conn := connectionFixture(t, s)
		bob := createUser(t, s, org.ID, "bob")
		putCredential(t, s, newCredential(org.ID, conn.ID, alice.ID))
		bobCred := putCredential(t, s, newCredential(org.ID, conn.ID, bob.ID))

		if err := s.DeleteCredential(t.Context(), org.ID, conn.ID, alice.ID); err != nil {
			t.Fatalf("DeleteCredential() error = %v", err)
		}

		if _, err := s.GetCredential(t.Context(), org.ID, conn.ID, alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetCredential(deleted) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteCredential(t.Context(), org.ID, conn.ID, alice.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteCredential(deleted) error = %v, want ErrNotFound", err)
		}
		got, err := s.GetCredential(t.Context(), org.ID, conn.ID, bob.ID)
		if err != nil {
			t.Fatalf("GetCredential(other user) error = %v", err)
		}
		checkEqual(t, "other user's credential", canonCredential(got), wantCredential(bobCred))
	})

	t.Run("unknown credential", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)

		if _, err := s.GetCredential(t.Context(), org.ID, conn.ID, user.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetCredential(unknown) error = %v, want ErrNotFound", err)
		}
		_, err := s.UpdateCredential(t.Context(), org.ID, conn.ID, user.ID, func(*store.Credential) error { return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateCredential(unknown) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteCredential(t.Context(), org.ID, conn.ID, user.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteCredential(unknown) error = %v, want ErrNotFound", err)
		}
		creds, err := s.ListCredentials(t.Context(), org.ID, conn.ID)
		if err != nil {
			t.Fatalf("ListCredentials() error = %v", err)
		}
		if len(creds) != 0 {
			t.Errorf("ListCredentials() returned %d credentials, want 0", len(creds))
		}
	})
}
