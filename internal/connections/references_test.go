package connections_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

// deletingStore runs deleteParent just before each CreateConnection and
// CreateApplication, as a concurrent request can delete a record between
// the manager's checks and the insert.
type deletingStore struct {
	*sqlite.Store
	deleteParent func(ctx context.Context, orgID string) error
}

func (s deletingStore) CreateConnection(ctx context.Context, conn store.Connection) error {
	if err := s.deleteParent(ctx, conn.OrgID); err != nil {
		return err
	}
	return s.Store.CreateConnection(ctx, conn)
}

func (s deletingStore) CreateApplication(ctx context.Context, app store.Application) error {
	if err := s.deleteParent(ctx, app.OrgID); err != nil {
		return err
	}
	return s.Store.CreateApplication(ctx, app)
}

// newDeletingManager returns a manager on f's database that runs
// deleteParent before each insert of a connection or application.
func newDeletingManager(f *fixture, deleteParent func(ctx context.Context, orgID string) error) *connections.Manager {
	return connections.New(connections.Options{
		Store:      deletingStore{Store: f.store, deleteParent: deleteParent},
		Keyring:    f.keyring,
		PublicURL:  testPublicURL + "/",
		HTTPClient: http.DefaultClient,
		Logger:     slog.New(slog.DiscardHandler),
		Now:        f.clock.Now,
		Events:     f.events,
		Audit:      f.audit,
	})
}

// deleteService returns a deleteParent function that deletes the custom
// service key.
func deleteService(f *fixture, key string) func(ctx context.Context, orgID string) error {
	return func(ctx context.Context, orgID string) error {
		return f.store.DeleteService(ctx, orgID, key)
	}
}

func TestCreateConnectionApplicationDeleted(t *testing.T) {
	f := newFixture(t)
	manager := newDeletingManager(f, func(ctx context.Context, orgID string) error {
		return f.store.DeleteApplication(ctx, orgID, f.application.ID)
	})

	_, err := manager.CreateConnection(f.ctx, f.developer, connectionInput("CRM", "devices.read"))
	p := f.wantProblem(t, err, http.StatusConflict, "application_deleted")
	if !strings.Contains(p.Detail, f.application.ID) {
		t.Errorf("problem detail = %q, want the application ID %q", p.Detail, f.application.ID)
	}
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("error = %v, want it to wrap store.ErrNotFound", err)
	}
	f.wantNoConnections(t)
}

func TestCreateConnectionServiceDeleted(t *testing.T) {
	f := newFixture(t)
	// A basic service needs no application, which DeleteService would
	// count as a use, so the service can be deleted.
	f.createService(t, catalog.Service{Key: "acme_basic", Name: "Acme basic", AuthType: catalog.AuthBasic,
		APIBaseURL: "https://api.acme.example"})
	manager := newDeletingManager(f, deleteService(f, "acme_basic"))

	name := "Acme basic"
	_, err := manager.CreateConnection(f.ctx, f.developer, connections.ConnectionInput{Name: &name, Service: "acme_basic"})
	p := f.wantProblem(t, err, http.StatusConflict, "service_deleted")
	if !strings.Contains(p.Detail, `"acme_basic"`) {
		t.Errorf("problem detail = %q, want the service key %q", p.Detail, "acme_basic")
	}
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("error = %v, want it to wrap store.ErrNotFound", err)
	}
	f.wantNoConnections(t)
}

func TestCreateApplicationServiceDeleted(t *testing.T) {
	f := newFixture(t)
	f.createService(t, f.oauthService("acme_other"))
	manager := newDeletingManager(f, deleteService(f, "acme_other"))

	name, clientID := "Staging", "client-staging"
	_, err := manager.CreateApplication(f.ctx, f.admin, connections.ApplicationInput{
		Service: "acme_other", Name: &name, ClientID: &clientID,
	})
	p := f.wantProblem(t, err, http.StatusConflict, "service_deleted")
	if !strings.Contains(p.Detail, `"acme_other"`) {
		t.Errorf("problem detail = %q, want the service key %q", p.Detail, "acme_other")
	}
	apps, err := f.store.ListApplications(f.ctx, testOrgID, "acme_other")
	if err != nil {
		t.Fatalf("ListApplications() error = %v", err)
	}
	if len(apps) != 0 {
		t.Errorf("applications after the failed create = %d, want none", len(apps))
	}
}

func TestCreateConnectionCustomServiceNotStored(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("CRM", "devices.read"))
	if conn.RequireCustomService {
		t.Error("CreateConnection().RequireCustomService = true, want false as a later read returns it")
	}
	app := f.createApplication(t, testServiceKey, "Staging", false)
	if app.RequireCustomService {
		t.Error("CreateApplication().RequireCustomService = true, want false as a later read returns it")
	}
}

func TestReferenceProblem(t *testing.T) {
	actor := connections.Actor{OrgID: testOrgID, UserID: "u-dev", Username: "dev"}
	tests := []struct {
		name       string
		err        error
		link       string
		wantCode   string
		wantDetail string
	}{
		{"application", &store.ReferenceError{Kind: "application", ID: "app-1"}, "", "application_deleted", `application "app-1" was deleted`},
		{"connection by link", &store.ReferenceError{Kind: "connection", ID: "c-1"}, "crm", "connection_deleted", `connection "crm" was deleted`},
		{"connection by ID", &store.ReferenceError{Kind: "connection", ID: "c-1"}, "", "connection_deleted", `connection "c-1" was deleted`},
		{"service", &store.ReferenceError{Kind: "service", ID: "acme"}, "", "service_deleted", `custom service "acme" was deleted`},
		{"actor", &store.ReferenceError{Kind: "user", ID: "u-dev"}, "", "user_deleted", `user "dev" was deleted`},
		{"other user", &store.ReferenceError{Kind: "user", ID: "u-other"}, "", "user_deleted", `user "u-other" was deleted`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := connections.ReferenceProblem(tt.err, actor, tt.link)
			p, ok := problem.As(err)
			if !ok {
				t.Fatalf("ReferenceProblem() = %v, want a *problem.Error", err)
			}
			if p.Status != http.StatusConflict || p.Code != tt.wantCode {
				t.Errorf("problem = %d %s, want %d %s", p.Status, p.Code, http.StatusConflict, tt.wantCode)
			}
			if !strings.HasPrefix(p.Detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to start with %q", p.Detail, tt.wantDetail)
			}
		})
	}
	if err := connections.ReferenceProblem(store.ErrNotFound, actor, ""); err != nil {
		t.Errorf("ReferenceProblem(ErrNotFound) = %v, want nil", err)
	}
}

// wantNoConnections checks that the fixture's org has no connections, as
// after a failed create.
func (f *fixture) wantNoConnections(t *testing.T) {
	t.Helper()
	conns, err := f.store.ListConnections(f.ctx, testOrgID, store.ListConnectionsOptions{})
	if err != nil {
		t.Fatalf("ListConnections() error = %v", err)
	}
	if len(conns) != 0 {
		t.Errorf("connections after the failed create = %v, want none", linkNamesOf(conns))
	}
}

func linkNamesOf(conns []store.Connection) []string {
	var names []string
	for _, c := range conns {
		names = append(names, c.LinkName)
	}
	return names
}
