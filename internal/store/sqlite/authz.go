package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/columns"
)

// PutAuthzClient inserts or replaces an authorization server client.
func (s *Store) PutAuthzClient(ctx context.Context, c store.AuthzClient) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO authz_clients (`+columns.AuthzClientColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, application_id = excluded.application_id,
			secret_hash = excluded.secret_hash, redirect_uris = excluded.redirect_uris, updated_at = excluded.updated_at`,
		columns.AuthzClientArgs(c)...)
	if err != nil {
		return fmt.Errorf("storing authz client %q: %w", c.ID, err)
	}
	return nil
}

// GetAuthzClient returns an authorization server client.
func (s *Store) GetAuthzClient(ctx context.Context, orgID, id string) (store.AuthzClient, error) {
	c, err := columns.ScanAuthzClient(s.queryRow(ctx, `SELECT `+columns.AuthzClientColumns+`
		FROM authz_clients WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return store.AuthzClient{}, notFound(err, "authz client %q", id)
	}
	return c, nil
}

// CreateAuthzRequest stores a new authorization request.
func (s *Store) CreateAuthzRequest(ctx context.Context, r store.AuthzRequest) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO authz_requests (`+columns.AuthzRequestColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, columns.AuthzRequestArgs(r)...)
	if isUniqueViolation(err) {
		return fmt.Errorf("authz request: %w", store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting authz request: %w", err)
	}
	return nil
}

// GetAuthzRequest returns an authorization request.
func (s *Store) GetAuthzRequest(ctx context.Context, orgID, id string) (store.AuthzRequest, error) {
	r, err := columns.ScanAuthzRequest(s.queryRow(ctx, `SELECT `+columns.AuthzRequestColumns+`
		FROM authz_requests WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return store.AuthzRequest{}, notFound(err, "authz request")
	}
	return r, nil
}

// UpdateAuthzRequest changes an authorization request in a transaction.
func (s *Store) UpdateAuthzRequest(ctx context.Context, orgID, id string, update func(*store.AuthzRequest) error) (store.AuthzRequest, error) {
	var out store.AuthzRequest
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		query := `SELECT ` + columns.AuthzRequestColumns + ` FROM authz_requests WHERE org_id = ? AND id = ?`
		r, err := columns.ScanAuthzRequest(tx.QueryRowContext(ctx, query, orgID, id))
		if err != nil {
			return notFound(err, "authz request")
		}
		fixed := r
		if err := update(&r); err != nil {
			return err
		}
		r.OrgID, r.ID, r.ClientID, r.CreatedAt = fixed.OrgID, fixed.ID, fixed.ClientID, fixed.CreatedAt
		// The values from redirect_uri to expires_at, the grant, then the key.
		args := columns.AuthzRequestArgs(r)
		values := append(slices.Clone(args[3:15]), args[16], orgID, id)
		if _, err := tx.ExecContext(ctx, `UPDATE authz_requests SET redirect_uri = ?, scopes = ?, state = ?, nonce = ?,
			response_type = ?, response_mode = ?, code_challenge = ?, code_challenge_method = ?, user_id = ?, auth_time = ?,
			code_hash = ?, expires_at = ?, grant_id = ? WHERE org_id = ? AND id = ?`,
			values...); err != nil {
			return fmt.Errorf("updating authz request: %w", err)
		}
		out, err = columns.ScanAuthzRequest(tx.QueryRowContext(ctx, query, orgID, id))
		return err
	})
	return out, err
}

// DeleteAuthzRequest deletes an authorization request.
func (s *Store) DeleteAuthzRequest(ctx context.Context, orgID, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM authz_requests WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return fmt.Errorf("deleting authz request: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("authz request: %w", store.ErrNotFound)
	}
	return nil
}

func insertAuthzTokens(ctx context.Context, tx *sql.Tx, orgID string, tokens []store.AuthzToken) error {
	for _, t := range tokens {
		if t.OrgID != orgID {
			return fmt.Errorf("authz token %q belongs to org %q, not %q: store each org's tokens apart", t.ID, t.OrgID, orgID)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO authz_tokens (`+columns.AuthzTokenColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, columns.AuthzTokenArgs(t)...)
		if isUniqueViolation(err) {
			return fmt.Errorf("authz token: %w", store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("inserting authz token: %w", err)
		}
	}
	return nil
}

// CreateAuthzTokens stores tokens in one transaction.
func (s *Store) CreateAuthzTokens(ctx context.Context, tokens []store.AuthzToken) error {
	if len(tokens) == 0 {
		return nil
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return insertAuthzTokens(ctx, tx, tokens[0].OrgID, tokens)
	})
}

// RotateAuthzRefreshToken marks a refresh token used and stores new tokens.
func (s *Store) RotateAuthzRefreshToken(ctx context.Context, orgID, oldID string, tokens []store.AuthzToken) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE authz_tokens SET kind = ? WHERE org_id = ? AND id = ? AND kind = ?`,
			store.AuthzRotatedToken, orgID, oldID, store.AuthzRefreshToken)
		if err != nil {
			return fmt.Errorf("marking refresh token rotated: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("refresh token: %w", store.ErrNotFound)
		}
		return insertAuthzTokens(ctx, tx, orgID, tokens)
	})
}

// GetAuthzToken returns a token record.
func (s *Store) GetAuthzToken(ctx context.Context, orgID, id string) (store.AuthzToken, error) {
	t, err := columns.ScanAuthzToken(s.queryRow(ctx, `SELECT `+columns.AuthzTokenColumns+`
		FROM authz_tokens WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return store.AuthzToken{}, notFound(err, "authz token")
	}
	return t, nil
}

// DeleteAuthzToken deletes one token.
func (s *Store) DeleteAuthzToken(ctx context.Context, orgID, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM authz_tokens WHERE org_id = ? AND id = ?`, orgID, id)
	if err != nil {
		return fmt.Errorf("deleting authz token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("authz token: %w", store.ErrNotFound)
	}
	return nil
}

// DeleteAuthzGrant deletes every token of a grant.
func (s *Store) DeleteAuthzGrant(ctx context.Context, orgID, grantID string) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM authz_tokens WHERE org_id = ? AND grant_id = ?`, orgID, grantID)
	if err != nil {
		return 0, fmt.Errorf("deleting authz grant: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteExpiredAuthz deletes expired authorization requests and tokens.
func (s *Store) DeleteExpiredAuthz(ctx context.Context, now time.Time) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"authz_requests", "authz_tokens"} {
			res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at < ?`, columns.FormatTime(now))
			if err != nil {
				return fmt.Errorf("deleting expired rows of %s: %w", table, err)
			}
			n, _ := res.RowsAffected()
			total += int(n)
		}
		return nil
	})
	return total, err
}

// CreateAuthzSigningKey stores a signing key.
func (s *Store) CreateAuthzSigningKey(ctx context.Context, k store.AuthzSigningKey) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO authz_signing_keys (`+columns.AuthzSigningKeyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?)`, k.OrgID, k.ID, k.Algorithm, k.PrivateKeySealed, k.PublicKeyJWK, columns.FormatTime(k.CreatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("authz signing key %q: %w", k.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting authz signing key: %w", err)
	}
	return nil
}

// ListAuthzSigningKeys lists signing keys, newest first.
func (s *Store) ListAuthzSigningKeys(ctx context.Context, orgID string) ([]store.AuthzSigningKey, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns.AuthzSigningKeyColumns+`
		FROM authz_signing_keys WHERE ? = '' OR org_id = ? ORDER BY created_at DESC, org_id, id`, orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing authz signing keys: %w", err)
	}
	defer rows.Close()
	var out []store.AuthzSigningKey
	for rows.Next() {
		k, err := columns.ScanAuthzSigningKey(rows)
		if err != nil {
			return nil, fmt.Errorf("reading authz signing key: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
