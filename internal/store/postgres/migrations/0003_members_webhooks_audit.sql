-- Webhooks, the events that trigger them, their durable deliveries and the
-- audit log. As in every table, org_id leads each key.

CREATE TABLE webhooks (
    org_id        TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    id            TEXT COLLATE "C" NOT NULL,
    name          TEXT COLLATE "C" NOT NULL,
    url           TEXT COLLATE "C" NOT NULL,
    method        TEXT COLLATE "C" NOT NULL,
    headers       TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    body          TEXT COLLATE "C" NOT NULL DEFAULT '',
    connection_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    events        TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    max_attempts  BIGINT NOT NULL DEFAULT 0,
    secret_sealed TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_by    TEXT COLLATE "C" NOT NULL,
    created_at    TEXT COLLATE "C" NOT NULL,
    updated_at    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX webhooks_name ON webhooks (org_id, name, id);
CREATE INDEX webhooks_connection ON webhooks (org_id, connection_id);
CREATE INDEX webhooks_created_by ON webhooks (org_id, created_by);

CREATE TABLE events (
    org_id     TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    id         TEXT COLLATE "C" NOT NULL,
    type       TEXT COLLATE "C" NOT NULL,
    data       TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    source     TEXT COLLATE "C" NOT NULL,
    created_by TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id)
);

-- A delivery goes with its webhook. The lease columns are empty while no
-- worker holds the delivery.
CREATE TABLE deliveries (
    org_id             TEXT COLLATE "C" NOT NULL,
    id                 TEXT COLLATE "C" NOT NULL,
    webhook_id         TEXT COLLATE "C" NOT NULL,
    event_id           TEXT COLLATE "C" NOT NULL,
    status             TEXT COLLATE "C" NOT NULL,
    attempts           BIGINT NOT NULL DEFAULT 0,
    next_attempt_at    TEXT COLLATE "C" NOT NULL DEFAULT '',
    lease_owner        TEXT COLLATE "C" NOT NULL DEFAULT '',
    lease_until        TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_status_code   BIGINT NOT NULL DEFAULT 0,
    last_error         TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_duration_ns   BIGINT NOT NULL DEFAULT 0,
    last_response      TEXT COLLATE "C" NOT NULL DEFAULT '',
    created_at         TEXT COLLATE "C" NOT NULL,
    updated_at         TEXT COLLATE "C" NOT NULL,
    delivered_at       TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, event_id) REFERENCES events (org_id, id) ON DELETE CASCADE
);
CREATE INDEX deliveries_webhook ON deliveries (org_id, webhook_id, id);
CREATE INDEX deliveries_event ON deliveries (org_id, event_id);
-- The delivery worker's claim is the one query across orgs.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';

CREATE TABLE audit_entries (
    org_id        TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    id            TEXT COLLATE "C" NOT NULL,
    at            TEXT COLLATE "C" NOT NULL,
    actor_id      TEXT COLLATE "C" NOT NULL DEFAULT '',
    actor_name    TEXT COLLATE "C" NOT NULL DEFAULT '',
    action        TEXT COLLATE "C" NOT NULL,
    connection_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    link_name     TEXT COLLATE "C" NOT NULL DEFAULT '',
    target_type   TEXT COLLATE "C" NOT NULL DEFAULT '',
    target_id     TEXT COLLATE "C" NOT NULL DEFAULT '',
    detail        TEXT COLLATE "C" NOT NULL DEFAULT '{}',
    remote_addr   TEXT COLLATE "C" NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_entries_link_name ON audit_entries (org_id, link_name, id);
CREATE INDEX audit_entries_actor ON audit_entries (org_id, actor_id, id);

CREATE INDEX credentials_user ON credentials (org_id, user_id);
CREATE INDEX connections_owner ON connections (org_id, owner_id);
