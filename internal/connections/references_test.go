package connections_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

// deletingStore deletes an application just before each CreateConnection,
// as a concurrent request can between the manager's checks and the insert.
type deletingStore struct {
	*sqlite.Store
	applicationID string
}

func (s deletingStore) CreateConnection(ctx context.Context, conn store.Connection) error {
	if err := s.Store.DeleteApplication(ctx, conn.OrgID, s.applicationID); err != nil {
		return err
	}
	return s.Store.CreateConnection(ctx, conn)
}

func TestCreateConnectionApplicationDeleted(t *testing.T) {
	f := newFixture(t)
	manager := connections.New(connections.Options{
		Store:      deletingStore{Store: f.store, applicationID: f.application.ID},
		Keyring:    f.keyring,
		PublicURL:  testPublicURL + "/",
		HTTPClient: http.DefaultClient,
		Logger:     slog.New(slog.DiscardHandler),
		Now:        f.clock.Now,
		Events:     f.events,
		Audit:      f.audit,
	})

	_, err := manager.CreateConnection(f.ctx, f.developer, connectionInput("CRM", "devices.read"))
	p := f.wantProblem(t, err, http.StatusConflict, "application_deleted")
	if !strings.Contains(p.Detail, f.application.ID) {
		t.Errorf("problem detail = %q, want the application ID %q", p.Detail, f.application.ID)
	}
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("error = %v, want it to wrap store.ErrNotFound", err)
	}
	conns, err := f.store.ListConnections(f.ctx, testOrgID, store.ListConnectionsOptions{})
	if err != nil {
		t.Fatalf("ListConnections() error = %v", err)
	}
	if len(conns) != 0 {
		t.Errorf("connections after the failed create = %v, want none", linkNamesOf(conns))
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

func linkNamesOf(conns []store.Connection) []string {
	var names []string
	for _, c := range conns {
		names = append(names, c.LinkName)
	}
	return names
}
