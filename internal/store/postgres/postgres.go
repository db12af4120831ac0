// Package postgres implements the storage port on PostgreSQL through
// github.com/jackc/pgx/v5 and its connection pool, for several instances
// that share one database.
//
// The schema mirrors the SQLite backend's. Times are stored as fixed-width
// UTC text, so they keep nanoseconds and text order is time order. Update
// methods lock the row they change with SELECT ... FOR UPDATE, and
// ClaimDeliveries skips rows another claim has locked, so instances never
// lease a delivery twice.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/plugboard/plugboard/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLockKey is the pg_advisory_xact_lock key that serializes
// migrations, so instances starting at once apply each one exactly once.
// It is an arbitrary constant: the bytes of "plugboar" as a big-endian
// int64.
const migrationLockKey int64 = 0x706c7567626f6172

// SQLSTATE codes of the constraint violations the store translates.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// Store is the PostgreSQL backend.
type Store struct {
	pool   *pgxpool.Pool
	logger *slog.Logger
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at databaseURL, a postgres:// URL or a
// keyword/value connection string as libpq accepts, checks that it
// responds and applies pending migrations.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger) (*Store, error) {
	// pgx redacts the password in the errors of ParseConfig and connect.
	config, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing postgres database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, config)
	if err != nil {
		return nil, fmt.Errorf("opening postgres connection pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		// pgx's error names the user, database and host.
		return nil, fmt.Errorf("connecting to postgres: %w", err)
	}
	s := &Store{pool: pool, logger: logger}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that the database responds.
func (s *Store) Ping(ctx context.Context) error {
	return s.pool.Ping(ctx)
}

// Close closes every connection of the pool. It waits for connections in
// use to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("listing migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql")
		if err := s.applyMigration(ctx, name, version); err != nil {
			return err
		}
	}
	return nil
}

// applyMigration applies one migration in its own transaction, under the
// advisory lock that other instances take too, unless schema_migrations
// records it already.
func (s *Store) applyMigration(ctx context.Context, name, version string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return fmt.Errorf("reading migration %s: %w", name, err)
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
			return fmt.Errorf("locking migrations: %w", err)
		}
		// Created under the lock, because two concurrent CREATE TABLE IF
		// NOT EXISTS statements can both try to create the table.
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version TEXT COLLATE "C" NOT NULL PRIMARY KEY,
			applied_at TEXT COLLATE "C" NOT NULL
				DEFAULT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
		)`); err != nil {
			return fmt.Errorf("creating schema_migrations: %w", err)
		}
		var applied int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, version).Scan(&applied); err != nil {
			return fmt.Errorf("checking migration %s: %w", version, err)
		}
		if applied > 0 {
			return nil
		}
		// Exec without arguments uses the simple protocol, which runs
		// several statements in one call.
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("applying migration %s: %w", version, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
			return fmt.Errorf("recording migration %s: %w", version, err)
		}
		s.logger.Info("applied migration", "version", version)
		return nil
	})
}

// querier is the query API that the pool and a transaction share.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in a READ COMMITTED transaction and commits it when fn
// returns nil. Otherwise it rolls back and returns fn's error unchanged.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		// A failed rollback closes the connection, which ends the
		// transaction on the server as well.
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	return nil
}

// hasCode reports whether err carries the PostgreSQL error code code.
func hasCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// isUniqueViolation reports whether err is a PRIMARY KEY or UNIQUE
// constraint failure.
func isUniqueViolation(err error) bool {
	return hasCode(err, codeUniqueViolation)
}

// isForeignKeyViolation reports whether err is a FOREIGN KEY constraint
// failure.
func isForeignKeyViolation(err error) bool {
	return hasCode(err, codeForeignKeyViolation)
}

// notFound wraps store.ErrNotFound with the record's description when err
// is pgx.ErrNoRows.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf(format+": %w", append(args, store.ErrNotFound)...)
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

// queryArgs collects the arguments of a query built piece by piece.
type queryArgs []any

// add appends v and returns its placeholder, such as "$3".
func (a *queryArgs) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// limitArg returns the LIMIT argument for limit. SQLite reads a negative
// LIMIT as no limit, and PostgreSQL rejects one but reads NULL as no limit.
func limitArg(limit int) any {
	if limit < 0 {
		return nil
	}
	return limit
}

// collectRows reads every row with scan and closes rows.
func collectRows[T any](rows pgx.Rows, scan func(pgx.Row) (T, error), what string) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	return out, nil
}
