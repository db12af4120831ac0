// Package sqlite implements the storage port on SQLite through the pure Go
// driver modernc.org/sqlite, so the binary needs no C toolchain.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/plugboard/plugboard/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Connection pool settings: how many idle connections stay open, and for
// how long an unused one stays.
const (
	maxIdleConns    = 64
	connMaxIdleTime = 5 * time.Minute
)

// Store is the SQLite backend.
type Store struct {
	db     *sql.DB
	logger *slog.Logger
	// statements caches the prepared statements of single-row reads. Calls
	// through connections run several per request, and preparing them
	// anew each time cost a quarter of the proxy's CPU.
	statements sync.Map // query text -> *sql.Stmt
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the database file at path and applies pending
// migrations. Every transaction begins IMMEDIATE, so a locked
// read-modify-write never fails half way with SQLITE_BUSY, and writers wait
// up to 10 seconds for one another.
func Open(ctx context.Context, path string, logger *slog.Logger) (*Store, error) {
	query := url.Values{}
	query.Add("_pragma", "busy_timeout(10000)")
	query.Add("_pragma", "journal_mode(WAL)")
	query.Add("_pragma", "foreign_keys(1)")
	query.Add("_pragma", "synchronous(NORMAL)")
	query.Set("_txlock", "immediate")
	// The absolute path goes through url.URL so that "#", "?" and "%" in a
	// folder name are escaped instead of ending the path or the query.
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("resolving sqlite database path %q: %w", path, err)
	}
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: query.Encode()}).String()

	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening sqlite database %q: %w", path, err)
	}
	// database/sql keeps 2 idle connections by default, so after a burst
	// it closes the others and opens them again on the next one.
	// A new SQLite connection applies the pragmas and parses the whole
	// schema, which took half of the CPU of a 1,000-caller refresh storm.
	db.SetMaxIdleConns(maxIdleConns)
	db.SetConnMaxIdleTime(connMaxIdleTime)
	s := &Store{db: db, logger: logger}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that the database responds.
func (s *Store) Ping(ctx context.Context) error {
	return s.db.PingContext(ctx)
}

// Close closes the prepared statements and the database.
func (s *Store) Close() error {
	s.statements.Range(func(_, stmt any) bool {
		stmt.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}

// queryRow runs a single-row read through a prepared statement kept for
// the query's text. If preparing fails, the query runs unprepared, so the
// error surfaces from Scan as it would without the cache.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if cached, ok := s.statements.Load(query); ok {
		return cached.(*sql.Stmt).QueryRowContext(ctx, args...)
	}
	stmt, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return s.db.QueryRowContext(ctx, query, args...)
	}
	if existing, loaded := s.statements.LoadOrStore(query, stmt); loaded {
		stmt.Close()
		stmt = existing.(*sql.Stmt)
	}
	return stmt.QueryRowContext(ctx, args...)
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version TEXT NOT NULL PRIMARY KEY,
		applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
	)`); err != nil {
		return fmt.Errorf("creating schema_migrations: %w", err)
	}

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

func (s *Store) applyMigration(ctx context.Context, name, version string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return fmt.Errorf("reading migration %s: %w", name, err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var applied int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, version).Scan(&applied); err != nil {
			return fmt.Errorf("checking migration %s: %w", version, err)
		}
		if applied > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("applying migration %s: %w", version, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, version); err != nil {
			return fmt.Errorf("recording migration %s: %w", version, err)
		}
		s.logger.Info("applied migration", "version", version)
		return nil
	})
}

// inTx runs fn in a transaction and commits it when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	return nil
}

// isUniqueViolation reports whether err is a SQLite UNIQUE or PRIMARY KEY
// constraint failure.
func isUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "PRIMARY KEY constraint failed")
}

// notFound wraps store.ErrNotFound with the record's description when err
// is sql.ErrNoRows.
func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf(format+": %w", append(args, store.ErrNotFound)...)
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
