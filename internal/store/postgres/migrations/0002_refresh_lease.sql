-- A refresh lease marks the one caller that may send a credential's
-- refresh request, so the token request runs outside any transaction.
ALTER TABLE credentials ADD COLUMN refresh_lease_id TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE credentials ADD COLUMN refresh_lease_until TEXT COLLATE "C" NOT NULL DEFAULT '';
