-- Functions: scripts members run on demand. connections is the JSON list of
-- link names the script names in invokeurl's connection key; link names
-- never change, so the list stays valid while the connections exist.
CREATE TABLE functions (
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    language    TEXT NOT NULL,
    script      TEXT NOT NULL,
    connections TEXT NOT NULL DEFAULT '[]',
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);
