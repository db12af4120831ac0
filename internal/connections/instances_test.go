package connections_test

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"testing"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store/cached"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

// instance returns a second Manager on the fixture's database, as another
// plugboard process has it: its own SQLite handle behind its own cache.
func (f *fixture) instance(t *testing.T) *connections.Manager {
	t.Helper()
	db, err := sqlite.Open(f.ctx, f.dbPath, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("opening a second store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return connections.New(connections.Options{
		Store:      cached.New(db, cached.Options{}),
		Keyring:    f.keyring,
		PublicURL:  testPublicURL,
		HTTPClient: &http.Client{},
		Now:        f.clock.Now,
	})
}

// request returns a context as an API request has it, with its own cache
// scope.
func request(ctx context.Context) context.Context {
	return cached.WithScope(ctx)
}

func tokenValue(t *testing.T, m *connections.Manager, actor connections.Actor, link string) string {
	t.Helper()
	token, err := m.Token(request(context.Background()), actor, link)
	if err != nil {
		t.Fatalf("Token(%q) error = %v", link, err)
	}
	return token.Value.Reveal()
}

func TestInstancesSeeRefreshedCredential(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.admin, connectionInput("Acme devices", "devices.read"))
	f.connect(t, f.admin, conn.LinkName)
	first, second := f.instance(t), f.instance(t)

	// Both instances read the token once, so each keeps a copy.
	for i, m := range []*connections.Manager{first, second} {
		if got := tokenValue(t, m, f.admin, conn.LinkName); got != "at-secret-1" {
			t.Fatalf("instance %d: token = %q, want at-secret-1", i+1, got)
		}
	}

	// An upstream rejects the token on the first instance, which refreshes
	// it before it expires.
	call, err := first.PrepareCall(request(f.ctx), f.admin, conn.LinkName)
	if err != nil {
		t.Fatalf("PrepareCall() error = %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://api.acme.example/v1/devices", nil)
	if err := call.Authorizer.Authorize(f.ctx, req, false); err != nil {
		t.Fatalf("Authorize() error = %v", err)
	}
	if err := call.Authorizer.Authorize(f.ctx, req, true); err != nil {
		t.Fatalf("Authorize(retry) error = %v", err)
	}
	if got, want := req.Header.Get("Authorization"), "Bearer at-secret-2"; got != want {
		t.Fatalf("retried request has Authorization %q, want %q", got, want)
	}

	if got := tokenValue(t, second, f.admin, conn.LinkName); got != "at-secret-2" {
		t.Errorf("second instance after the refresh: token = %q, want at-secret-2", got)
	}
	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != 1 {
		t.Errorf("provider received %d refresh requests, want 1", n)
	}
}

func TestInstancesSeeRevokedCredential(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.admin, connectionInput("Acme devices", "devices.read"))
	f.connect(t, f.admin, conn.LinkName)
	first, second := f.instance(t), f.instance(t)
	if got := tokenValue(t, second, f.admin, conn.LinkName); got != "at-secret-1" {
		t.Fatalf("token = %q, want at-secret-1", got)
	}

	if _, err := first.Revoke(request(f.ctx), f.admin, conn.LinkName); err != nil {
		t.Fatalf("Revoke() error = %v", err)
	}

	_, err := second.Token(request(f.ctx), f.admin, conn.LinkName)
	f.wantProblem(t, err, http.StatusConflict, "connection_not_connected")
	_, err = second.PrepareCall(request(f.ctx), f.admin, conn.LinkName)
	f.wantProblem(t, err, http.StatusConflict, "connection_not_connected")
}

func TestInstancesSeeChangedScopes(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.admin, connectionInput("Acme devices", "devices.read"))
	first, second := f.instance(t), f.instance(t)
	got, err := second.Connection(request(f.ctx), testOrgID, conn.LinkName)
	if err != nil {
		t.Fatalf("Connection() error = %v", err)
	}
	if want := []string{"devices.read"}; !slices.Equal(got.Scopes, want) {
		t.Fatalf("scopes = %v, want %v", got.Scopes, want)
	}

	scopes := []string{"devices.read", "devices.write"}
	if _, err := first.UpdateConnection(request(f.ctx), f.admin, conn.LinkName, connections.ConnectionInput{Scopes: &scopes}); err != nil {
		t.Fatalf("UpdateConnection() error = %v", err)
	}

	got, err = second.Connection(request(f.ctx), testOrgID, conn.LinkName)
	if err != nil {
		t.Fatalf("Connection() after the change error = %v", err)
	}
	if !slices.Equal(got.Scopes, scopes) {
		t.Errorf("second instance's scopes after the change = %v, want %v", got.Scopes, scopes)
	}
}

// TestInstanceScopeSeesOwnWrite checks that a request that writes through
// its instance reads its own write afterwards, although it read the org's
// generation before the write.
func TestInstanceScopeSeesOwnWrite(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.admin, connectionInput("Acme devices", "devices.read"))
	m := f.instance(t)
	ctx := request(f.ctx)
	if _, err := m.Connection(ctx, testOrgID, conn.LinkName); err != nil {
		t.Fatalf("Connection() error = %v", err)
	}
	name := "Acme renamed"
	if _, err := m.UpdateConnection(ctx, f.admin, conn.LinkName, connections.ConnectionInput{Name: &name}); err != nil {
		t.Fatalf("UpdateConnection() error = %v", err)
	}
	got, err := m.Connection(ctx, testOrgID, conn.LinkName)
	if err != nil {
		t.Fatalf("Connection() after the change error = %v", err)
	}
	if got.Name != name {
		t.Errorf("name read in the same scope = %q, want %q", got.Name, name)
	}
}
