-- Every table carries org_id, and every key includes it, so the schema can
-- be distributed by organization.

CREATE TABLE orgs (
    id         TEXT NOT NULL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    id         TEXT NOT NULL,
    username   TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, username)
);

CREATE TABLE api_tokens (
    org_id       TEXT NOT NULL,
    id           TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    hash         BLOB NOT NULL,
    permissions  TEXT NOT NULL DEFAULT '[]',
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);

CREATE TABLE services (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    key        TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE TABLE applications (
    org_id               TEXT NOT NULL REFERENCES orgs (id),
    id                   TEXT NOT NULL,
    service_key          TEXT NOT NULL,
    name                 TEXT NOT NULL,
    client_id            TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    is_default           INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX applications_service ON applications (org_id, service_key);

CREATE TABLE connections (
    org_id                     TEXT NOT NULL REFERENCES orgs (id),
    id                         TEXT NOT NULL,
    link_name                  TEXT NOT NULL,
    name                       TEXT NOT NULL,
    description                TEXT NOT NULL DEFAULT '',
    service_key                TEXT NOT NULL,
    application_id             TEXT NOT NULL DEFAULT '',
    scopes                     TEXT NOT NULL,
    use_login_user_credentials INTEGER NOT NULL DEFAULT 0,
    owner_id                   TEXT NOT NULL,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, link_name)
);
CREATE INDEX connections_service ON connections (org_id, service_key);
CREATE INDEX connections_application ON connections (org_id, application_id);

CREATE TABLE credentials (
    org_id               TEXT NOT NULL,
    connection_id        TEXT NOT NULL,
    user_id              TEXT NOT NULL,
    status               TEXT NOT NULL,
    access_token_sealed  TEXT NOT NULL DEFAULT '',
    refresh_token_sealed TEXT NOT NULL DEFAULT '',
    secrets_sealed       TEXT NOT NULL DEFAULT '',
    token_type           TEXT NOT NULL DEFAULT '',
    expiry               TEXT NOT NULL DEFAULT '',
    granted_scopes       TEXT NOT NULL DEFAULT '[]',
    extras               TEXT NOT NULL DEFAULT '{}',
    last_error           TEXT NOT NULL DEFAULT '',
    last_error_class     TEXT NOT NULL DEFAULT '',
    last_error_at        TEXT NOT NULL DEFAULT '',
    connected_at         TEXT NOT NULL DEFAULT '',
    refreshed_at         TEXT NOT NULL DEFAULT '',
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (org_id, connection_id, user_id),
    FOREIGN KEY (org_id, connection_id) REFERENCES connections (org_id, id) ON DELETE CASCADE
);

CREATE TABLE oauth_states (
    org_id          TEXT NOT NULL,
    id              TEXT NOT NULL,
    connection_id   TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    verifier_sealed TEXT NOT NULL DEFAULT '',
    return_to       TEXT NOT NULL DEFAULT '',
    expires_at      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, connection_id) REFERENCES connections (org_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
