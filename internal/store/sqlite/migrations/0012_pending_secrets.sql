-- A new API token or webhook signing secret waits here, sealed, for its one
-- display on the page that the creating form redirects to. The row belongs
-- to the web session that made the secret, is deleted when that page first
-- reads it, and expires a few minutes after creation.
CREATE TABLE pending_secrets (
    org_id       TEXT NOT NULL,
    id           TEXT NOT NULL,
    session_id   TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    value_sealed TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, session_id) REFERENCES web_sessions (org_id, id) ON DELETE CASCADE
);
CREATE INDEX pending_secrets_session ON pending_secrets (org_id, session_id);
CREATE INDEX pending_secrets_expiry ON pending_secrets (expires_at);
