-- Webhooks, the events that trigger them, their durable deliveries and the
-- audit log. As in every table, org_id leads each key.

CREATE TABLE webhooks (
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    id            TEXT NOT NULL,
    name          TEXT NOT NULL,
    url           TEXT NOT NULL,
    method        TEXT NOT NULL,
    headers       TEXT NOT NULL DEFAULT '{}',
    body          TEXT NOT NULL DEFAULT '',
    connection_id TEXT NOT NULL DEFAULT '',
    events        TEXT NOT NULL DEFAULT '[]',
    enabled       INTEGER NOT NULL DEFAULT 1,
    max_attempts  INTEGER NOT NULL DEFAULT 0,
    secret_sealed TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX webhooks_name ON webhooks (org_id, name, id);
CREATE INDEX webhooks_connection ON webhooks (org_id, connection_id);
CREATE INDEX webhooks_created_by ON webhooks (org_id, created_by);

CREATE TABLE events (
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    id         TEXT NOT NULL,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    source     TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- A delivery goes with its webhook. The lease columns are empty while no
-- worker holds the delivery.
CREATE TABLE deliveries (
    org_id             TEXT NOT NULL,
    id                 TEXT NOT NULL,
    webhook_id         TEXT NOT NULL,
    event_id           TEXT NOT NULL,
    status             TEXT NOT NULL,
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    TEXT NOT NULL DEFAULT '',
    lease_owner        TEXT NOT NULL DEFAULT '',
    lease_until        TEXT NOT NULL DEFAULT '',
    last_status_code   INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT NOT NULL DEFAULT '',
    last_duration_ns   INTEGER NOT NULL DEFAULT 0,
    last_response      TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    delivered_at       TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, event_id) REFERENCES events (org_id, id) ON DELETE CASCADE
);
CREATE INDEX deliveries_webhook ON deliveries (org_id, webhook_id, id);
CREATE INDEX deliveries_event ON deliveries (org_id, event_id);
-- The delivery worker's claim is the one query across orgs.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';

CREATE TABLE audit_entries (
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    id            TEXT NOT NULL,
    at            TEXT NOT NULL,
    actor_id      TEXT NOT NULL DEFAULT '',
    actor_name    TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL,
    connection_id TEXT NOT NULL DEFAULT '',
    link_name     TEXT NOT NULL DEFAULT '',
    target_type   TEXT NOT NULL DEFAULT '',
    target_id     TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '{}',
    remote_addr   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_entries_link_name ON audit_entries (org_id, link_name, id);
CREATE INDEX audit_entries_actor ON audit_entries (org_id, actor_id, id);

CREATE INDEX credentials_user ON credentials (org_id, user_id);
CREATE INDEX connections_owner ON connections (org_id, owner_id);
