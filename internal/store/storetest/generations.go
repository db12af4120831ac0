package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// testCacheGeneration checks that every change to a cached kind of record
// raises its org's cache generation, and that recording a token's use, a
// rolled-back update and another org's changes do not.
func testCacheGeneration(t *testing.T, s store.Store) {
	ctx := t.Context()
	org := createOrg(t, s)
	other := createOrg(t, s)
	generation := func(orgID string) int64 {
		t.Helper()
		g, err := s.CacheGeneration(ctx, orgID)
		if err != nil {
			t.Fatalf("CacheGeneration(%q) error = %v", orgID, err)
		}
		return g
	}

	if g := generation(uniqueID("org_unknown")); g != 0 {
		t.Errorf("CacheGeneration(unknown org) = %d, want 0", g)
	}
	otherBefore := generation(other.ID)

	var user, second store.User
	var token store.APIToken
	var conn store.Connection
	var app store.Application
	errRollback := errors.New("rolled back on purpose")
	changes := []struct {
		name   string
		change func() error
	}{
		{"CreateUser", func() error {
			user = store.User{OrgID: org.ID, ID: uniqueID("user"), Username: "alice", Role: store.RoleAdmin, CreatedAt: at(0)}
			return s.CreateUser(ctx, user)
		}},
		{"CreateUser second", func() error {
			second = store.User{OrgID: org.ID, ID: uniqueID("user"), Username: "bob", Role: store.RoleDeveloper, CreatedAt: at(0)}
			return s.CreateUser(ctx, second)
		}},
		{"UpdateUser", func() error {
			_, err := s.UpdateUser(ctx, org.ID, second.ID, func(u *store.User) error { u.Role = store.RoleViewer; return nil })
			return err
		}},
		{"CreateAPIToken", func() error {
			token = newAPIToken(org.ID, second.ID)
			return s.CreateAPIToken(ctx, token)
		}},
		{"DeleteAPIToken", func() error { return s.DeleteAPIToken(ctx, org.ID, token.ID) }},
		{"DeleteUser", func() error { return s.DeleteUser(ctx, org.ID, second.ID) }},
		{"CreateService", func() error { return s.CreateService(ctx, newService(org.ID, "acme_devices", user.ID)) }},
		{"UpdateService", func() error {
			_, err := s.UpdateService(ctx, org.ID, "acme_devices", func(svc *store.CustomService) error {
				svc.Service.Name = "Acme renamed"
				return nil
			})
			return err
		}},
		{"CreateApplication", func() error {
			app = newApplication(org.ID, "acme_devices", true)
			return s.CreateApplication(ctx, app)
		}},
		{"UpdateApplication", func() error {
			_, err := s.UpdateApplication(ctx, org.ID, app.ID, func(a *store.Application) error { a.Name = "Renamed"; return nil })
			return err
		}},
		{"CreateConnection", func() error {
			conn = newConnection(org.ID, "crm", "acme_devices", user.ID)
			conn.ApplicationID = app.ID
			return s.CreateConnection(ctx, conn)
		}},
		{"UpdateConnection", func() error {
			_, err := s.UpdateConnection(ctx, org.ID, "crm", func(c *store.Connection, _ []store.Credential) error {
				c.Scopes = []string{"devices.read"}
				return nil
			})
			return err
		}},
		{"PutCredential", func() error { return s.PutCredential(ctx, newCredential(org.ID, conn.ID, user.ID)) }},
		{"UpdateCredential", func() error {
			_, err := s.UpdateCredential(ctx, org.ID, conn.ID, user.ID, func(c *store.Credential) error {
				c.AccessTokenSealed = "sealed-access-refreshed"
				return nil
			})
			return err
		}},
		{"ResealAll", func() error {
			// Other orgs' values stay as they are, so a shared database's
			// other rows are left alone.
			_, err := s.ResealAll(ctx, func(v store.SealedValue) (string, error) {
				if v.OrgID != org.ID {
					return v.Sealed, nil
				}
				return v.Sealed + "-resealed", nil
			})
			return err
		}},
		{"DeleteCredential", func() error { return s.DeleteCredential(ctx, org.ID, conn.ID, user.ID) }},
		{"DeleteConnection", func() error { return s.DeleteConnection(ctx, org.ID, "crm") }},
		{"DeleteApplication", func() error { return s.DeleteApplication(ctx, org.ID, app.ID) }},
		{"DeleteService", func() error { return s.DeleteService(ctx, org.ID, "acme_devices") }},
	}
	for _, c := range changes {
		before := generation(org.ID)
		if err := c.change(); err != nil {
			t.Fatalf("%s error = %v", c.name, err)
		}
		if after := generation(org.ID); after <= before {
			t.Errorf("generation after %s = %d, want more than %d", c.name, after, before)
		}
	}

	token = newAPIToken(org.ID, user.ID)
	if err := s.CreateAPIToken(ctx, token); err != nil {
		t.Fatalf("CreateAPIToken() error = %v", err)
	}
	before := generation(org.ID)
	if err := s.TouchAPIToken(ctx, org.ID, token.ID, at(time.Hour)); err != nil {
		t.Fatalf("TouchAPIToken() error = %v", err)
	}
	if after := generation(org.ID); after != before {
		t.Errorf("generation after TouchAPIToken = %d, want %d unchanged", after, before)
	}

	conn = newConnection(org.ID, "erp", "github", user.ID)
	if err := s.CreateConnection(ctx, conn); err != nil {
		t.Fatalf("CreateConnection() error = %v", err)
	}
	if err := s.PutCredential(ctx, newCredential(org.ID, conn.ID, user.ID)); err != nil {
		t.Fatalf("PutCredential() error = %v", err)
	}
	before = generation(org.ID)
	_, err := s.UpdateCredential(ctx, org.ID, conn.ID, user.ID, func(c *store.Credential) error {
		c.RefreshLeaseID, c.RefreshLeaseUntil = "lease-1", at(time.Minute)
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateCredential(lease) error = %v", err)
	}
	if after := generation(org.ID); after != before {
		t.Errorf("generation after claiming a refresh lease = %d, want %d unchanged", after, before)
	}

	_, err = s.UpdateUser(ctx, org.ID, user.ID, func(u *store.User) error { return errRollback })
	if !errors.Is(err, errRollback) {
		t.Fatalf("UpdateUser() error = %v, want %v", err, errRollback)
	}
	if after := generation(org.ID); after != before {
		t.Errorf("generation after a rolled-back update = %d, want %d unchanged", after, before)
	}

	if after := generation(other.ID); after != otherBefore {
		t.Errorf("other org's generation = %d, want %d unchanged", after, otherBefore)
	}
}
