package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresURLEnv names the environment variable with the URL of a
// PostgreSQL server for tests, such as
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
const PostgresURLEnv = "PLUGBOARD_TEST_POSTGRES_URL"

// NewPostgresDatabase creates a database with a random name on the server
// that PostgresURLEnv names and returns its URL; the database is dropped
// when the test ends. Without the variable the test is skipped with a
// message saying how to run it.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	serverURL := os.Getenv(PostgresURLEnv)
	if serverURL == "" {
		t.Skipf("set %s to a PostgreSQL server URL to run this test; it creates and drops its own database there", PostgresURLEnv)
	}
	parsed, err := url.Parse(serverURL)
	if err != nil {
		t.Fatalf("parsing %s: %v", PostgresURLEnv, err)
	}
	var random [6]byte
	_, _ = rand.Read(random[:])
	name := "plugboard_test_" + hex.EncodeToString(random[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Fatalf("connecting to the PostgreSQL test server: %v", err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			t.Errorf("connecting to drop database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		_, _ = admin.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
		if _, err := admin.Exec(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	parsed.Path = "/" + name
	return parsed.String()
}
