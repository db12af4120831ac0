package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/postgres"
	"github.com/plugboard/plugboard/internal/store/storetest"
	"github.com/plugboard/plugboard/internal/testkit"
)

// testURLEnv names the server the tests run against. Each test creates its
// own database there and drops it at the end.
const testURLEnv = testkit.PostgresURLEnv

func TestConformance(t *testing.T) {
	databaseURL := newDatabase(t)
	// Every group opens its own Store on the one database, which also
	// checks that Open skips migrations that are applied already.
	storetest.Run(t, func(t *testing.T) store.Store {
		return openStore(t, databaseURL)
	})
}

func TestOpenConcurrently(t *testing.T) {
	const instances = 4
	databaseURL := newDatabase(t)

	stores := make([]*postgres.Store, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	for i := range instances {
		wg.Go(func() {
			stores[i], errs[i] = postgres.Open(t.Context(), databaseURL, slog.New(slog.DiscardHandler))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open() in instance %d error = %v", i, err)
			continue
		}
		t.Cleanup(func() { stores[i].Close() })
	}

	conn := connect(t, databaseURL)
	defer conn.Close(context.Background())
	var got, distinct int
	err := conn.QueryRow(t.Context(), `SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_migrations`).Scan(&got, &distinct)
	if err != nil {
		t.Fatalf("counting applied migrations error = %v", err)
	}
	files, globErr := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if globErr != nil || len(files) == 0 {
		t.Fatalf("listing migrations/*.sql: %d files, error %v", len(files), globErr)
	}
	want := len(files)
	if got != want || distinct != want {
		t.Errorf("schema_migrations has %d rows of %d versions, want %d of %d", got, distinct, want, want)
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	parsed := parseServerURL(t)
	// The test server accepts the user with any password or none, and
	// the database does not exist, so Open fails after sending the password.
	parsed.User = url.UserPassword(parsed.User.Username(), "secret-password")
	parsed.Path = "/plugboard_missing_" + randomHex(6)

	s, err := postgres.Open(t.Context(), parsed.String(), slog.New(slog.DiscardHandler))
	if err == nil {
		s.Close()
		t.Fatal("Open() of a missing database error = nil, want an error")
	}
	if got := err.Error(); strings.Contains(got, "secret-password") {
		t.Errorf("Open() error = %q, which contains the password", got)
	}
}

// serverURL returns the URL of the test server, or skips the test when
// none is configured.
func serverURL(t *testing.T) string {
	t.Helper()
	serverURL := os.Getenv(testURLEnv)
	if serverURL == "" {
		t.Skipf("set %s to a PostgreSQL server URL to run this test, such as "+
			"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable; "+
			"the test creates and drops its own database there", testURLEnv)
	}
	return serverURL
}

// newDatabase creates a database of its own on the test server.
func newDatabase(t *testing.T) string {
	return testkit.NewPostgresDatabase(t)
}

// parseServerURL parses the test server's URL, or skips the test when none
// is configured.
func parseServerURL(t *testing.T) *url.URL {
	t.Helper()
	serverURL := serverURL(t)
	parsed, err := url.Parse(serverURL)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got an invalid one (parse error: %v)", testURLEnv, err)
	}
	return parsed
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func connect(t *testing.T, databaseURL string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), databaseURL)
	if err != nil {
		t.Fatalf("connecting to the test server error = %v", err)
	}
	return conn
}

func openStore(t *testing.T, databaseURL string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), databaseURL, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close() error = %v", err)
		}
	})
	return s
}
