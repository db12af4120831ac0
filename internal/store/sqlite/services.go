package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"

	"github.com/plugboard/plugboard/internal/store"
)

// CreateService inserts a custom service.
func (s *Store) CreateService(ctx context.Context, svc store.CustomService) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO services (org_id, key, definition, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
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

func scanService(row interface{ Scan(...any) error }) (store.CustomService, error) {
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
	svc, err := scanService(s.queryRow(ctx, `SELECT `+serviceColumns+` FROM services WHERE org_id = ? AND key = ?`, orgID, key))
	if err != nil {
		return store.CustomService{}, notFound(err, "service %q", key)
	}
	return svc, nil
}

// ListServices returns an org's custom services in key order.
func (s *Store) ListServices(ctx context.Context, orgID string) ([]store.CustomService, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+serviceColumns+` FROM services WHERE org_id = ? ORDER BY key`, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing services: %w", err)
	}
	defer rows.Close()
	var out []store.CustomService
	for rows.Next() {
		svc, err := scanService(rows)
		if err != nil {
			return nil, fmt.Errorf("reading service: %w", err)
		}
		out = append(out, svc)
	}
	return out, rows.Err()
}

// UpdateService runs update on a custom service, stores the result and
// returns the stored service. The org, key, creator and creation time cannot
// change.
func (s *Store) UpdateService(ctx context.Context, orgID, key string, update func(*store.CustomService) error) (store.CustomService, error) {
	var result store.CustomService
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		const query = `SELECT ` + serviceColumns + ` FROM services WHERE org_id = ? AND key = ?`
		svc, err := scanService(tx.QueryRowContext(ctx, query, orgID, key))
		if err != nil {
			return notFound(err, "service %q", key)
		}
		if err := update(&svc); err != nil {
			return err
		}
		svc.Service.Key = key
		if _, err := tx.ExecContext(ctx, `UPDATE services SET definition = ?, updated_at = ? WHERE org_id = ? AND key = ?`,
			columns.EncodeJSON(svc.Service), columns.FormatTime(svc.UpdatedAt), orgID, key); err != nil {
			return fmt.Errorf("updating service %q: %w", key, err)
		}
		if result, err = scanService(tx.QueryRowContext(ctx, query, orgID, key)); err != nil {
			return fmt.Errorf("reading updated service %q: %w", key, err)
		}
		return nil
	})
	return result, err
}

// DeleteService deletes a custom service that no application or connection
// uses.
func (s *Store) DeleteService(ctx context.Context, orgID, key string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var uses int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM connections WHERE org_id = ? AND service_key = ?) +
			(SELECT COUNT(*) FROM applications WHERE org_id = ? AND service_key = ?)`,
			orgID, key, orgID, key).Scan(&uses); err != nil {
			return fmt.Errorf("counting uses of service %q: %w", key, err)
		}
		if uses > 0 {
			return fmt.Errorf("service %q: %w", key, store.ErrInUse)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM services WHERE org_id = ? AND key = ?`, orgID, key)
		if err != nil {
			return fmt.Errorf("deleting service %q: %w", key, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("service %q: %w", key, store.ErrNotFound)
		}
		return nil
	})
}
