-- plugboard's own OAuth 2.0 authorization server: its clients, pending
-- authorization requests, issued tokens and signing keys. Tokens and codes
-- are stored as SHA-256 hashes and private keys sealed.

CREATE TABLE authz_clients (
    org_id         TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    id             TEXT COLLATE "C" NOT NULL,
    name           TEXT COLLATE "C" NOT NULL,
    application_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    secret_hash    BYTEA NOT NULL DEFAULT ''::bytea,
    redirect_uris  TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    created_at     TEXT COLLATE "C" NOT NULL,
    updated_at     TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE authz_requests (
    org_id                TEXT COLLATE "C" NOT NULL,
    id                    TEXT COLLATE "C" NOT NULL,
    client_id             TEXT COLLATE "C" NOT NULL,
    redirect_uri          TEXT COLLATE "C" NOT NULL,
    scopes                TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    state                 TEXT COLLATE "C" NOT NULL DEFAULT '',
    nonce                 TEXT COLLATE "C" NOT NULL DEFAULT '',
    response_type         TEXT COLLATE "C" NOT NULL,
    response_mode         TEXT COLLATE "C" NOT NULL DEFAULT '',
    code_challenge        TEXT COLLATE "C" NOT NULL DEFAULT '',
    code_challenge_method TEXT COLLATE "C" NOT NULL DEFAULT '',
    user_id               TEXT COLLATE "C" NOT NULL DEFAULT '',
    auth_time             TEXT COLLATE "C" NOT NULL DEFAULT '',
    code_hash             BYTEA NOT NULL DEFAULT ''::bytea,
    expires_at            TEXT COLLATE "C" NOT NULL,
    created_at            TEXT COLLATE "C" NOT NULL,
    grant_id              TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, client_id) REFERENCES authz_clients (org_id, id) ON DELETE CASCADE
);
CREATE INDEX authz_requests_expiry ON authz_requests (expires_at);

CREATE TABLE authz_tokens (
    org_id     TEXT COLLATE "C" NOT NULL,
    id         TEXT COLLATE "C" NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL,
    hash       BYTEA NOT NULL,
    grant_id   TEXT COLLATE "C" NOT NULL,
    client_id  TEXT COLLATE "C" NOT NULL,
    user_id    TEXT COLLATE "C" NOT NULL,
    scopes     TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    auth_time  TEXT COLLATE "C" NOT NULL DEFAULT '',
    expires_at TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, client_id) REFERENCES authz_clients (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX authz_tokens_grant ON authz_tokens (org_id, grant_id);
CREATE INDEX authz_tokens_expiry ON authz_tokens (expires_at);

CREATE TABLE authz_signing_keys (
    org_id             TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    id                 TEXT COLLATE "C" NOT NULL,
    algorithm          TEXT COLLATE "C" NOT NULL,
    private_key_sealed TEXT COLLATE "C" NOT NULL,
    public_key_jwk     TEXT COLLATE "C" NOT NULL,
    created_at         TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id)
);
