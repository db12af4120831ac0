package postgres

import (
	"context"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

const credentialColumns = `org_id, connection_id, user_id, status, access_token_sealed, refresh_token_sealed, secrets_sealed,
	token_type, expiry, granted_scopes, extras, last_error, last_error_class, last_error_at, connected_at, refreshed_at, updated_at,
	refresh_lease_id, refresh_lease_until`

func scanCredential(row pgx.Row) (store.Credential, error) {
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

const credentialUpsert = `INSERT INTO credentials (` + credentialColumns + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
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
	c, err := scanCredential(s.pool.QueryRow(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE org_id = $1 AND connection_id = $2 AND user_id = $3`, orgID, connectionID, userID))
	if err != nil {
		return store.Credential{}, notFound(err, "credential of user %q", userID)
	}
	return c, nil
}

// ListCredentials returns every credential of a connection, in user ID
// order.
func (s *Store) ListCredentials(ctx context.Context, orgID, connectionID string) ([]store.Credential, error) {
	return listCredentials(ctx, s.pool, orgID, connectionID, "")
}

// listCredentials lists a connection's credentials in user ID order. lock
// is empty or a locking clause such as " FOR SHARE".
func listCredentials(ctx context.Context, q querier, orgID, connectionID, lock string) ([]store.Credential, error) {
	rows, err := q.Query(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE org_id = $1 AND connection_id = $2 ORDER BY user_id`+lock, orgID, connectionID)
	if err != nil {
		return nil, fmt.Errorf("listing credentials: %w", err)
	}
	return collectRows(rows, scanCredential, "credential")
}

// PutCredential inserts or replaces a credential.
func (s *Store) PutCredential(ctx context.Context, c store.Credential) error {
	if _, err := s.pool.Exec(ctx, credentialUpsert, credentialArgs(c)...); err != nil {
		return fmt.Errorf("storing credential of user %q: %w", c.UserID, err)
	}
	return nil
}

// UpdateCredential runs update on a credential whose row it locks with
// SELECT ... FOR UPDATE until the new value is committed, and returns the
// stored credential. The org, connection and user cannot change.
func (s *Store) UpdateCredential(ctx context.Context, orgID, connectionID, userID string, update func(*store.Credential) error) (store.Credential, error) {
	var result store.Credential
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		const query = `SELECT ` + credentialColumns + ` FROM credentials WHERE org_id = $1 AND connection_id = $2 AND user_id = $3`
		c, err := scanCredential(tx.QueryRow(ctx, query+` FOR UPDATE`, orgID, connectionID, userID))
		if err != nil {
			return notFound(err, "credential of user %q", userID)
		}
		if err := update(&c); err != nil {
			return err
		}
		c.OrgID, c.ConnectionID, c.UserID = orgID, connectionID, userID
		if _, err := tx.Exec(ctx, credentialUpsert, credentialArgs(c)...); err != nil {
			return fmt.Errorf("storing credential of user %q: %w", userID, err)
		}
		if result, err = scanCredential(tx.QueryRow(ctx, query, orgID, connectionID, userID)); err != nil {
			return fmt.Errorf("reading updated credential of user %q: %w", userID, err)
		}
		return nil
	})
	return result, err
}

// DeleteCredential deletes one user's credential of a connection.
func (s *Store) DeleteCredential(ctx context.Context, orgID, connectionID, userID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM credentials WHERE org_id = $1 AND connection_id = $2 AND user_id = $3`,
		orgID, connectionID, userID)
	if err != nil {
		return fmt.Errorf("deleting credential of user %q: %w", userID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("credential of user %q: %w", userID, store.ErrNotFound)
	}
	return nil
}

// CreateOAuthState inserts a pending authorization.
func (s *Store) CreateOAuthState(ctx context.Context, st store.OAuthState) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO oauth_states (org_id, id, connection_id, user_id, verifier_sealed, return_to, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		st.OrgID, st.ID, st.ConnectionID, st.UserID, st.VerifierSealed, st.ReturnTo, columns.FormatTime(st.ExpiresAt), columns.FormatTime(st.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("oauth state: %w", store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting oauth state: %w", err)
	}
	return nil
}

// TakeOAuthState deletes and returns a pending authorization in one
// DELETE ... RETURNING statement, so of several concurrent takes only one
// gets the state and the others get ErrNotFound.
func (s *Store) TakeOAuthState(ctx context.Context, orgID, id string) (store.OAuthState, error) {
	var st store.OAuthState
	var expires, created string
	err := s.pool.QueryRow(ctx, `DELETE FROM oauth_states WHERE org_id = $1 AND id = $2
		RETURNING org_id, id, connection_id, user_id, verifier_sealed, return_to, expires_at, created_at`, orgID, id).
		Scan(&st.OrgID, &st.ID, &st.ConnectionID, &st.UserID, &st.VerifierSealed, &st.ReturnTo, &expires, &created)
	if err != nil {
		return store.OAuthState{}, notFound(err, "oauth state")
	}
	st.ExpiresAt = columns.ParseTime(expires)
	st.CreatedAt = columns.ParseTime(created)
	return st, nil
}

// DeleteExpiredOAuthStates deletes states that expired before now.
func (s *Store) DeleteExpiredOAuthStates(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM oauth_states WHERE expires_at < $1`, columns.FormatTime(now))
	if err != nil {
		return 0, fmt.Errorf("deleting expired oauth states: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// ListRefreshDue lists credentials the background refresher should renew.
// It locks nothing: the refresher takes each credential's refresh lease
// through UpdateCredential.
func (s *Store) ListRefreshDue(ctx context.Context, now, expiringBefore, idleBefore time.Time, limit int) ([]store.Credential, error) {
	// Two reads, each on its partial index (migration 0011): credentials
	// whose access token expires before expiringBefore, soonest first, then
	// the idle ones, which all sort after them. The literals match the
	// indexes' conditions, so that every plan may use them.
	rows, err := s.pool.Query(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE status = 'connected' AND refresh_token_sealed <> '' AND expiry <> '' AND expiry < $1
		AND (refresh_lease_id = '' OR refresh_lease_until <= $2)
		ORDER BY expiry, org_id, connection_id, user_id
		LIMIT $3`,
		columns.FormatTime(expiringBefore), columns.FormatTime(now), limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("listing credentials due for refresh: %w", err)
	}
	expiring, err := collectRows(rows, scanCredential, "credential")
	if err != nil || len(expiring) == limit {
		return expiring, err
	}
	rest := -1
	if limit >= 0 {
		rest = limit - len(expiring)
	}
	rows, err = s.pool.Query(ctx, `SELECT `+credentialColumns+` FROM credentials
		WHERE status = 'connected' AND refresh_token_sealed <> ''
		AND (CASE WHEN refreshed_at <> '' THEN refreshed_at ELSE connected_at END) < $1
		AND NOT (expiry <> '' AND expiry < $2)
		AND (refresh_lease_id = '' OR refresh_lease_until <= $3)
		ORDER BY CASE WHEN expiry = '' THEN 1 ELSE 0 END, expiry, org_id, connection_id, user_id
		LIMIT $4`,
		columns.FormatTime(idleBefore), columns.FormatTime(expiringBefore), columns.FormatTime(now), limitArg(rest))
	if err != nil {
		return nil, fmt.Errorf("listing idle credentials due for refresh: %w", err)
	}
	idle, err := collectRows(rows, scanCredential, "credential")
	return append(expiring, idle...), err
}
