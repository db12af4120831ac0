package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// CreateOrg inserts an org.
func (s *Store) CreateOrg(ctx context.Context, org store.Org) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)`,
		org.ID, org.Name, columns.FormatTime(org.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("org %q: %w", org.Name, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting org %q: %w", org.Name, err)
	}
	return nil
}

// GetOrgByName returns the org with the given name.
func (s *Store) GetOrgByName(ctx context.Context, name string) (store.Org, error) {
	var org store.Org
	var created string
	err := s.queryRow(ctx, `SELECT id, name, created_at FROM orgs WHERE name = ?`, name).
		Scan(&org.ID, &org.Name, &created)
	if err != nil {
		return store.Org{}, notFound(err, "org %q", name)
	}
	org.CreatedAt = columns.ParseTime(created)
	return org, nil
}

// GetOrg returns the org with the given ID.
func (s *Store) GetOrg(ctx context.Context, orgID string) (store.Org, error) {
	org, err := scanOrg(s.queryRow(ctx, `SELECT id, name, created_at FROM orgs WHERE id = ?`, orgID))
	if err != nil {
		return store.Org{}, notFound(err, "org %q", orgID)
	}
	return org, nil
}

// ListOrgs lists every org in name order.
func (s *Store) ListOrgs(ctx context.Context) ([]store.Org, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, created_at FROM orgs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing orgs: %w", err)
	}
	defer rows.Close()
	var out []store.Org
	for rows.Next() {
		org, err := scanOrg(rows)
		if err != nil {
			return nil, fmt.Errorf("reading org: %w", err)
		}
		out = append(out, org)
	}
	return out, rows.Err()
}

func scanOrg(row interface{ Scan(...any) error }) (store.Org, error) {
	var org store.Org
	var created string
	if err := row.Scan(&org.ID, &org.Name, &created); err != nil {
		return store.Org{}, err
	}
	org.CreatedAt = columns.ParseTime(created)
	return org, nil
}

// CountOrgs returns the number of orgs.
func (s *Store) CountOrgs(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting orgs: %w", err)
	}
	return n, nil
}

// CreateUser inserts a user.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (org_id, id, username, role, created_at) VALUES (?, ?, ?, ?, ?)`,
		u.OrgID, u.ID, u.Username, u.Role, columns.FormatTime(u.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("user %q: %w", u.Username, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting user %q: %w", u.Username, err)
	}
	return nil
}

const userColumns = `org_id, id, username, role, created_at`

func scanUser(row interface{ Scan(...any) error }) (store.User, error) {
	var u store.User
	var created string
	if err := row.Scan(&u.OrgID, &u.ID, &u.Username, &u.Role, &created); err != nil {
		return store.User{}, err
	}
	u.CreatedAt = columns.ParseTime(created)
	return u, nil
}

// GetUser returns a user by ID.
func (s *Store) GetUser(ctx context.Context, orgID, userID string) (store.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? AND id = ?`, orgID, userID))
	if err != nil {
		return store.User{}, notFound(err, "user %q", userID)
	}
	return u, nil
}

// GetUserByUsername returns a user by username.
func (s *Store) GetUserByUsername(ctx context.Context, orgID, username string) (store.User, error) {
	u, err := scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? AND username = ?`, orgID, username))
	if err != nil {
		return store.User{}, notFound(err, "user %q", username)
	}
	return u, nil
}

// CreateAPIToken inserts an API token.
func (s *Store) CreateAPIToken(ctx context.Context, t store.APIToken) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO api_tokens (org_id, id, user_id, name, hash, permissions, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		t.OrgID, t.ID, t.UserID, t.Name, t.Hash, columns.EncodeJSON(nonNil(t.Permissions)), columns.FormatTime(t.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("api token %q: %w", t.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting api token %q: %w", t.Name, err)
	}
	return nil
}

const apiTokenColumns = `org_id, id, user_id, name, hash, permissions, created_at, last_used_at`

func scanAPIToken(row interface{ Scan(...any) error }) (store.APIToken, error) {
	var t store.APIToken
	var permissions, created, used string
	if err := row.Scan(&t.OrgID, &t.ID, &t.UserID, &t.Name, &t.Hash, &permissions, &created, &used); err != nil {
		return store.APIToken{}, err
	}
	t.Permissions = columns.DecodeStrings(permissions)
	t.CreatedAt = columns.ParseTime(created)
	t.LastUsedAt = columns.ParseTime(used)
	return t, nil
}

// GetAPIToken returns an API token by ID.
func (s *Store) GetAPIToken(ctx context.Context, orgID, tokenID string) (store.APIToken, error) {
	t, err := scanAPIToken(s.queryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE org_id = ? AND id = ?`, orgID, tokenID))
	if err != nil {
		return store.APIToken{}, notFound(err, "api token %q", tokenID)
	}
	return t, nil
}

// TouchAPIToken records when a token was last used.
func (s *Store) TouchAPIToken(ctx context.Context, orgID, tokenID string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE org_id = ? AND id = ?`,
		columns.FormatTime(at), orgID, tokenID)
	if err != nil {
		return fmt.Errorf("updating api token %q: %w", tokenID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("api token %q: %w", tokenID, store.ErrNotFound)
	}
	return nil
}

// CacheGeneration returns the org's cache generation, which the triggers of
// migration 0006 bump. Every cached API request runs it, so it runs without
// the caller's cancellation: database/sql starts a goroutine per query to
// watch a cancellable context, which cost more than this one-row read.
func (s *Store) CacheGeneration(ctx context.Context, orgID string) (int64, error) {
	var generation int64
	err := s.queryRow(context.WithoutCancel(ctx), `SELECT generation FROM cache_generations WHERE org_id = ?`, orgID).Scan(&generation)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading cache generation of org %q: %w", orgID, err)
	}
	return generation, nil
}
