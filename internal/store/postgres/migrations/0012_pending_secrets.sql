-- A new API token or webhook signing secret waits here, sealed, for its one
-- display on the page that the creating form redirects to. The row belongs
-- to the web session that made the secret, is deleted when that page first
-- reads it, and expires a few minutes after creation.
CREATE TABLE pending_secrets (
    org_id       TEXT COLLATE "C" NOT NULL,
    id           TEXT COLLATE "C" NOT NULL,
    session_id   TEXT COLLATE "C" NOT NULL,
    kind         TEXT COLLATE "C" NOT NULL,
    subject      TEXT COLLATE "C" NOT NULL,
    value_sealed TEXT COLLATE "C" NOT NULL,
    created_at   TEXT COLLATE "C" NOT NULL,
    expires_at   TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, session_id) REFERENCES web_sessions (org_id, id) ON DELETE CASCADE
);
CREATE INDEX pending_secrets_session ON pending_secrets (org_id, session_id);
CREATE INDEX pending_secrets_expiry ON pending_secrets (expires_at);
