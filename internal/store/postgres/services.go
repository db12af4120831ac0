package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

// CreateService inserts a custom service.
func (s *Store) CreateService(ctx context.Context, svc store.CustomService) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO services (org_id, key, definition, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		svc.OrgID, svc.Service.Key, columns.EncodeJSON(svc.Service), svc.CreatedBy, columns.FormatTime(svc.CreatedAt), columns.FormatTime(svc.UpdatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("service %q: %w", svc.Service.Key, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting service %q: %w", svc.Service.Key, err)
	}
	return nil
}

const serviceColumns = `org_id, definition, created_by, created_at, updated_at`

func scanService(row pgx.Row) (store.CustomService, error) {
	var svc store.CustomService
	var definition, created, updated string
	if err := row.Scan(&svc.OrgID, &definition, &svc.CreatedBy, &created, &updated); err != nil {
		return store.CustomService{}, err
	}
	if err := json.Unmarshal([]byte(definition), &svc.Service); err != nil {
		return store.CustomService{}, fmt.Errorf("decoding service definition: %w", err)
	}
	svc.CreatedAt = columns.ParseTime(created)
	svc.UpdatedAt = columns.ParseTime(updated)
	return svc, nil
}

// GetService returns a custom service by key.
func (s *Store) GetService(ctx context.Context, orgID, key string) (store.CustomService, error) {
	svc, err := scanService(s.pool.QueryRow(ctx, `SELECT `+serviceColumns+` FROM services WHERE org_id = $1 AND key = $2`, orgID, key))
	if err != nil {
		return store.CustomService{}, notFound(err, "service %q", key)
	}
	return svc, nil
}

// ListServices returns an org's custom services in key order.
func (s *Store) ListServices(ctx context.Context, orgID string) ([]store.CustomService, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+serviceColumns+` FROM services WHERE org_id = $1 ORDER BY key`, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing services: %w", err)
	}
	return collectRows(rows, scanService, "service")
}

// UpdateService runs update on a custom service whose row it locks, stores
// the result and returns the stored service. The org, key, creator and
// creation time cannot change.
func (s *Store) UpdateService(ctx context.Context, orgID, key string, update func(*store.CustomService) error) (store.CustomService, error) {
	var result store.CustomService
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		const query = `SELECT ` + serviceColumns + ` FROM services WHERE org_id = $1 AND key = $2`
		svc, err := scanService(tx.QueryRow(ctx, query+` FOR UPDATE`, orgID, key))
		if err != nil {
			return notFound(err, "service %q", key)
		}
		if err := update(&svc); err != nil {
			return err
		}
		svc.Service.Key = key
		if _, err := tx.Exec(ctx, `UPDATE services SET definition = $1, updated_at = $2 WHERE org_id = $3 AND key = $4`,
			columns.EncodeJSON(svc.Service), columns.FormatTime(svc.UpdatedAt), orgID, key); err != nil {
			return fmt.Errorf("updating service %q: %w", key, err)
		}
		if result, err = scanService(tx.QueryRow(ctx, query, orgID, key)); err != nil {
			return fmt.Errorf("reading updated service %q: %w", key, err)
		}
		return nil
	})
	return result, err
}

// DeleteService deletes a custom service that no application or connection
// uses. The uses are counted under the service's row lock, which a new
// application or connection of the service waits for.
func (s *Store) DeleteService(ctx context.Context, orgID, key string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// Uses are counted before the existence check, as in the SQLite
		// backend, so a catalog service's key in use reports ErrInUse.
		if _, err := tx.Exec(ctx, `SELECT key FROM services WHERE org_id = $1 AND key = $2 FOR UPDATE`, orgID, key); err != nil {
			return fmt.Errorf("locking service %q: %w", key, err)
		}
		var uses int
		if err := tx.QueryRow(ctx, `SELECT
			(SELECT COUNT(*) FROM connections WHERE org_id = $1 AND service_key = $2) +
			(SELECT COUNT(*) FROM applications WHERE org_id = $1 AND service_key = $2)`,
			orgID, key).Scan(&uses); err != nil {
			return fmt.Errorf("counting uses of service %q: %w", key, err)
		}
		if uses > 0 {
			return fmt.Errorf("service %q: %w", key, store.ErrInUse)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM services WHERE org_id = $1 AND key = $2`, orgID, key)
		if err != nil {
			return fmt.Errorf("deleting service %q: %w", key, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("service %q: %w", key, store.ErrNotFound)
		}
		return nil
	})
}
