-- Each org's cache generation grows with every committed change to the
-- org's users, API tokens, services, applications, connections or
-- credentials. Instances cache those rows in memory and drop their copies
-- when the generation they read differs from the one the copies were read
-- at. Triggers bump it, so the bump commits in the same transaction as the
-- change. An API token's last_used_at is not cached, so recording a use
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

CREATE TRIGGER credentials_cache_generation_update AFTER UPDATE ON credentials BEGIN
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
