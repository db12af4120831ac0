package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// testListRefreshDue checks which credentials the background refresher
// finds. Other orgs' rows in a shared database are ignored by filtering on
// this test's org.
func testListRefreshDue(t *testing.T, s store.Store) {
	org := createOrg(t, s)
	now := at(0)
	cases := []struct {
		user   string
		change func(*store.Credential)
		due    bool
	}{
		{"expiring", func(c *store.Credential) { c.Expiry = now.Add(2 * time.Minute) }, true},
		{"expired", func(c *store.Credential) { c.Expiry = now.Add(-time.Hour) }, true},
		{"fresh", func(c *store.Credential) { c.Expiry = now.Add(time.Hour) }, false},
		{"idle", func(c *store.Credential) { c.Expiry = time.Time{}; c.RefreshedAt = now.Add(-40 * 24 * time.Hour) }, true},
		{"idle_and_expired", func(c *store.Credential) {
			c.Expiry, c.RefreshedAt = now.Add(-2*time.Hour), now.Add(-40*24*time.Hour)
		}, true},
		{"idle_not_expiring", func(c *store.Credential) {
			c.Expiry, c.RefreshedAt = now.Add(time.Hour), now.Add(-40*24*time.Hour)
		}, true},
		{"idle_never_refreshed", func(c *store.Credential) {
			c.Expiry, c.RefreshedAt, c.ConnectedAt = time.Time{}, time.Time{}, now.Add(-40*24*time.Hour)
		}, true},
		{"active", func(c *store.Credential) { c.Expiry = time.Time{}; c.RefreshedAt = now.Add(-time.Hour) }, false},
		{"no_refresh_token", func(c *store.Credential) { c.Expiry = now.Add(-time.Hour); c.RefreshTokenSealed = "" }, false},
		{"needs_reauth", func(c *store.Credential) { c.Expiry = now.Add(-time.Hour); c.Status = store.StatusNeedsReauth }, false},
		{"leased", func(c *store.Credential) {
			c.Expiry = now.Add(-time.Hour)
			c.RefreshLeaseID, c.RefreshLeaseUntil = "other", now.Add(time.Minute)
		}, false},
		{"lapsed_lease", func(c *store.Credential) {
			c.Expiry = now.Add(-time.Hour)
			c.RefreshLeaseID, c.RefreshLeaseUntil = "dead", now.Add(-time.Minute)
		}, true},
	}
	var want []string
	for _, tc := range cases {
		user := createUser(t, s, org.ID, tc.user)
		conn := createConnection(t, s, newConnection(org.ID, uniqueID("c"), "acme_devices", user.ID))
		cred := newCredential(org.ID, conn.ID, user.ID)
		cred.ConnectedAt = now.Add(-time.Hour)
		cred.RefreshedAt = now.Add(-time.Hour)
		tc.change(&cred)
		putCredential(t, s, cred)
		if tc.due {
			want = append(want, user.ID)
		}
	}

	due, err := s.ListRefreshDue(t.Context(), now, now.Add(5*time.Minute), now.Add(-30*24*time.Hour), 1000)
	if err != nil {
		t.Fatalf("ListRefreshDue() error = %v", err)
	}
	var got []string
	var expiries []time.Time
	for _, c := range due {
		if c.OrgID == org.ID {
			got = append(got, c.UserID)
			expiries = append(expiries, c.Expiry)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	checkEqual(t, "due credentials", got, want)
	// Soonest expiry first; credentials without an expiry come last.
	sorted := slices.IsSortedFunc(expiries, func(a, b time.Time) int {
		switch {
		case a.IsZero() && b.IsZero():
			return 0
		case a.IsZero():
			return 1
		case b.IsZero():
			return -1
		}
		return a.Compare(b)
	})
	if !sorted {
		t.Errorf("expiries of due credentials in listed order = %v, want soonest first and none last", expiries)
	}

	limited, err := s.ListRefreshDue(t.Context(), now, now.Add(5*time.Minute), now.Add(-30*24*time.Hour), 1)
	if err != nil {
		t.Fatalf("ListRefreshDue(limit 1) error = %v", err)
	}
	if len(limited) != 1 {
		t.Errorf("ListRefreshDue(limit 1) returned %d credentials, want 1", len(limited))
	}
}
