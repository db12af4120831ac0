-- The data centre a connection of a service with regions talks to.
ALTER TABLE connections ADD COLUMN region TEXT COLLATE "C" NOT NULL DEFAULT '';
