-- Functions: scripts members run on demand. connections is the JSON list of
-- link names the script names in invokeurl's connection key; link names
-- never change, so the list stays valid while the connections exist.
CREATE TABLE functions (
    org_id      TEXT COLLATE "C" NOT NULL REFERENCES orgs (id),
    id          TEXT COLLATE "C" NOT NULL,
    name        TEXT COLLATE "C" NOT NULL,
    language    TEXT COLLATE "C" NOT NULL,
    script      TEXT COLLATE "C" NOT NULL,
    connections TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    created_by  TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL,
    updated_at  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);
