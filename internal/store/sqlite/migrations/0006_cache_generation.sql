-- Each org's cache generation grows with every committed change to the
-- org's users, API tokens, services, applications, connections or
-- credentials. Instances cache those rows in memory and drop their copies
-- when the generation they read differs from the one the copies were read
-- at. Triggers bump it, so the bump commits in the same transaction as the
-- change. The copies may carry an out-of-date last_used_at of an API token
-- or refresh lease of a credential, so recording a use or claiming a lease
-- does not bump it.
CREATE TABLE cache_generations (
    org_id     TEXT NOT NULL PRIMARY KEY,
    generation INTEGER NOT NULL
);

CREATE TRIGGER users_cache_generation_insert AFTER INSERT ON users BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER users_cache_generation_update AFTER UPDATE ON users BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER users_cache_generation_delete AFTER DELETE ON users BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (OLD.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER services_cache_generation_insert AFTER INSERT ON services BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER services_cache_generation_update AFTER UPDATE ON services BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER services_cache_generation_delete AFTER DELETE ON services BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (OLD.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER applications_cache_generation_insert AFTER INSERT ON applications BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER applications_cache_generation_update AFTER UPDATE ON applications BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER applications_cache_generation_delete AFTER DELETE ON applications BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (OLD.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER connections_cache_generation_insert AFTER INSERT ON connections BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER connections_cache_generation_update AFTER UPDATE ON connections BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER connections_cache_generation_delete AFTER DELETE ON connections BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (OLD.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER credentials_cache_generation_insert AFTER INSERT ON credentials BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

-- Claiming or releasing a refresh lease alone does not bump. A column added
-- to credentials later is tracked only once a migration recreates this
-- trigger with it.
CREATE TRIGGER credentials_cache_generation_update AFTER UPDATE ON credentials
    WHEN (OLD.status, OLD.access_token_sealed, OLD.refresh_token_sealed, OLD.secrets_sealed,
        OLD.token_type, OLD.expiry, OLD.granted_scopes, OLD.extras, OLD.last_error,
        OLD.last_error_class, OLD.last_error_at, OLD.connected_at, OLD.refreshed_at,
        OLD.updated_at) IS NOT (NEW.status, NEW.access_token_sealed, NEW.refresh_token_sealed,
        NEW.secrets_sealed, NEW.token_type, NEW.expiry, NEW.granted_scopes, NEW.extras,
        NEW.last_error, NEW.last_error_class, NEW.last_error_at, NEW.connected_at,
        NEW.refreshed_at, NEW.updated_at) BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER credentials_cache_generation_delete AFTER DELETE ON credentials BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (OLD.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER api_tokens_cache_generation_insert AFTER INSERT ON api_tokens BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER api_tokens_cache_generation_update AFTER UPDATE OF user_id, name, hash, permissions ON api_tokens BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (NEW.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER api_tokens_cache_generation_delete AFTER DELETE ON api_tokens BEGIN
    INSERT INTO cache_generations (org_id, generation) VALUES (OLD.org_id, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = generation + 1;
END;
