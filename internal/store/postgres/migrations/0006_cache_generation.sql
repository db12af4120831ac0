-- Each org's cache generation grows with every committed change to the
-- org's users, API tokens, services, applications, connections or
-- credentials. Instances cache those rows in memory and drop their copies
-- when the generation they read differs from the one the copies were read
-- at. The copies may carry an out-of-date last_used_at of an API token or
-- refresh lease of a credential, so recording a use or claiming a lease
-- does not bump it.
CREATE TABLE cache_generations (
    org_id     TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    generation BIGINT NOT NULL
);

-- The triggers are deferred to commit, so a transaction locks its org's
-- generation row last and holds it only while committing: two writers that
-- lock rows in different orders cannot deadlock on it. A transaction bumps
-- each org once, however many rows it changes; a transaction-local setting
-- records the orgs it has bumped, named by the MD5 of the org ID because a
-- setting's name allows only letters, digits and underscores.
CREATE FUNCTION bump_cache_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    org TEXT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        org := OLD.org_id;
    ELSE
        org := NEW.org_id;
    END IF;
    IF current_setting('plugboard.cache_bumped_' || md5(org), true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO cache_generations (org_id, generation) VALUES (org, 1)
        ON CONFLICT (org_id) DO UPDATE SET generation = cache_generations.generation + 1;
    PERFORM set_config('plugboard.cache_bumped_' || md5(org), 'on', true);
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER users_cache_generation AFTER INSERT OR UPDATE OR DELETE ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE CONSTRAINT TRIGGER services_cache_generation AFTER INSERT OR UPDATE OR DELETE ON services
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE CONSTRAINT TRIGGER applications_cache_generation AFTER INSERT OR UPDATE OR DELETE ON applications
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE CONSTRAINT TRIGGER connections_cache_generation AFTER INSERT OR UPDATE OR DELETE ON connections
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE CONSTRAINT TRIGGER credentials_cache_generation AFTER INSERT OR DELETE ON credentials
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
-- Claiming or releasing a refresh lease alone does not bump. A column added
-- to credentials later is tracked only once a migration recreates this
-- trigger with it.
CREATE CONSTRAINT TRIGGER credentials_cache_generation_update AFTER UPDATE ON credentials
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.status, OLD.access_token_sealed, OLD.refresh_token_sealed, OLD.secrets_sealed,
          OLD.token_type, OLD.expiry, OLD.granted_scopes, OLD.extras, OLD.last_error,
          OLD.last_error_class, OLD.last_error_at, OLD.connected_at, OLD.refreshed_at,
          OLD.updated_at) IS DISTINCT FROM (NEW.status, NEW.access_token_sealed,
          NEW.refresh_token_sealed, NEW.secrets_sealed, NEW.token_type, NEW.expiry,
          NEW.granted_scopes, NEW.extras, NEW.last_error, NEW.last_error_class, NEW.last_error_at,
          NEW.connected_at, NEW.refreshed_at, NEW.updated_at))
    EXECUTE FUNCTION bump_cache_generation();
CREATE CONSTRAINT TRIGGER api_tokens_cache_generation AFTER INSERT OR DELETE ON api_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_cache_generation();
CREATE CONSTRAINT TRIGGER api_tokens_cache_generation_update AFTER UPDATE ON api_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.user_id, OLD.name, OLD.hash, OLD.permissions) IS DISTINCT FROM (NEW.user_id, NEW.name, NEW.hash, NEW.permissions))
    EXECUTE FUNCTION bump_cache_generation();
