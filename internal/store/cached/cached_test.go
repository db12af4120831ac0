package cached_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/cached"
	"github.com/plugboard/plugboard/internal/store/postgres"
	"github.com/plugboard/plugboard/internal/store/sqlite"
	"github.com/plugboard/plugboard/internal/testkit"
)

// countingStore counts the backend reads that the cache is meant to save.
type countingStore struct {
	store.Store
	connectionReads atomic.Int64
	generationReads atomic.Int64
}

func (c *countingStore) GetConnection(ctx context.Context, orgID, linkName string) (store.Connection, error) {
	c.connectionReads.Add(1)
	return c.Store.GetConnection(ctx, orgID, linkName)
}

func (c *countingStore) CacheGeneration(ctx context.Context, orgID string) (int64, error) {
	c.generationReads.Add(1)
	return c.Store.CacheGeneration(ctx, orgID)
}

var testTime = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func openSQLite(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("opening sqlite: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// seed creates an org with a user, a connection and its credential.
func seed(t *testing.T, st store.Store) (store.Connection, store.Credential) {
	t.Helper()
	ctx := t.Context()
	org := store.Org{ID: "org-cache", Name: "default", CreatedAt: testTime}
	user := store.User{OrgID: org.ID, ID: "user-1", Username: "alice", Role: store.RoleAdmin, CreatedAt: testTime}
	conn := store.Connection{
		OrgID: org.ID, ID: "conn-1", LinkName: "crm", Name: "CRM", ServiceKey: "github",
		Scopes: []string{"repo"}, OwnerID: user.ID, CreatedAt: testTime, UpdatedAt: testTime,
	}
	cred := store.Credential{
		OrgID: org.ID, ConnectionID: conn.ID, UserID: user.ID, Status: store.StatusConnected,
		AccessTokenSealed: "sealed-1", TokenType: "Bearer", GrantedScopes: []string{"repo"},
		Extras:      map[string]any{"nested": map[string]any{"list": []any{"a"}}},
		ConnectedAt: testTime, UpdatedAt: testTime,
	}
	if err := st.CreateOrg(ctx, org); err != nil {
		t.Fatalf("CreateOrg() error = %v", err)
	}
	if err := st.CreateUser(ctx, user); err != nil {
		t.Fatalf("CreateUser() error = %v", err)
	}
	if err := st.CreateConnection(ctx, conn); err != nil {
		t.Fatalf("CreateConnection() error = %v", err)
	}
	if err := st.PutCredential(ctx, cred); err != nil {
		t.Fatalf("PutCredential() error = %v", err)
	}
	return conn, cred
}

func TestScopeReadsGenerationOnce(t *testing.T) {
	backend := &countingStore{Store: openSQLite(t, filepath.Join(t.TempDir(), "db"))}
	conn, _ := seed(t, backend)
	st := cached.New(backend, cached.Options{})

	for range 3 {
		ctx := cached.WithScope(t.Context())
		for range 2 {
			if _, err := st.GetConnection(ctx, conn.OrgID, conn.LinkName); err != nil {
				t.Fatalf("GetConnection() error = %v", err)
			}
		}
	}
	if n := backend.connectionReads.Load(); n != 1 {
		t.Errorf("backend connection reads = %d, want 1", n)
	}
	if n := backend.generationReads.Load(); n != 3 {
		t.Errorf("generation reads = %d, want 3 (one per scope)", n)
	}
}

func TestNoScopeReadsBackend(t *testing.T) {
	backend := &countingStore{Store: openSQLite(t, filepath.Join(t.TempDir(), "db"))}
	conn, _ := seed(t, backend)
	st := cached.New(backend, cached.Options{})

	for range 2 {
		if _, err := st.GetConnection(t.Context(), conn.OrgID, conn.LinkName); err != nil {
			t.Fatalf("GetConnection() error = %v", err)
		}
	}
	if n := backend.connectionReads.Load(); n != 2 {
		t.Errorf("backend connection reads = %d, want 2", n)
	}
	if n := backend.generationReads.Load(); n != 0 {
		t.Errorf("generation reads = %d, want 0", n)
	}
}

func TestCopiesAreIndependent(t *testing.T) {
	st := cached.New(openSQLite(t, filepath.Join(t.TempDir(), "db")), cached.Options{})
	_, cred := seed(t, st)

	got, err := st.GetCredential(cached.WithScope(t.Context()), cred.OrgID, cred.ConnectionID, cred.UserID)
	if err != nil {
		t.Fatalf("GetCredential() error = %v", err)
	}
	got.GrantedScopes[0] = "changed"
	got.Extras["added"] = true
	got.Extras["nested"].(map[string]any)["list"].([]any)[0] = "changed"

	again, err := st.GetCredential(cached.WithScope(t.Context()), cred.OrgID, cred.ConnectionID, cred.UserID)
	if err != nil {
		t.Fatalf("GetCredential() again error = %v", err)
	}
	if !slices.Equal(again.GrantedScopes, []string{"repo"}) {
		t.Errorf("granted scopes = %v, want [repo]", again.GrantedScopes)
	}
	if _, ok := again.Extras["added"]; ok {
		t.Error("extras kept a key a caller added to its copy")
	}
	if v := again.Extras["nested"].(map[string]any)["list"].([]any)[0]; v != "a" {
		t.Errorf("nested extra = %v, want a", v)
	}
}

func TestNotFoundIsCachedUntilCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	first := cached.New(openSQLite(t, path), cached.Options{})
	second := cached.New(openSQLite(t, path), cached.Options{})
	conn, _ := seed(t, first)

	_, err := second.GetConnection(cached.WithScope(t.Context()), conn.OrgID, "erp")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetConnection(missing) error = %v, want ErrNotFound", err)
	}
	created := conn
	created.ID, created.LinkName = "conn-2", "erp"
	if err := first.CreateConnection(t.Context(), created); err != nil {
		t.Fatalf("CreateConnection() error = %v", err)
	}
	if _, err := second.GetConnection(cached.WithScope(t.Context()), conn.OrgID, "erp"); err != nil {
		t.Errorf("GetConnection() on the other instance after the create error = %v, want nil", err)
	}
}

func TestTouchKeepsCopy(t *testing.T) {
	backend := openSQLite(t, filepath.Join(t.TempDir(), "db"))
	conn, _ := seed(t, backend)
	token := store.APIToken{OrgID: conn.OrgID, ID: "token-1", UserID: conn.OwnerID, Name: "ci", Hash: []byte{1, 2}, CreatedAt: testTime}
	if err := backend.CreateAPIToken(t.Context(), token); err != nil {
		t.Fatalf("CreateAPIToken() error = %v", err)
	}
	st := cached.New(backend, cached.Options{})
	if _, err := st.GetAPIToken(cached.WithScope(t.Context()), token.OrgID, token.ID); err != nil {
		t.Fatalf("GetAPIToken() error = %v", err)
	}

	usedAt := testTime.Add(time.Hour)
	if err := st.TouchAPIToken(t.Context(), token.OrgID, token.ID, usedAt); err != nil {
		t.Fatalf("TouchAPIToken() error = %v", err)
	}
	got, err := st.GetAPIToken(cached.WithScope(t.Context()), token.OrgID, token.ID)
	if err != nil {
		t.Fatalf("GetAPIToken() after the touch error = %v", err)
	}
	if !got.LastUsedAt.Equal(usedAt) {
		t.Errorf("LastUsedAt = %v, want %v", got.LastUsedAt, usedAt)
	}
}

// TestPostgresInstancesInvalidate runs two cached stores on one PostgreSQL
// database: a credential changed through one is read anew through the other.
func TestPostgresInstancesInvalidate(t *testing.T) {
	databaseURL := testkit.NewPostgresDatabase(t)
	open := func() *cached.Store {
		backend, err := postgres.Open(t.Context(), databaseURL, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("opening postgres: %v", err)
		}
		t.Cleanup(func() { backend.Close() })
		return cached.New(backend, cached.Options{})
	}
	first := open()
	second := open()
	_, cred := seed(t, first)

	read := func() store.Credential {
		t.Helper()
		got, err := second.GetCredential(cached.WithScope(t.Context()), cred.OrgID, cred.ConnectionID, cred.UserID)
		if err != nil {
			t.Fatalf("GetCredential() error = %v", err)
		}
		return got
	}
	if got := read(); got.AccessTokenSealed != "sealed-1" {
		t.Fatalf("access token = %q, want sealed-1", got.AccessTokenSealed)
	}
	_, err := first.UpdateCredential(t.Context(), cred.OrgID, cred.ConnectionID, cred.UserID, func(c *store.Credential) error {
		c.AccessTokenSealed = "sealed-2"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateCredential() error = %v", err)
	}
	if got := read(); got.AccessTokenSealed != "sealed-2" {
		t.Errorf("access token on the other instance = %q, want sealed-2", got.AccessTokenSealed)
	}

	if err := first.DeleteCredential(t.Context(), cred.OrgID, cred.ConnectionID, cred.UserID); err != nil {
		t.Fatalf("DeleteCredential() error = %v", err)
	}
	_, err = second.GetCredential(cached.WithScope(t.Context()), cred.OrgID, cred.ConnectionID, cred.UserID)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCredential() after the delete error = %v, want ErrNotFound", err)
	}
}

// gatedStore, once armed, delays the result of its next generation read
// until release is closed.
type gatedStore struct {
	store.Store
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
	calls   atomic.Int64
}

func (g *gatedStore) CacheGeneration(ctx context.Context, orgID string) (int64, error) {
	g.calls.Add(1)
	generation, err := g.Store.CacheGeneration(ctx, orgID)
	if g.armed.CompareAndSwap(true, false) {
		close(g.entered)
		<-g.release
	}
	return generation, err
}

// TestSharedReadStartsAfterRequest checks that a request arriving while a
// generation read runs waits for a read that starts after it, so it reads a
// change committed before it arrived.
func TestSharedReadStartsAfterRequest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	writer := openSQLite(t, path)
	conn, _ := seed(t, writer)
	gated := &gatedStore{Store: openSQLite(t, path), entered: make(chan struct{}), release: make(chan struct{})}
	st := cached.New(gated, cached.Options{})
	if _, err := st.GetConnection(cached.WithScope(t.Context()), conn.OrgID, conn.LinkName); err != nil {
		t.Fatalf("GetConnection() error = %v", err)
	}
	gated.armed.Store(true)

	// The early request reads the generation before the rename and is
	// held before it uses it.
	early := make(chan store.Connection, 1)
	go func() {
		got, err := st.GetConnection(cached.WithScope(t.Context()), conn.OrgID, conn.LinkName)
		if err != nil {
			t.Errorf("GetConnection() of the early request error = %v", err)
		}
		early <- got
	}()
	<-gated.entered
	_, err := writer.UpdateConnection(t.Context(), conn.OrgID, conn.LinkName, func(c *store.Connection, _ []store.Credential) error {
		c.Name = "CRM renamed"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateConnection() error = %v", err)
	}
	late := make(chan store.Connection, 1)
	go func() {
		got, err := st.GetConnection(cached.WithScope(t.Context()), conn.OrgID, conn.LinkName)
		if err != nil {
			t.Errorf("GetConnection() of the late request error = %v", err)
		}
		late <- got
	}()
	// The late request is waiting for the running read by now. The test
	// still passes if it arrives after the release.
	time.Sleep(50 * time.Millisecond)
	close(gated.release)

	// The early request may read either name: its generation predates the
	// rename, but the late request may have cached the renamed copy first.
	<-early
	if got := <-late; got.Name != "CRM renamed" {
		t.Errorf("late request read name %q, want the renamed one", got.Name)
	}
	if n := gated.calls.Load(); n != 3 {
		t.Errorf("generation reads = %d, want 3", n)
	}
}

// TestStalenessWindow checks the reads of a Store with Staleness set. A
// request reuses a recent generation read instead of making its own. A
// change committed by another instance shows once the window has passed,
// and a write through the Store itself shows at once.
func TestStalenessWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	other := openSQLite(t, path)
	conn, _ := seed(t, other)
	backend := &countingStore{Store: openSQLite(t, path)}
	const staleness = 200 * time.Millisecond
	st := cached.New(backend, cached.Options{Staleness: staleness})
	name := func() string {
		t.Helper()
		got, err := st.GetConnection(cached.WithScope(t.Context()), conn.OrgID, conn.LinkName)
		if err != nil {
			t.Fatalf("GetConnection() error = %v", err)
		}
		return got.Name
	}
	rename := func(s store.Store, to string) {
		t.Helper()
		_, err := s.UpdateConnection(t.Context(), conn.OrgID, conn.LinkName, func(c *store.Connection, _ []store.Credential) error {
			c.Name = to
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateConnection() error = %v", err)
		}
	}

	start := time.Now()
	name()
	rename(other, "renamed elsewhere")
	got := name()
	if time.Since(start) < staleness {
		// Both requests fell inside one window: the second took the first's read.
		if n := backend.generationReads.Load(); n != 1 {
			t.Errorf("generation reads within the window = %d, want 1", n)
		}
		if got != "CRM" {
			t.Errorf("name within the window = %q, want the copy's CRM", got)
		}
	}
	time.Sleep(staleness)
	if got := name(); got != "renamed elsewhere" {
		t.Errorf("name after the window = %q, want the other instance's change", got)
	}

	reads := backend.generationReads.Load()
	rename(st, "renamed here")
	if got := name(); got != "renamed here" {
		t.Errorf("name right after this instance's write = %q, want renamed here", got)
	}
	if n := backend.generationReads.Load(); n != reads+1 {
		t.Errorf("generation reads after this instance's write = %d, want %d", n, reads+1)
	}
}
