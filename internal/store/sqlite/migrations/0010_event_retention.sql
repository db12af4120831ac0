-- Old events are deleted oldest first, across orgs.
CREATE INDEX events_created ON events (created_at);
