-- plugboard's own OAuth 2.0 authorization server: its clients, pending
-- authorization requests, issued tokens and signing keys. Tokens and codes
-- are stored as SHA-256 hashes and private keys sealed.

CREATE TABLE authz_clients (
    org_id         TEXT NOT NULL REFERENCES orgs (id),
    id             TEXT NOT NULL,
    name           TEXT NOT NULL,
    application_id TEXT NOT NULL DEFAULT '',
    secret_hash    BLOB NOT NULL DEFAULT x'',
    redirect_uris  TEXT NOT NULL DEFAULT '[]',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE authz_requests (
    org_id                TEXT NOT NULL,
    id                    TEXT NOT NULL,
    client_id             TEXT NOT NULL,
    redirect_uri          TEXT NOT NULL,
    scopes                TEXT NOT NULL DEFAULT '[]',
    state                 TEXT NOT NULL DEFAULT '',
    nonce                 TEXT NOT NULL DEFAULT '',
    response_type         TEXT NOT NULL,
    response_mode         TEXT NOT NULL DEFAULT '',
    code_challenge        TEXT NOT NULL DEFAULT '',
    code_challenge_method TEXT NOT NULL DEFAULT '',
    user_id               TEXT NOT NULL DEFAULT '',
    auth_time             TEXT NOT NULL DEFAULT '',
    code_hash             BLOB NOT NULL DEFAULT x'',
    expires_at            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    grant_id              TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, client_id) REFERENCES authz_clients (org_id, id) ON DELETE CASCADE
);
CREATE INDEX authz_requests_expiry ON authz_requests (expires_at);

CREATE TABLE authz_tokens (
    org_id     TEXT NOT NULL,
    id         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    hash       BLOB NOT NULL,
    grant_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    scopes     TEXT NOT NULL DEFAULT '[]',
    auth_time  TEXT NOT NULL DEFAULT '',
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, client_id) REFERENCES authz_clients (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX authz_tokens_grant ON authz_tokens (org_id, grant_id);
CREATE INDEX authz_tokens_expiry ON authz_tokens (expires_at);

CREATE TABLE authz_signing_keys (
    org_id             TEXT NOT NULL REFERENCES orgs (id),
    id                 TEXT NOT NULL,
    algorithm          TEXT NOT NULL,
    private_key_sealed TEXT NOT NULL,
    public_key_jwk     TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);
