package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/columns"
)

// seeder writes bench rows with bulk SQL, straight into plugboard's schema.
type seeder interface {
	// SeedConnections inserts connections 1 to count, owned by owner.
	SeedConnections(ctx context.Context, owner store.User, applicationID string, count int) error
	// SeedCredentials gives connections 1 to due a connected credential of
	// owner whose access token expired a minute ago.
	SeedCredentials(ctx context.Context, keyring *secrets.Keyring, owner store.User, due int) error
	Close() error
}

// credentialBatch is how many credentials one insert transaction carries.
const credentialBatch = 10_000

// credentialRow is one seeded credential's column values.
type credentialRow struct {
	connectionID, access, refresh string
}

// sealCredentials seals the tokens of connections from to to-1 (counting
// from 1) as the connections package does, bound to their rows.
func sealCredentials(keyring *secrets.Keyring, owner store.User, from, to int) ([]credentialRow, error) {
	rows := make([]credentialRow, 0, to-from)
	for i := from; i < to; i++ {
		id := connectionID(i)
		ad := secrets.AD{OrgID: owner.OrgID, Table: "credentials", RowID: id + "/" + owner.ID}
		ad.Column = "access_token"
		access, err := keyring.Seal(fmt.Appendf(nil, "bench-access-%d", i), ad)
		if err != nil {
			return nil, fmt.Errorf("sealing access token %d: %w", i, err)
		}
		ad.Column = "refresh_token"
		refresh, err := keyring.Seal(fmt.Appendf(nil, "bench-refresh-%d", i), ad)
		if err != nil {
			return nil, fmt.Errorf("sealing refresh token %d: %w", i, err)
		}
		rows = append(rows, credentialRow{connectionID: id, access: access, refresh: refresh})
	}
	return rows, nil
}

func connectionID(n int) string {
	return fmt.Sprintf("c%07d", n)
}

// credentialTimes returns the expiry, connection time and update time of
// the seeded credentials: expired a minute ago, connected an hour ago.
func credentialTimes() (expiry, connected, updated string) {
	now := time.Now()
	return columns.FormatTime(now.Add(-time.Minute)), columns.FormatTime(now.Add(-time.Hour)), columns.FormatTime(now.Add(-time.Hour))
}

// sqliteSeeder seeds through its own database/sql handle on the file.
type sqliteSeeder struct {
	db *sql.DB
}

func openSQLiteSeeder(path string) (*sqliteSeeder, error) {
	query := url.Values{}
	query.Add("_pragma", "busy_timeout(10000)")
	query.Add("_pragma", "foreign_keys(1)")
	query.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(path), RawQuery: query.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return &sqliteSeeder{db: db}, nil
}

func (s *sqliteSeeder) Close() error { return s.db.Close() }

func (s *sqliteSeeder) SeedConnections(ctx context.Context, owner store.User, applicationID string, count int) error {
	now := columns.FormatTime(time.Now())
	_, err := s.db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO connections (org_id, id, link_name, name, description, service_key, application_id, scopes,
			use_login_user_credentials, owner_id, created_at, updated_at, region)
		SELECT ?, printf('c%07d', i), printf('conn_%07d', i), 'Connection ' || i, '', ?, ?, '["read"]', 0, ?, ?, ?, '' FROM n`,
		count, owner.OrgID, serviceKey, applicationID, owner.ID, now, now)
	if err != nil {
		return fmt.Errorf("seeding connections: %w", err)
	}
	return nil
}

func (s *sqliteSeeder) SeedCredentials(ctx context.Context, keyring *secrets.Keyring, owner store.User, due int) error {
	expiry, connected, updated := credentialTimes()
	for from := 1; from <= due; from += credentialBatch {
		rows, err := sealCredentials(keyring, owner, from, min(from+credentialBatch, due+1))
		if err != nil {
			return err
		}
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO credentials (org_id, connection_id, user_id, status,
			access_token_sealed, refresh_token_sealed, token_type, expiry, granted_scopes, connected_at, updated_at)
			VALUES (?, ?, ?, 'connected', ?, ?, 'Bearer', ?, '["read"]', ?, ?)`)
		if err != nil {
			tx.Rollback()
			return fmt.Errorf("preparing credential insert: %w", err)
		}
		for _, r := range rows {
			if _, err := stmt.ExecContext(ctx, owner.OrgID, r.connectionID, owner.ID, r.access, r.refresh, expiry, connected, updated); err != nil {
				tx.Rollback()
				return fmt.Errorf("seeding credential of %s: %w", r.connectionID, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("committing credentials: %w", err)
		}
	}
	return nil
}

// postgresSeeder seeds through one pgx connection.
type postgresSeeder struct {
	conn *pgx.Conn
}

func openPostgresSeeder(ctx context.Context, databaseURL string) (*postgresSeeder, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("connecting to the bench database: %w", err)
	}
	return &postgresSeeder{conn: conn}, nil
}

func (s *postgresSeeder) Close() error { return s.conn.Close(context.Background()) }

func (s *postgresSeeder) SeedConnections(ctx context.Context, owner store.User, applicationID string, count int) error {
	now := columns.FormatTime(time.Now())
	_, err := s.conn.Exec(ctx, `INSERT INTO connections (org_id, id, link_name, name, description, service_key,
			application_id, scopes, use_login_user_credentials, owner_id, created_at, updated_at, region)
		SELECT $1, 'c' || lpad(i::text, 7, '0'), 'conn_' || lpad(i::text, 7, '0'), 'Connection ' || i, '', $2, $3,
			'["read"]', false, $4, $5, $5, ''
		FROM generate_series(1, $6::int) AS i`,
		owner.OrgID, serviceKey, applicationID, owner.ID, now, count)
	if err != nil {
		return fmt.Errorf("seeding connections: %w", err)
	}
	if _, err := s.conn.Exec(ctx, `ANALYZE connections`); err != nil {
		return fmt.Errorf("analyzing connections: %w", err)
	}
	return nil
}

func (s *postgresSeeder) SeedCredentials(ctx context.Context, keyring *secrets.Keyring, owner store.User, due int) error {
	expiry, connected, updated := credentialTimes()
	for from := 1; from <= due; from += credentialBatch {
		rows, err := sealCredentials(keyring, owner, from, min(from+credentialBatch, due+1))
		if err != nil {
			return err
		}
		values := make([][]any, 0, len(rows))
		for _, r := range rows {
			values = append(values, []any{owner.OrgID, r.connectionID, owner.ID, store.StatusConnected, r.access, r.refresh,
				"Bearer", expiry, `["read"]`, connected, updated})
		}
		_, err = s.conn.CopyFrom(ctx, pgx.Identifier{"credentials"},
			[]string{"org_id", "connection_id", "user_id", "status", "access_token_sealed", "refresh_token_sealed",
				"token_type", "expiry", "granted_scopes", "connected_at", "updated_at"},
			pgx.CopyFromRows(values))
		if err != nil {
			return fmt.Errorf("copying credentials: %w", err)
		}
	}
	if _, err := s.conn.Exec(ctx, `ANALYZE credentials`); err != nil {
		return fmt.Errorf("analyzing credentials: %w", err)
	}
	return nil
}

func copyBody(w io.Writer, resp *http.Response) (int64, error) {
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("reading response: %w", err)
	}
	return n, nil
}
