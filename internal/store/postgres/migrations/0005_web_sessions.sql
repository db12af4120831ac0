-- Local passwords, browser sessions, failed sign-ins and connection use
-- times, for the web UI.

ALTER TABLE users ADD COLUMN password_hash TEXT COLLATE "C" NOT NULL DEFAULT '';

-- A session row is keyed by the hash of the cookie's secret.
CREATE TABLE web_sessions (
    org_id          TEXT COLLATE "C" NOT NULL,
    id                 TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C" NOT NULL,
    created_at      TEXT COLLATE "C" NOT NULL,
    last_seen_at    TEXT COLLATE "C" NOT NULL,
    idle_expires_at TEXT COLLATE "C" NOT NULL,
    expires_at      TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
CREATE INDEX web_sessions_user ON web_sessions (org_id, user_id);
CREATE INDEX web_sessions_idle_expiry ON web_sessions (idle_expires_at);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- One row per failed sign-in, keyed by what is limited: a username or a
-- remote address.
CREATE TABLE login_failures (
    org_id    TEXT COLLATE "C" NOT NULL,
    limit_key TEXT COLLATE "C" NOT NULL,
    id        TEXT COLLATE "C" NOT NULL,
    at        TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, limit_key, id)
);
CREATE INDEX login_failures_at ON login_failures (org_id, limit_key, at);
CREATE INDEX login_failures_sweep ON login_failures (at);

-- When each member last called through a connection, for the UI's "last
-- used" column. Written at most once a minute per member and instance.
CREATE TABLE connection_uses (
    org_id        TEXT COLLATE "C" NOT NULL,
    connection_id TEXT COLLATE "C" NOT NULL,
    user_id       TEXT COLLATE "C" NOT NULL,
    last_used_at  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, connection_id, user_id),
    FOREIGN KEY (org_id, connection_id) REFERENCES connections (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) ON DELETE CASCADE
);
