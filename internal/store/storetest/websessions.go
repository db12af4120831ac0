package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func testPasswords(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := createOrg(t, s)
	other := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")

	if hash, err := s.GetPasswordHash(ctx, org.ID, user.ID); err != nil || hash != "" {
		t.Errorf("GetPasswordHash(new user) = %q, %v; want empty, nil", hash, err)
	}
	if err := s.SetPasswordHash(ctx, org.ID, user.ID, "$2a$10$hash"); err != nil {
		t.Fatalf("SetPasswordHash() error = %v", err)
	}
	if hash, err := s.GetPasswordHash(ctx, org.ID, user.ID); err != nil || hash != "$2a$10$hash" {
		t.Errorf("GetPasswordHash() = %q, %v; want the stored hash", hash, err)
	}
	got, err := s.GetUser(ctx, org.ID, user.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEqual(t, "user after SetPasswordHash", got, wantUser(user))

	if _, err := s.GetPasswordHash(ctx, other.ID, user.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPasswordHash(other org) error = %v, want ErrNotFound", err)
	}
	if err := s.SetPasswordHash(ctx, other.ID, user.ID, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPasswordHash(other org) error = %v, want ErrNotFound", err)
	}
	if err := s.SetPasswordHash(ctx, org.ID, user.ID, ""); err != nil {
		t.Fatal(err)
	}
	if hash, _ := s.GetPasswordHash(ctx, org.ID, user.ID); hash != "" {
		t.Errorf("GetPasswordHash() after removal = %q, want empty", hash)
	}
}

func newWebSession(orgID, userID string) store.WebSession {
	return store.WebSession{
		OrgID:         orgID,
		ID:            uniqueID("session"),
		UserID:        userID,
		CreatedAt:     at(0),
		LastSeenAt:    at(0),
		IdleExpiresAt: at(time.Hour),
		ExpiresAt:     at(24 * time.Hour),
	}
}

func wantWebSession(ws store.WebSession) store.WebSession {
	ws.CreatedAt = inUTC(ws.CreatedAt)
	ws.LastSeenAt = inUTC(ws.LastSeenAt)
	ws.IdleExpiresAt = inUTC(ws.IdleExpiresAt)
	ws.ExpiresAt = inUTC(ws.ExpiresAt)
	return ws
}

func testWebSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := createOrg(t, s)
	other := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")

	ws := newWebSession(org.ID, user.ID)
	if err := s.CreateWebSession(ctx, ws); err != nil {
		t.Fatalf("CreateWebSession() error = %v", err)
	}
	if err := s.CreateWebSession(ctx, ws); !errors.Is(err, store.ErrConflict) {
		t.Errorf("CreateWebSession(same ID) error = %v, want ErrConflict", err)
	}
	if err := s.CreateWebSession(ctx, newWebSession(org.ID, "missing-user")); err == nil {
		t.Errorf("CreateWebSession(missing user) error = nil, want an error")
	}
	got, err := s.GetWebSession(ctx, org.ID, ws.ID)
	if err != nil {
		t.Fatalf("GetWebSession() error = %v", err)
	}
	checkEqual(t, "session", got, wantWebSession(ws))
	if _, err := s.GetWebSession(ctx, other.ID, ws.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWebSession(other org) error = %v, want ErrNotFound", err)
	}

	if err := s.TouchWebSession(ctx, org.ID, ws.ID, at(time.Minute), at(time.Minute+time.Hour)); err != nil {
		t.Fatalf("TouchWebSession() error = %v", err)
	}
	touched := ws
	touched.LastSeenAt, touched.IdleExpiresAt = at(time.Minute), at(time.Minute+time.Hour)
	got, _ = s.GetWebSession(ctx, org.ID, ws.ID)
	checkEqual(t, "touched session", got, wantWebSession(touched))
	if err := s.TouchWebSession(ctx, other.ID, ws.ID, at(0), at(0)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TouchWebSession(other org) error = %v, want ErrNotFound", err)
	}

	if err := s.DeleteWebSession(ctx, other.ID, ws.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteWebSession(other org) error = %v, want ErrNotFound", err)
	}
	if err := s.DeleteWebSession(ctx, org.ID, ws.ID); err != nil {
		t.Fatalf("DeleteWebSession() error = %v", err)
	}
	if _, err := s.GetWebSession(ctx, org.ID, ws.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetWebSession(deleted) error = %v, want ErrNotFound", err)
	}
	if err := s.DeleteWebSession(ctx, org.ID, ws.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteWebSession(deleted) error = %v, want ErrNotFound", err)
	}
}

func testWebSessionsOfUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := createOrg(t, s)
	alice := createUser(t, s, org.ID, "alice")
	bob := createUser(t, s, org.ID, "bob")
	a1, a2, b1 := newWebSession(org.ID, alice.ID), newWebSession(org.ID, alice.ID), newWebSession(org.ID, bob.ID)
	for _, ws := range []store.WebSession{a1, a2, b1} {
		if err := s.CreateWebSession(ctx, ws); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteUserWebSessions(ctx, org.ID, alice.ID); err != nil {
		t.Fatalf("DeleteUserWebSessions() error = %v", err)
	}
	for _, ws := range []store.WebSession{a1, a2} {
		if _, err := s.GetWebSession(ctx, org.ID, ws.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("alice's session after DeleteUserWebSessions: error = %v, want ErrNotFound", err)
		}
	}
	if _, err := s.GetWebSession(ctx, org.ID, b1.ID); err != nil {
		t.Errorf("bob's session after deleting alice's: error = %v, want nil", err)
	}

	if err := s.DeleteUser(ctx, org.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetWebSession(ctx, org.ID, b1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session of a deleted user: error = %v, want ErrNotFound", err)
	}
}

func testDeleteExpiredWebSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")
	// The sweep runs across orgs, so the checks look only at this org's
	// sessions and the count is a lower bound.
	base := 1000 * 24 * time.Hour
	idle := newWebSession(org.ID, user.ID)
	idle.IdleExpiresAt, idle.ExpiresAt = at(base+time.Minute), at(base+time.Hour)
	absolute := newWebSession(org.ID, user.ID)
	absolute.IdleExpiresAt, absolute.ExpiresAt = at(base+2*time.Hour), at(base+2*time.Minute)
	live := newWebSession(org.ID, user.ID)
	live.IdleExpiresAt, live.ExpiresAt = at(base+time.Hour), at(base+2*time.Hour)
	for _, ws := range []store.WebSession{idle, absolute, live} {
		if err := s.CreateWebSession(ctx, ws); err != nil {
			t.Fatal(err)
		}
	}

	n, err := s.DeleteExpiredWebSessions(ctx, at(base+10*time.Minute))
	if err != nil {
		t.Fatalf("DeleteExpiredWebSessions() error = %v", err)
	}
	if n < 2 {
		t.Errorf("DeleteExpiredWebSessions() = %d, want at least 2", n)
	}
	for name, ws := range map[string]store.WebSession{"idle": idle, "absolute": absolute} {
		if _, err := s.GetWebSession(ctx, org.ID, ws.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s-expired session after the sweep: error = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := s.GetWebSession(ctx, org.ID, live.ID); err != nil {
		t.Errorf("live session after the sweep: error = %v, want nil", err)
	}
}

func testLoginFailures(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := createOrg(t, s)
	other := createOrg(t, s)
	const key = "user:alice"

	n, earliest, err := s.CountLoginFailures(ctx, org.ID, key, at(0))
	if err != nil || n != 0 || !earliest.IsZero() {
		t.Errorf("CountLoginFailures(none) = %d, %v, %v; want 0, zero time, nil", n, earliest, err)
	}
	for _, d := range []time.Duration{-time.Hour, time.Minute, 2 * time.Minute, 2 * time.Minute} {
		if err := s.RecordLoginFailure(ctx, org.ID, key, at(d)); err != nil {
			t.Fatalf("RecordLoginFailure() error = %v", err)
		}
	}
	if err := s.RecordLoginFailure(ctx, org.ID, "addr:192.0.2.1", at(time.Minute)); err != nil {
		t.Fatal(err)
	}
	n, earliest, err = s.CountLoginFailures(ctx, org.ID, key, at(0))
	if err != nil || n != 3 || !earliest.Equal(at(time.Minute)) {
		t.Errorf("CountLoginFailures(since at(0)) = %d, %v, %v; want 3, %v, nil", n, earliest, err, at(time.Minute))
	}
	if n, _, _ := s.CountLoginFailures(ctx, other.ID, key, at(-2*time.Hour)); n != 0 {
		t.Errorf("CountLoginFailures(other org) = %d, want 0", n)
	}

	// One of the two failures at at(2m) is deleted. A time without a
	// failure is no error.
	if err := s.DeleteLoginFailure(ctx, org.ID, key, at(2*time.Minute)); err != nil {
		t.Fatalf("DeleteLoginFailure() error = %v", err)
	}
	if err := s.DeleteLoginFailure(ctx, org.ID, key, at(3*time.Minute)); err != nil {
		t.Errorf("DeleteLoginFailure(no failure at that time) error = %v, want nil", err)
	}
	if err := s.DeleteLoginFailure(ctx, other.ID, key, at(time.Minute)); err != nil {
		t.Errorf("DeleteLoginFailure(other org) error = %v, want nil", err)
	}
	if n, _, _ := s.CountLoginFailures(ctx, org.ID, key, at(0)); n != 2 {
		t.Errorf("CountLoginFailures(after deleting one of two at one time) = %d, want 2", n)
	}

	if err := s.ClearLoginFailures(ctx, org.ID, key); err != nil {
		t.Fatalf("ClearLoginFailures() error = %v", err)
	}
	if n, _, _ := s.CountLoginFailures(ctx, org.ID, key, at(-2*time.Hour)); n != 0 {
		t.Errorf("CountLoginFailures(after clear) = %d, want 0", n)
	}
	if n, _, _ := s.CountLoginFailures(ctx, org.ID, "addr:192.0.2.1", at(-2*time.Hour)); n != 1 {
		t.Errorf("CountLoginFailures(other key after clear) = %d, want 1", n)
	}

	// The sweep runs across orgs, so it is given a time far before every
	// other subtest's rows but after the one recorded here.
	old := at(-5000 * 24 * time.Hour)
	if err := s.RecordLoginFailure(ctx, org.ID, "user:old", old); err != nil {
		t.Fatal(err)
	}
	removed, err := s.DeleteLoginFailuresBefore(ctx, old.Add(time.Second))
	if err != nil || removed < 1 {
		t.Errorf("DeleteLoginFailuresBefore() = %d, %v; want at least 1, nil", removed, err)
	}
	if n, _, _ := s.CountLoginFailures(ctx, org.ID, "user:old", old.Add(-time.Hour)); n != 0 {
		t.Errorf("CountLoginFailures(swept key) = %d, want 0", n)
	}
	if n, _, _ := s.CountLoginFailures(ctx, org.ID, "addr:192.0.2.1", at(-2*time.Hour)); n != 1 {
		t.Errorf("CountLoginFailures(recent key after sweep) = %d, want 1", n)
	}
}

func testConnectionUses(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := createOrg(t, s)
	other := createOrg(t, s)
	alice := createUser(t, s, org.ID, "alice")
	bob := createUser(t, s, org.ID, "bob")
	svc := createService(t, s, org.ID, "acme", alice.ID)
	conn := createConnection(t, s, newConnection(org.ID, "acme_devices", svc.Service.Key, alice.ID))

	if last, err := s.ConnectionLastUsed(ctx, org.ID, conn.ID); err != nil || !last.IsZero() {
		t.Errorf("ConnectionLastUsed(never used) = %v, %v; want the zero time, nil", last, err)
	}
	uses := []struct {
		user store.User
		at   time.Duration
	}{{alice, time.Minute}, {bob, 3 * time.Minute}, {alice, 2 * time.Minute}, {bob, time.Minute}}
	for _, u := range uses {
		if err := s.RecordConnectionUse(ctx, org.ID, conn.ID, u.user.ID, at(u.at)); err != nil {
			t.Fatalf("RecordConnectionUse(%s, %v) error = %v", u.user.Username, u.at, err)
		}
	}
	last, err := s.ConnectionLastUsed(ctx, org.ID, conn.ID)
	if err != nil || !last.Equal(at(3*time.Minute)) || last.Location() != time.UTC {
		t.Errorf("ConnectionLastUsed() = %v, %v; want %v in UTC (an earlier use must not replace a later one)", last, err, inUTC(at(3*time.Minute)))
	}
	if last, _ := s.ConnectionLastUsed(ctx, other.ID, conn.ID); !last.IsZero() {
		t.Errorf("ConnectionLastUsed(other org) = %v, want the zero time", last)
	}
	if err := s.RecordConnectionUse(ctx, org.ID, "missing", alice.ID, at(0)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RecordConnectionUse(missing connection) error = %v, want ErrNotFound", err)
	}

	if err := s.DeleteConnection(ctx, org.ID, conn.LinkName); err != nil {
		t.Fatal(err)
	}
	again := createConnection(t, s, newConnection(org.ID, "acme_devices", svc.Service.Key, alice.ID))
	if last, _ := s.ConnectionLastUsed(ctx, org.ID, again.ID); !last.IsZero() {
		t.Errorf("ConnectionLastUsed(new connection with the old link name) = %v, want the zero time", last)
	}
}
