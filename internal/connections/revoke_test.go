package connections_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/store"
)

func TestRevoke(t *testing.T) {
	tests := []struct {
		name         string
		authMethod   string
		revokeStatus int
		wantRevoked  bool
	}{
		{"basic auth accepted", catalog.ClientSecretBasic, http.StatusOK, true},
		{"post auth accepted", catalog.ClientSecretPost, http.StatusOK, true},
		{"provider fails", catalog.ClientSecretBasic, http.StatusInternalServerError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(svc *catalog.Service) { svc.OAuth2.TokenAuthMethod = tt.authMethod })
			f.provider.setRevokeStatus(tt.revokeStatus)
			conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
			f.connect(t, f.developer, conn.LinkName)

			result, err := f.manager.Revoke(f.ctx, f.developer, conn.LinkName)
			if err != nil {
				t.Fatalf("Revoke: %v", err)
			}

			if result.ProviderRevoked != tt.wantRevoked {
				t.Errorf("ProviderRevoked = %t, want %t", result.ProviderRevoked, tt.wantRevoked)
			}
			requests := f.provider.revocations()
			want := []struct{ token, hint string }{
				{"rt-secret-1", "refresh_token"},
				{"at-secret-1", "access_token"},
			}
			if len(requests) != len(want) {
				t.Fatalf("provider received %d revocation requests, want %d", len(requests), len(want))
			}
			for i, r := range requests {
				if got := r.form.Get("token"); got != want[i].token {
					t.Errorf("revocation %d token = %q, want %q", i+1, got, want[i].token)
				}
				if got := r.form.Get("token_type_hint"); got != want[i].hint {
					t.Errorf("revocation %d token_type_hint = %q, want %q", i+1, got, want[i].hint)
				}
				if r.authMethod != tt.authMethod || r.clientID != testClientID || r.clientSecret != testClientSecret {
					t.Errorf("revocation %d client authentication = %s %q, want %s %q with the client secret",
						i+1, r.authMethod, r.clientID, tt.authMethod, testClientID)
				}
			}
			_, err = f.store.GetCredential(f.ctx, testOrgID, conn.ID, f.developer.UserID)
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetCredential after revoke: error = %v, want ErrNotFound", err)
			}
			summary, err := f.manager.Describe(f.ctx, f.developer, conn)
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			if summary.Status != store.StatusNotConnected {
				t.Errorf("status after revoke = %q, want %q", summary.Status, store.StatusNotConnected)
			}
		})
	}
}

func TestRevokeWithoutRevocationEndpoint(t *testing.T) {
	f := newFixture(t, func(svc *catalog.Service) { svc.OAuth2.RevocationURL = "" })
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
	f.connect(t, f.developer, conn.LinkName)

	result, err := f.manager.Revoke(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatalf("Revoke: %v", err)
	}

	if result.ProviderRevoked {
		t.Errorf("ProviderRevoked = true, want false without a revocation endpoint")
	}
	if n := len(f.provider.revocations()); n != 0 {
		t.Errorf("provider received %d revocation requests, want 0", n)
	}
	_, err = f.store.GetCredential(f.ctx, testOrgID, conn.ID, f.developer.UserID)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCredential after revoke: error = %v, want ErrNotFound", err)
	}
}

func TestRevokeSharedConnection(t *testing.T) {
	f := newFixture(t)
	in := connectionInput("Shared devices")
	in.UseLoginUserCredentials = ptr(true)
	conn := f.createConnection(t, f.developer, in)
	f.connect(t, f.developer, conn.LinkName)
	f.connect(t, f.otherDeveloper, conn.LinkName)

	if _, err := f.manager.Revoke(f.ctx, f.otherDeveloper, conn.LinkName); err != nil {
		t.Fatalf("Revoke: %v", err)
	}

	_, err := f.store.GetCredential(f.ctx, testOrgID, conn.ID, f.otherDeveloper.UserID)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoking member's credential: error = %v, want ErrNotFound", err)
	}
	owner := f.credential(t, conn, f.developer.UserID)
	if owner.Status != store.StatusConnected {
		t.Errorf("owner's credential status = %q, want %q", owner.Status, store.StatusConnected)
	}
}

func TestRevokeNotConnected(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))

	_, err := f.manager.Revoke(f.ctx, f.developer, conn.LinkName)

	f.wantProblem(t, err, http.StatusConflict, "connection_not_connected")
}
