package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

const credentialColumns = `org_id, connection_id, user_id, status, access_token_sealed, refresh_token_sealed, secrets_sealed,
	token_type, expiry, granted_scopes, extras, last_error, last_error_class, last_error_at, connected_at, refreshed_at, updated_at,
	refresh_lease_id, refresh_lease_until`

func scanCredential(row interface{ Scan(...any) error }) (store.Credential, error) {
	var c store.Credential
	var expiry, scopes, extras, errorAt, connected, refreshed, updated, leaseUntil string
	if err := row.Scan(&c.OrgID, &c.ConnectionID, &c.UserID, &c.Status, &c.AccessTokenSealed, &c.RefreshTokenSealed,
		&c.SecretsSealed, &c.TokenType, &expiry, &scopes, &extras, &c.LastError, &c.LastErrorClass, &errorAt,
		&connected, &refreshed, &updated, &c.RefreshLeaseID, &leaseUntil); err != nil {
		return store.Credential{}, err
	}
	c.Expiry = columns.ParseTime(expiry)
	c.GrantedScopes = columns.DecodeStrings(scopes)
	c.Extras = columns.DecodeMap(extras)
	c.LastErrorAt = columns.ParseTime(errorAt)
	c.ConnectedAt = columns.ParseTime(connected)
	c.RefreshedAt = columns.ParseTime(refreshed)
	c.UpdatedAt = columns.ParseTime(updated)
	c.RefreshLeaseUntil = columns.ParseTime(leaseUntil)
	return c, nil
}

func credentialArgs(c store.Credential) []any {
	extras := c.Extras
	if extras == nil {
		extras = map[string]any{}
	}
	return []any{c.OrgID, c.ConnectionID, c.UserID, c.Status, c.AccessTokenSealed, c.RefreshTokenSealed, c.SecretsSealed,
		c.TokenType, columns.FormatTime(c.Expiry), columns.EncodeJSON(nonNil(c.GrantedScopes)), columns.EncodeJSON(extras), c.LastError,
		c.LastErrorClass, columns.FormatTime(c.LastErrorAt), columns.FormatTime(c.ConnectedAt), columns.FormatTime(c.RefreshedAt), columns.FormatTime(c.UpdatedAt),
		c.RefreshLeaseID, columns.FormatTime(c.RefreshLeaseUntil)}
}

const credentialUpsert = `INSERT INTO credentials (` + credentialColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (org_id, connection_id, user_id) DO UPDATE SET
	status = excluded.status, access_token_sealed = excluded.access_token_sealed,
	refresh_token_sealed = excluded.refresh_token_sealed, secrets_sealed = excluded.secrets_sealed,
	token_type = excluded.token_type, expiry = excluded.expiry, granted_scopes = excluded.granted_scopes,
	extras = excluded.extras, last_error = excluded.last_error, last_error_class = excluded.last_error_class,
	last_error_at = excluded.last_error_at, connected_at = excluded.connected_at,
	refreshed_at = excluded.refreshed_at, updated_at = excluded.updated_at,
	refresh_lease_id = excluded.refresh_lease_id, refresh_lease_until = excluded.refresh_lease_until`

// GetCredential returns one user's credential of a connection.
func (s *Store) GetCredential(ctx context.Context, orgID, connectionID, userID string) (store.Credential, error) {
	c, err := scanCredential(s.queryRow(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE org_id = ? AND connection_id = ? AND user_id = ?`, orgID, connectionID, userID))
	if err != nil {
		return store.Credential{}, notFound(err, "credential of user %q", userID)
	}
	return c, nil
}

// ListCredentials returns every credential of a connection.
func (s *Store) ListCredentials(ctx context.Context, orgID, connectionID string) ([]store.Credential, error) {
	return listCredentials(ctx, s.db, orgID, connectionID)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func listCredentials(ctx context.Context, q querier, orgID, connectionID string) ([]store.Credential, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE org_id = ? AND connection_id = ? ORDER BY user_id`, orgID, connectionID)
	if err != nil {
		return nil, fmt.Errorf("listing credentials: %w", err)
	}
	defer rows.Close()
	var out []store.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("reading credential: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutCredential inserts or replaces a credential.
func (s *Store) PutCredential(ctx context.Context, c store.Credential) error {
	if _, err := s.db.ExecContext(ctx, credentialUpsert, credentialArgs(c)...); err != nil {
		return fmt.Errorf("storing credential of user %q: %w", c.UserID, err)
	}
	return nil
}

// UpdateCredential runs update on a credential inside an IMMEDIATE
// transaction, which holds SQLite's write lock until the new value is
// committed, and returns the stored credential. The org, connection and user
// cannot change.
func (s *Store) UpdateCredential(ctx context.Context, orgID, connectionID, userID string, update func(*store.Credential) error) (store.Credential, error) {
	var result store.Credential
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		const query = `SELECT ` + credentialColumns + ` FROM credentials WHERE org_id = ? AND connection_id = ? AND user_id = ?`
		c, err := scanCredential(tx.QueryRowContext(ctx, query, orgID, connectionID, userID))
		if err != nil {
			return notFound(err, "credential of user %q", userID)
		}
		if err := update(&c); err != nil {
			return err
		}
		c.OrgID, c.ConnectionID, c.UserID = orgID, connectionID, userID
		if _, err := tx.ExecContext(ctx, credentialUpsert, credentialArgs(c)...); err != nil {
			return fmt.Errorf("storing credential of user %q: %w", userID, err)
		}
		if result, err = scanCredential(tx.QueryRowContext(ctx, query, orgID, connectionID, userID)); err != nil {
			return fmt.Errorf("reading updated credential of user %q: %w", userID, err)
		}
		return nil
	})
	return result, err
}

// DeleteCredential deletes one user's credential of a connection.
func (s *Store) DeleteCredential(ctx context.Context, orgID, connectionID, userID string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM credentials WHERE org_id = ? AND connection_id = ? AND user_id = ?`,
		orgID, connectionID, userID)
	if err != nil {
		return fmt.Errorf("deleting credential of user %q: %w", userID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("credential of user %q: %w", userID, store.ErrNotFound)
	}
	return nil
}

// CreateOAuthState inserts a pending authorization.
func (s *Store) CreateOAuthState(ctx context.Context, st store.OAuthState) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO oauth_states (org_id, id, connection_id, user_id, verifier_sealed, return_to, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		st.OrgID, st.ID, st.ConnectionID, st.UserID, st.VerifierSealed, st.ReturnTo, columns.FormatTime(st.ExpiresAt), columns.FormatTime(st.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("oauth state: %w", store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting oauth state: %w", err)
	}
	return nil
}

// TakeOAuthState deletes and returns a pending authorization.
func (s *Store) TakeOAuthState(ctx context.Context, orgID, id string) (store.OAuthState, error) {
	var st store.OAuthState
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var expires, created string
		err := tx.QueryRowContext(ctx, `SELECT org_id, id, connection_id, user_id, verifier_sealed, return_to, expires_at, created_at
			FROM oauth_states WHERE org_id = ? AND id = ?`, orgID, id).
			Scan(&st.OrgID, &st.ID, &st.ConnectionID, &st.UserID, &st.VerifierSealed, &st.ReturnTo, &expires, &created)
		if err != nil {
			return notFound(err, "oauth state")
		}
		st.ExpiresAt = columns.ParseTime(expires)
		st.CreatedAt = columns.ParseTime(created)
		if _, err := tx.ExecContext(ctx, `DELETE FROM oauth_states WHERE org_id = ? AND id = ?`, orgID, id); err != nil {
			return fmt.Errorf("deleting oauth state: %w", err)
		}
		return nil
	})
	return st, err
}

// DeleteExpiredOAuthStates deletes states that expired before now.
func (s *Store) DeleteExpiredOAuthStates(ctx context.Context, now time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM oauth_states WHERE expires_at < ?`, columns.FormatTime(now))
	if err != nil {
		return 0, fmt.Errorf("deleting expired oauth states: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// ListRefreshDue lists credentials the background refresher should renew.
func (s *Store) ListRefreshDue(ctx context.Context, now, expiringBefore, idleBefore time.Time, limit int) ([]store.Credential, error) {
	// Two reads, each on its partial index (migration 0011): credentials
	// whose access token expires before expiringBefore, soonest first, then
	// the idle ones, which all sort after them.
	expiring, err := s.listCredentials(ctx, refreshExpiringQuery,
		columns.FormatTime(expiringBefore), columns.FormatTime(now), limit)
	if err != nil || len(expiring) == limit {
		return expiring, err
	}
	rest := -1
	if limit >= 0 {
		rest = limit - len(expiring)
	}
	idle, err := s.listCredentials(ctx, refreshIdleQuery,
		columns.FormatTime(idleBefore), columns.FormatTime(expiringBefore), columns.FormatTime(now), rest)
	return append(expiring, idle...), err
}

// The two reads of ListRefreshDue. The literals match the conditions of the
// partial indexes credentials_refresh_expiry and credentials_refresh_idle.
const (
	refreshExpiringQuery = `SELECT ` + credentialColumns + ` FROM credentials
		WHERE status = 'connected' AND refresh_token_sealed <> '' AND expiry <> '' AND expiry < ?
		AND (refresh_lease_id = '' OR refresh_lease_until <= ?)
		ORDER BY expiry, org_id, connection_id, user_id
		LIMIT ?`
	refreshIdleQuery = `SELECT ` + credentialColumns + ` FROM credentials
		WHERE status = 'connected' AND refresh_token_sealed <> ''
		AND (CASE WHEN refreshed_at <> '' THEN refreshed_at ELSE connected_at END) < ?
		AND NOT (expiry <> '' AND expiry < ?)
		AND (refresh_lease_id = '' OR refresh_lease_until <= ?)
		ORDER BY CASE WHEN expiry = '' THEN 1 ELSE 0 END, expiry, org_id, connection_id, user_id
		LIMIT ?`
)

// listCredentials runs a query of whole credential rows.
func (s *Store) listCredentials(ctx context.Context, query string, args ...any) ([]store.Credential, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing credentials due for refresh: %w", err)
	}
	defer rows.Close()
	var out []store.Credential
	for rows.Next() {
		c, err := scanCredential(rows)
		if err != nil {
			return nil, fmt.Errorf("reading credential: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
