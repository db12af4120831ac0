package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func testOAuthStates(t *testing.T, s store.Store) {
	t.Run("create and take once", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		state := createOAuthState(t, s, newOAuthState(org.ID, conn.ID, user.ID))

		got, err := s.TakeOAuthState(t.Context(), org.ID, state.ID)
		if err != nil {
			t.Fatalf("TakeOAuthState() error = %v", err)
		}
		checkEqual(t, "TakeOAuthState", got, wantOAuthState(state))

		if _, err := s.TakeOAuthState(t.Context(), org.ID, state.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second TakeOAuthState() error = %v, want ErrNotFound", err)
		}
	})

	t.Run("id conflict", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		state := createOAuthState(t, s, newOAuthState(org.ID, conn.ID, user.ID))

		if err := s.CreateOAuthState(t.Context(), state); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateOAuthState(taken ID) error = %v, want ErrConflict", err)
		}
	})

	t.Run("unknown state", func(t *testing.T) {
		org, _, _ := connectionFixture(t, s)

		if _, err := s.TakeOAuthState(t.Context(), org.ID, uniqueID("state")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("TakeOAuthState(unknown) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("expired state is returned", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		state := newOAuthState(org.ID, conn.ID, user.ID)
		state.CreatedAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		state.ExpiresAt = state.CreatedAt.Add(10 * time.Minute)
		createOAuthState(t, s, state)

		got, err := s.TakeOAuthState(t.Context(), org.ID, state.ID)
		if err != nil {
			t.Fatalf("TakeOAuthState(expired) error = %v, want nil", err)
		}
		checkEqual(t, "TakeOAuthState", got, wantOAuthState(state))
	})

	t.Run("concurrent take succeeds once", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		checkTakenOnce(t, "TakeOAuthState", func() func() error {
			state := createOAuthState(t, s, newOAuthState(org.ID, conn.ID, user.ID))
			return func() error {
				_, err := s.TakeOAuthState(t.Context(), org.ID, state.ID)
				return err
			}
		})
	})

	t.Run("delete expired", func(t *testing.T) {
		testDeleteExpiredOAuthStates(t, s)
	})
}

// testDeleteExpiredOAuthStates checks that only states expiring strictly
// before now are deleted, whatever the fractions of a second and the zones
// of the two times. A store that compares times as variable-width text, such
// as time.RFC3339Nano, orders "00.5Z" before "00Z" and fails here.
//
// DeleteExpiredOAuthStates deletes across all orgs, so the states here expire
// on 1 January 2000 to stay clear of the states of other tests, which expire
// after the real current time. NOTE: a process sharing the database that
// deletes expired states at the same moment could remove a state this test
// expects to find.
func testDeleteExpiredOAuthStates(t *testing.T, s store.Store) {
	org, user, conn := connectionFixture(t, s)
	base := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	east := time.FixedZone("UTC+2", 2*60*60)
	west := time.FixedZone("UTC-5", -5*60*60)

	// Remove states left in this window by earlier runs on a shared database.
	if _, err := s.DeleteExpiredOAuthStates(t.Context(), base.Add(time.Hour)); err != nil {
		t.Fatalf("DeleteExpiredOAuthStates() error = %v", err)
	}

	const half = 500 * time.Millisecond
	tests := []struct {
		name        string
		expiresAt   time.Time
		now         time.Time
		wantDeleted bool
	}{
		{"half second after whole second", base.Add(half), base, false},
		{"whole second after half second", base.Add(time.Second), base.Add(half), false},
		{"whole second before half second", base, base.Add(half), true},
		{"half second before whole second", base.Add(-half), base, true},
		{"equal to now", base.Add(half), base.Add(half), false},
		{"one nanosecond before", base.Add(-1), base, true},
		{"one nanosecond after", base.Add(1), base, false},
		{"millisecond fraction before tenth", base.Add(50 * time.Millisecond), base.Add(100 * time.Millisecond), true},
		{"tenth after millisecond fraction", base.Add(100 * time.Millisecond), base.Add(50 * time.Millisecond), false},
		{"other zones, before", base.Add(-half).In(east), base.In(west), true},
		{"other zones, after", base.Add(half).In(west), base.In(east), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := newOAuthState(org.ID, conn.ID, user.ID)
			state.CreatedAt = base.Add(-10 * time.Minute)
			state.ExpiresAt = tt.expiresAt
			createOAuthState(t, s, state)

			n, err := s.DeleteExpiredOAuthStates(t.Context(), tt.now)
			if err != nil {
				t.Fatalf("DeleteExpiredOAuthStates(%v) error = %v", tt.now, err)
			}
			_, takeErr := s.TakeOAuthState(t.Context(), org.ID, state.ID)

			wantN := 0
			if tt.wantDeleted {
				wantN = 1
			}
			if n != wantN {
				t.Errorf("DeleteExpiredOAuthStates(%v) with expiry %v = %d, want %d", tt.now, tt.expiresAt, n, wantN)
			}
			if tt.wantDeleted && !errors.Is(takeErr, store.ErrNotFound) {
				t.Errorf("TakeOAuthState() after delete error = %v, want ErrNotFound", takeErr)
			}
			if !tt.wantDeleted && takeErr != nil {
				t.Errorf("TakeOAuthState() of unexpired state error = %v, want nil", takeErr)
			}
		})
	}

	t.Run("count", func(t *testing.T) {
		now := base.Add(30 * time.Minute)
		var expired, live []store.OAuthState
		for i := range 5 {
			state := newOAuthState(org.ID, conn.ID, user.ID)
			state.ExpiresAt = now.Add(time.Duration(i-3) * time.Minute)
			createOAuthState(t, s, state)
			if state.ExpiresAt.Before(now) {
				expired = append(expired, state)
			} else {
				live = append(live, state)
			}
		}

		n, err := s.DeleteExpiredOAuthStates(t.Context(), now)
		if err != nil {
			t.Fatalf("DeleteExpiredOAuthStates() error = %v", err)
		}
		if n != len(expired) {
			t.Errorf("DeleteExpiredOAuthStates() = %d, want %d", n, len(expired))
		}
		for _, state := range expired {
			if _, err := s.TakeOAuthState(t.Context(), org.ID, state.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("TakeOAuthState(expired at %v) error = %v, want ErrNotFound", state.ExpiresAt, err)
			}
		}
		for _, state := range live {
			if _, err := s.TakeOAuthState(t.Context(), org.ID, state.ID); err != nil {
				t.Errorf("TakeOAuthState(expiring at %v) error = %v, want nil", state.ExpiresAt, err)
			}
		}
	})
}
