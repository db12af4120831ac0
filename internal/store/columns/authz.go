package columns

import "github.com/plugboard/plugboard/internal/store"

// Row is a result row of either backend: *sql.Row, *sql.Rows, pgx.Row or
// pgx.Rows.
type Row interface {
	Scan(dest ...any) error
}

// AuthzRequestColumns are the columns of authz_requests in the order that
// AuthzRequestArgs and ScanAuthzRequest use.
const AuthzRequestColumns = `org_id, id, client_id, redirect_uri, scopes, state, nonce, response_type, response_mode,
	code_challenge, code_challenge_method, user_id, auth_time, code_hash, expires_at, created_at, grant_id`

// AuthzRequestArgs returns the column values of r.
func AuthzRequestArgs(r store.AuthzRequest) []any {
	return []any{r.OrgID, r.ID, r.ClientID, r.RedirectURI, EncodeJSON(NonNilStrings(r.Scopes)), r.State, r.Nonce,
		r.ResponseType, r.ResponseMode, r.CodeChallenge, r.CodeChallengeMethod, r.UserID, FormatTime(r.AuthTime),
		NonNilBytes(r.CodeHash), FormatTime(r.ExpiresAt), FormatTime(r.CreatedAt), r.GrantID}
}

// ScanAuthzRequest reads a row of AuthzRequestColumns.
func ScanAuthzRequest(row Row) (store.AuthzRequest, error) {
	var r store.AuthzRequest
	var scopes, authTime, expires, created string
	if err := row.Scan(&r.OrgID, &r.ID, &r.ClientID, &r.RedirectURI, &scopes, &r.State, &r.Nonce, &r.ResponseType,
		&r.ResponseMode, &r.CodeChallenge, &r.CodeChallengeMethod, &r.UserID, &authTime, &r.CodeHash, &expires, &created,
		&r.GrantID); err != nil {
		return store.AuthzRequest{}, err
	}
	r.Scopes = DecodeStrings(scopes)
	r.CodeHash = NilIfEmpty(r.CodeHash)
	r.AuthTime, r.ExpiresAt, r.CreatedAt = ParseTime(authTime), ParseTime(expires), ParseTime(created)
	return r, nil
}

// AuthzTokenColumns are the columns of authz_tokens in the order that
// AuthzTokenArgs and ScanAuthzToken use.
const AuthzTokenColumns = `org_id, id, kind, hash, grant_id, client_id, user_id, scopes, auth_time, expires_at, created_at`

// AuthzTokenArgs returns the column values of t.
func AuthzTokenArgs(t store.AuthzToken) []any {
	return []any{t.OrgID, t.ID, t.Kind, NonNilBytes(t.Hash), t.GrantID, t.ClientID, t.UserID,
		EncodeJSON(NonNilStrings(t.Scopes)), FormatTime(t.AuthTime), FormatTime(t.ExpiresAt), FormatTime(t.CreatedAt)}
}

// ScanAuthzToken reads a row of AuthzTokenColumns.
func ScanAuthzToken(row Row) (store.AuthzToken, error) {
	var t store.AuthzToken
	var scopes, authTime, expires, created string
	if err := row.Scan(&t.OrgID, &t.ID, &t.Kind, &t.Hash, &t.GrantID, &t.ClientID, &t.UserID, &scopes, &authTime, &expires, &created); err != nil {
		return store.AuthzToken{}, err
	}
	t.Hash = NilIfEmpty(t.Hash)
	t.Scopes = DecodeStrings(scopes)
	t.AuthTime, t.ExpiresAt, t.CreatedAt = ParseTime(authTime), ParseTime(expires), ParseTime(created)
	return t, nil
}

// AuthzClientColumns are the columns of authz_clients in the order that
// AuthzClientArgs and ScanAuthzClient use.
const AuthzClientColumns = `org_id, id, name, application_id, secret_hash, redirect_uris, created_at, updated_at`

// AuthzClientArgs returns the column values of c.
func AuthzClientArgs(c store.AuthzClient) []any {
	return []any{c.OrgID, c.ID, c.Name, c.ApplicationID, NonNilBytes(c.SecretHash), EncodeJSON(NonNilStrings(c.RedirectURIs)),
		FormatTime(c.CreatedAt), FormatTime(c.UpdatedAt)}
}

// ScanAuthzClient reads a row of AuthzClientColumns.
func ScanAuthzClient(row Row) (store.AuthzClient, error) {
	var c store.AuthzClient
	var uris, created, updated string
	if err := row.Scan(&c.OrgID, &c.ID, &c.Name, &c.ApplicationID, &c.SecretHash, &uris, &created, &updated); err != nil {
		return store.AuthzClient{}, err
	}
	c.SecretHash = NilIfEmpty(c.SecretHash)
	c.RedirectURIs = DecodeStrings(uris)
	c.CreatedAt, c.UpdatedAt = ParseTime(created), ParseTime(updated)
	return c, nil
}

// AuthzSigningKeyColumns are the columns of authz_signing_keys in the
// order that ScanAuthzSigningKey uses.
const AuthzSigningKeyColumns = `org_id, id, algorithm, private_key_sealed, public_key_jwk, created_at`

// ScanAuthzSigningKey reads a row of AuthzSigningKeyColumns.
func ScanAuthzSigningKey(row Row) (store.AuthzSigningKey, error) {
	var k store.AuthzSigningKey
	var created string
	if err := row.Scan(&k.OrgID, &k.ID, &k.Algorithm, &k.PrivateKeySealed, &k.PublicKeyJWK, &created); err != nil {
		return store.AuthzSigningKey{}, err
	}
	k.CreatedAt = ParseTime(created)
	return k, nil
}
