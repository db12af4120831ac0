-- Every table carries org_id, and every key includes it, so the schema can
-- be distributed by organization.
--
-- Times are TEXT in one fixed-width UTC layout with nine fraction digits, so
-- text order is time order and nanoseconds survive (timestamptz keeps only
-- microseconds). The empty string is the zero time. JSON columns are TEXT, so
-- values round trip byte for byte. Text columns use the "C" collation, so
-- ORDER BY and range comparisons follow byte order whatever the database's
-- default collation is.

CREATE TABLE orgs (
    id         TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE users (
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    id         TEXT COLLATE "C" NOT NULL,
    username   TEXT COLLATE "C" NOT NULL,
    role       TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, username)
);

CREATE TABLE api_tokens (
    org_id       TEXT COLLATE "C" NOT NULL,
    id           TEXT COLLATE "C" NOT NULL,
    user_id      TEXT COLLATE "C" NOT NULL,
    name         TEXT COLLATE "C" NOT NULL,
    hash         BYTEA NOT NULL,
    permissions  TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    created_at   TEXT COLLATE "C" NOT NULL,
    last_used_at TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);

CREATE TABLE services (
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    key        TEXT COLLATE "C" NOT NULL,
    definition TEXT COLLATE "C" NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE TABLE applications (
    org_id               TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    id                   TEXT COLLATE "C" NOT NULL,
    service_key          TEXT COLLATE "C" NOT NULL,
    name                 TEXT COLLATE "C" NOT NULL,
    client_id            TEXT COLLATE "C" NOT NULL,
    client_secret_sealed TEXT COLLATE "C" NOT NULL,
    is_default           BOOLEAN NOT NULL DEFAULT FALSE,
    created_at           TEXT COLLATE "C" NOT NULL,
    updated_at           TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX applications_service ON applications (org_id, service_key);

CREATE TABLE connections (
    org_id                     TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    id                         TEXT COLLATE "C" NOT NULL,
    link_name                  TEXT COLLATE "C" NOT NULL,
    name                       TEXT COLLATE "C" NOT NULL,
    description                TEXT COLLATE "C" NOT NULL DEFAULT '',
    service_key                TEXT COLLATE "C" NOT NULL,
    application_id             TEXT COLLATE "C" NOT NULL DEFAULT '',
    scopes                     TEXT COLLATE "C" NOT NULL,
    use_login_user_credentials BOOLEAN NOT NULL DEFAULT FALSE,
    owner_id                   TEXT COLLATE "C" NOT NULL,
    created_at                 TEXT COLLATE "C" NOT NULL,
    updated_at                 TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, link_name)
);
CREATE INDEX connections_service ON connections (org_id, service_key);
CREATE INDEX connections_application ON connections (org_id, application_id);

CREATE TABLE credentials (
    org_id               TEXT COLLATE "C" NOT NULL,
    connection_id        TEXT COLLATE "C" NOT NULL,
    user_id              TEXT COLLATE "C" NOT NULL,
    status               TEXT COLLATE "C" NOT NULL,
    access_token_sealed  TEXT COLLATE "C" NOT NULL DEFAULT '',
    refresh_token_sealed TEXT COLLATE "C" NOT NULL DEFAULT '',
    secrets_sealed       TEXT COLLATE "C" NOT NULL DEFAULT '',
    token_type           TEXT COLLATE "C" NOT NULL DEFAULT '',
    expiry               TEXT COLLATE "C" NOT NULL DEFAULT '',
    granted_scopes       TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    extras               TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    last_error           TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_error_class     TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_error_at        TEXT COLLATE "C" NOT NULL DEFAULT '',
    connected_at         TEXT COLLATE "C" NOT NULL DEFAULT '',
    refreshed_at         TEXT COLLATE "C" NOT NULL DEFAULT '',
    updated_at           TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, connection_id, user_id),
    FOREIGN KEY (org_id, connection_id) REFERENCES connections (org_id, id) ON DELETE CASCADE
);

CREATE TABLE oauth_states (
    org_id          TEXT COLLATE "C" NOT NULL,
    id              TEXT COLLATE "C" NOT NULL,
    connection_id   TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C" NOT NULL,
    verifier_sealed TEXT COLLATE "C" NOT NULL DEFAULT '',
    return_to       TEXT COLLATE "C" NOT NULL DEFAULT '',
    expires_at      TEXT COLLATE "C" NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, connection_id) REFERENCES connections (org_id, id) ON DELETE CASCADE
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
