package postgres

import (
	"context"
	"errors"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

// CreateOrg inserts an org.
func (s *Store) CreateOrg(ctx context.Context, org store.Org) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)`,
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
	org, err := scanOrg(s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM orgs WHERE name = $1`, name))
	if err != nil {
		return store.Org{}, notFound(err, "org %q", name)
	}
	return org, nil
}

// GetOrg returns the org with the given ID.
func (s *Store) GetOrg(ctx context.Context, orgID string) (store.Org, error) {
	org, err := scanOrg(s.pool.QueryRow(ctx, `SELECT id, name, created_at FROM orgs WHERE id = $1`, orgID))
	if err != nil {
		return store.Org{}, notFound(err, "org %q", orgID)
	}
	return org, nil
}

// ListOrgs lists every org in name order.
func (s *Store) ListOrgs(ctx context.Context) ([]store.Org, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, created_at FROM orgs ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing orgs: %w", err)
	}
	return collectRows(rows, scanOrg, "org")
}

func scanOrg(row pgx.Row) (store.Org, error) {
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
	if err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("counting orgs: %w", err)
	}
	return n, nil
}

// CreateUser inserts a user.
func (s *Store) CreateUser(ctx context.Context, u store.User) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO users (org_id, id, username, role, created_at) VALUES ($1, $2, $3, $4, $5)`,
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

func scanUser(row pgx.Row) (store.User, error) {
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
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = $1 AND id = $2`, orgID, userID))
	if err != nil {
		return store.User{}, notFound(err, "user %q", userID)
	}
	return u, nil
}

// GetUserByUsername returns a user by username.
func (s *Store) GetUserByUsername(ctx context.Context, orgID, username string) (store.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = $1 AND username = $2`, orgID, username))
	if err != nil {
		return store.User{}, notFound(err, "user %q", username)
	}
	return u, nil
}

// CreateAPIToken inserts an API token.
func (s *Store) CreateAPIToken(ctx context.Context, t store.APIToken) error {
	hash := t.Hash
	if hash == nil {
		// pgx sends a nil slice as NULL, which the NOT NULL column rejects.
		hash = []byte{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO api_tokens (org_id, id, user_id, name, hash, permissions, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.OrgID, t.ID, t.UserID, t.Name, hash, columns.EncodeJSON(nonNil(t.Permissions)), columns.FormatTime(t.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("api token %q: %w", t.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting api token %q: %w", t.Name, err)
	}
	return nil
}

const apiTokenColumns = `org_id, id, user_id, name, hash, permissions, created_at, last_used_at`

func scanAPIToken(row pgx.Row) (store.APIToken, error) {
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
	t, err := scanAPIToken(s.pool.QueryRow(ctx, `SELECT `+apiTokenColumns+` FROM api_tokens WHERE org_id = $1 AND id = $2`, orgID, tokenID))
	if err != nil {
		return store.APIToken{}, notFound(err, "api token %q", tokenID)
	}
	return t, nil
}

// TouchAPIToken records when a token was last used.
func (s *Store) TouchAPIToken(ctx context.Context, orgID, tokenID string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE org_id = $2 AND id = $3`,
		columns.FormatTime(at), orgID, tokenID)
	if err != nil {
		return fmt.Errorf("updating api token %q: %w", tokenID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("api token %q: %w", tokenID, store.ErrNotFound)
	}
	return nil
}

// CacheGeneration returns the org's cache generation, which the triggers of
// migration 0006 bump when a transaction commits.
func (s *Store) CacheGeneration(ctx context.Context, orgID string) (int64, error) {
	var generation int64
	err := s.pool.QueryRow(ctx, `SELECT generation FROM cache_generations WHERE org_id = $1`, orgID).Scan(&generation)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading cache generation of org %q: %w", orgID, err)
	}
	return generation, nil
}
