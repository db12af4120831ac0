package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/columns"
)

// PutAuthzClient inserts or replaces an authorization server client.
func (s *Store) PutAuthzClient(ctx context.Context, c store.AuthzClient) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO authz_clients
		(org_id, id, name, application_id, secret_hash, redirect_uris, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org_id, id) DO UPDATE SET name = excluded.name, application_id = excluded.application_id,
			secret_hash = excluded.secret_hash, redirect_uris = excluded.redirect_uris, updated_at = excluded.updated_at`,
		c.OrgID, c.ID, c.Name, c.ApplicationID, columns.NonNilBytes(c.SecretHash), columns.EncodeJSON(columns.NonNilStrings(c.RedirectURIs)),
		columns.FormatTime(c.CreatedAt), columns.FormatTime(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("storing authz client %q: %w", c.ID, err)
	}
	return nil
}

// GetAuthzClient returns an authorization server client.
func (s *Store) GetAuthzClient(ctx context.Context, orgID, id string) (store.AuthzClient, error) {
	var c store.AuthzClient
	var uris, created, updated string
	err := s.queryRow(ctx, `SELECT org_id, id, name, application_id, secret_hash, redirect_uris, created_at, updated_at
		FROM authz_clients WHERE org_id = ? AND id = ?`, orgID, id).
		Scan(&c.OrgID, &c.ID, &c.Name, &c.ApplicationID, &c.SecretHash, &uris, &created, &updated)
	if err != nil {
		return store.AuthzClient{}, notFound(err, "authz client %q", id)
	}
	c.SecretHash = columns.NilIfEmpty(c.SecretHash)
	c.RedirectURIs = columns.DecodeStrings(uris)
	c.CreatedAt, c.UpdatedAt = columns.ParseTime(created), columns.ParseTime(updated)
	return c, nil
}

const authzRequestColumns = `org_id, id, client_id, redirect_uri, scopes, state, nonce, response_type, response_mode,
	code_challenge, code_challenge_method, user_id, auth_time, code_hash, expires_at, created_at`

func scanAuthzRequest(row interface{ Scan(...any) error }) (store.AuthzRequest, error) {
	var r store.AuthzRequest
	var scopes, authTime, expires, created string
	if err := row.Scan(&r.OrgID, &r.ID, &r.ClientID, &r.RedirectURI, &scopes, &r.State, &r.Nonce, &r.ResponseType,
		&r.ResponseMode, &r.CodeChallenge, &r.CodeChallengeMethod, &r.UserID, &authTime, &r.CodeHash, &expires, &created); err != nil {
		return store.AuthzRequest{}, err
	}
	r.Scopes = columns.DecodeStrings(scopes)
	r.CodeHash = columns.NilIfEmpty(r.CodeHash)
	r.AuthTime, r.ExpiresAt, r.CreatedAt = columns.ParseTime(authTime), columns.ParseTime(expires), columns.ParseTime(created)
	return r, nil
}

func authzRequestValues(r store.AuthzRequest) []any {
	return []any{r.OrgID, r.ID, r.ClientID, r.RedirectURI, columns.EncodeJSON(columns.NonNilStrings(r.Scopes)), r.State, r.Nonce,
		r.ResponseType, r.ResponseMode, r.CodeChallenge, r.CodeChallengeMethod, r.UserID, columns.FormatTime(r.AuthTime),
		columns.NonNilBytes(r.CodeHash), columns.FormatTime(r.ExpiresAt), columns.FormatTime(r.CreatedAt)}
}

// CreateAuthzRequest stores a new authorization request.
func (s *Store) CreateAuthzRequest(ctx context.Context, r store.AuthzRequest) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO authz_requests (`+authzRequestColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, authzRequestValues(r)...)
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
	r, err := scanAuthzRequest(s.queryRow(ctx, `SELECT `+authzRequestColumns+` FROM authz_requests WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return store.AuthzRequest{}, notFound(err, "authz request")
	}
	return r, nil
}

// UpdateAuthzRequest changes an authorization request in a transaction.
func (s *Store) UpdateAuthzRequest(ctx context.Context, orgID, id string, update func(*store.AuthzRequest) error) (store.AuthzRequest, error) {
	var out store.AuthzRequest
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		r, err := scanAuthzRequest(tx.QueryRowContext(ctx, `SELECT `+authzRequestColumns+` FROM authz_requests WHERE org_id = ? AND id = ?`, orgID, id))
		if err != nil {
			return notFound(err, "authz request")
		}
		fixed := r
		if err := update(&r); err != nil {
			return err
		}
		r.OrgID, r.ID, r.ClientID, r.CreatedAt = fixed.OrgID, fixed.ID, fixed.ClientID, fixed.CreatedAt
		if _, err := tx.ExecContext(ctx, `UPDATE authz_requests SET redirect_uri = ?, scopes = ?, state = ?, nonce = ?,
			response_type = ?, response_mode = ?, code_challenge = ?, code_challenge_method = ?, user_id = ?, auth_time = ?,
			code_hash = ?, expires_at = ? WHERE org_id = ? AND id = ?`,
			r.RedirectURI, columns.EncodeJSON(columns.NonNilStrings(r.Scopes)), r.State, r.Nonce, r.ResponseType, r.ResponseMode,
			r.CodeChallenge, r.CodeChallengeMethod, r.UserID, columns.FormatTime(r.AuthTime), columns.NonNilBytes(r.CodeHash),
			columns.FormatTime(r.ExpiresAt), orgID, id); err != nil {
			return fmt.Errorf("updating authz request: %w", err)
		}
		out, err = scanAuthzRequest(tx.QueryRowContext(ctx, `SELECT `+authzRequestColumns+` FROM authz_requests WHERE org_id = ? AND id = ?`, orgID, id))
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

const authzTokenColumns = `org_id, id, kind, hash, grant_id, client_id, user_id, scopes, auth_time, expires_at, created_at`

func insertAuthzTokens(ctx context.Context, tx *sql.Tx, orgID string, tokens []store.AuthzToken) error {
	for _, t := range tokens {
		if t.OrgID != orgID {
			return fmt.Errorf("authz token %q belongs to org %q, not %q: store each org's tokens apart", t.ID, t.OrgID, orgID)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO authz_tokens (`+authzTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.OrgID, t.ID, t.Kind, columns.NonNilBytes(t.Hash), t.GrantID, t.ClientID, t.UserID,
			columns.EncodeJSON(columns.NonNilStrings(t.Scopes)), columns.FormatTime(t.AuthTime), columns.FormatTime(t.ExpiresAt),
			columns.FormatTime(t.CreatedAt))
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

// RotateAuthzRefreshToken replaces a refresh token with new tokens.
func (s *Store) RotateAuthzRefreshToken(ctx context.Context, orgID, oldID string, tokens []store.AuthzToken) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM authz_tokens WHERE org_id = ? AND id = ? AND kind = ?`,
			orgID, oldID, store.AuthzRefreshToken)
		if err != nil {
			return fmt.Errorf("deleting refresh token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("refresh token: %w", store.ErrNotFound)
		}
		return insertAuthzTokens(ctx, tx, orgID, tokens)
	})
}

// GetAuthzToken returns a token record.
func (s *Store) GetAuthzToken(ctx context.Context, orgID, id string) (store.AuthzToken, error) {
	var t store.AuthzToken
	var scopes, authTime, expires, created string
	err := s.queryRow(ctx, `SELECT `+authzTokenColumns+` FROM authz_tokens WHERE org_id = ? AND id = ?`, orgID, id).
		Scan(&t.OrgID, &t.ID, &t.Kind, &t.Hash, &t.GrantID, &t.ClientID, &t.UserID, &scopes, &authTime, &expires, &created)
	if err != nil {
		return store.AuthzToken{}, notFound(err, "authz token")
	}
	t.Hash = columns.NilIfEmpty(t.Hash)
	t.Scopes = columns.DecodeStrings(scopes)
	t.AuthTime, t.ExpiresAt, t.CreatedAt = columns.ParseTime(authTime), columns.ParseTime(expires), columns.ParseTime(created)
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
	_, err := s.db.ExecContext(ctx, `INSERT INTO authz_signing_keys (org_id, id, algorithm, private_key_sealed, public_key_jwk, created_at)
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
	rows, err := s.db.QueryContext(ctx, `SELECT org_id, id, algorithm, private_key_sealed, public_key_jwk, created_at
		FROM authz_signing_keys WHERE ? = '' OR org_id = ? ORDER BY created_at DESC, org_id, id`, orgID, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing authz signing keys: %w", err)
	}
	defer rows.Close()
	var out []store.AuthzSigningKey
	for rows.Next() {
		var k store.AuthzSigningKey
		var created string
		if err := rows.Scan(&k.OrgID, &k.ID, &k.Algorithm, &k.PrivateKeySealed, &k.PublicKeyJWK, &created); err != nil {
			return nil, fmt.Errorf("reading authz signing key: %w", err)
		}
		k.CreatedAt = columns.ParseTime(created)
		out = append(out, k)
	}
	return out, rows.Err()
}
