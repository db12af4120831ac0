package benchkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
)

// CreatePostgresDatabase creates a database with a random name on the server at
// serverURL and returns its URL and a function that drops it.
func CreatePostgresDatabase(ctx context.Context, serverURL string) (string, func(), error) {
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("connecting to the server URL: %w", err)
	}
	var random [6]byte
	_, _ = rand.Read(random[:])
	name := "plugboard_bench_" + hex.EncodeToString(random[:])
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close(ctx)
		return "", nil, fmt.Errorf("creating database %s: %w", name, err)
	}
	parsed, err := url.Parse(serverURL)
	if err != nil {
		admin.Close(ctx)
		return "", nil, fmt.Errorf("parsing the server URL: %w", err)
	}
	parsed.Path = "/" + name
	drop := func() {
		dropCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.Exec(dropCtx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "dropping database %s failed: %v\n", name, err)
		}
		admin.Close(dropCtx)
	}
	return parsed.String(), drop, nil
}
