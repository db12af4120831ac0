package connections_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
)

func TestUpdateServiceWhileConnected(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*catalog.Service)
		guarded bool
	}{
		{"api base URL", func(s *catalog.Service) { s.APIBaseURL = "http://127.0.0.1:1/elsewhere" }, true},
		{"allowed hosts", func(s *catalog.Service) { s.AllowedHosts = []string{"files.acme.example"} }, true},
		{"token URL", func(s *catalog.Service) { s.OAuth2.TokenURL = "http://127.0.0.1:1/token" }, true},
		{"revocation URL", func(s *catalog.Service) { s.OAuth2.RevocationURL = "" }, true},
		{"client authentication", func(s *catalog.Service) { s.OAuth2.TokenAuthMethod = catalog.ClientSecretPost }, true},
		{"name", func(s *catalog.Service) { s.Name = "Renamed" }, false},
		{"description", func(s *catalog.Service) { s.Description = "Devices of the plant" }, false},
		{"added scope", func(s *catalog.Service) { s.Scopes = append(s.Scopes, catalog.Scope{Name: "devices.admin"}) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			conn := f.createConnection(t, f.developer, connectionInput("Devices", "devices.read"))
			f.connect(t, f.developer, conn.LinkName)

			_, err := f.manager.UpdateService(f.ctx, f.otherDeveloper, testServiceKey, func(s *catalog.Service) error {
				tt.change(s)
				return nil
			})
			if !tt.guarded {
				if err != nil {
					t.Fatalf("UpdateService() error = %v, want nil", err)
				}
				return
			}
			p := f.wantProblem(t, err, http.StatusConflict, "service_connected")
			if named, _ := p.Extra["connections"].([]string); len(named) != 1 || named[0] != conn.LinkName {
				t.Errorf("refusal names connections %v, want [%s]", p.Extra["connections"], conn.LinkName)
			}

			if _, err := f.manager.Revoke(f.ctx, f.developer, conn.LinkName); err != nil {
				t.Fatalf("Revoke() error = %v", err)
			}
			if _, err := f.manager.UpdateService(f.ctx, f.otherDeveloper, testServiceKey, func(s *catalog.Service) error {
				tt.change(s)
				return nil
			}); err != nil {
				t.Errorf("UpdateService() after revoke error = %v, want nil", err)
			}
		})
	}
}

func TestServiceChangeDuringAuthorization(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Devices", "devices.read"))
	query := f.authorize(t, f.developer, conn.LinkName, "")

	// Another member points the token endpoint elsewhere while the flow is
	// at the provider; no credential is connected yet, so the edit passes.
	f.clock.Advance(time.Second)
	if _, err := f.manager.UpdateService(f.ctx, f.otherDeveloper, testServiceKey, func(s *catalog.Service) error {
		s.OAuth2.TokenURL = "http://127.0.0.1:1/token"
		return nil
	}); err != nil {
		t.Fatalf("UpdateService() error = %v", err)
	}

	_, err := f.manager.CompleteAuthorization(f.ctx, query.Get("state"), "code-0123456789", "", "", nil)
	f.wantProblem(t, err, http.StatusConflict, "service_changed")
	if n := len(f.provider.tokenRequestsOf("authorization_code")); n != 0 {
		t.Errorf("provider received %d code exchanges, want 0", n)
	}
}
