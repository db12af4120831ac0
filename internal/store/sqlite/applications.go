package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"

	"github.com/plugboard/plugboard/internal/store"
)

const applicationColumns = `org_id, id, service_key, name, client_id, client_secret_sealed, is_default, created_at, updated_at`

func scanApplication(row interface{ Scan(...any) error }) (store.Application, error) {
	var a store.Application
	var isDefault int
	var created, updated string
	if err := row.Scan(&a.OrgID, &a.ID, &a.ServiceKey, &a.Name, &a.ClientID, &a.ClientSecretSealed, &isDefault, &created, &updated); err != nil {
		return store.Application{}, err
	}
	a.Default = isDefault != 0
	a.CreatedAt = columns.ParseTime(created)
	a.UpdatedAt = columns.ParseTime(updated)
	return a, nil
}

// CreateApplication inserts an application. When it is the default, the
// service's other applications stop being default in the same transaction.
// It fails with a *store.ReferenceError when a.RequireCustomService is set
// and the custom service does not exist.
func (s *Store) CreateApplication(ctx context.Context, a store.Application) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if a.RequireCustomService {
			if err := checkReference(ctx, tx, serviceExistsQuery, "service", a.OrgID, a.ServiceKey); err != nil {
				return err
			}
		}
		if a.Default {
			if err := clearDefault(ctx, tx, a.OrgID, a.ServiceKey, a.ID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO applications (`+applicationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.OrgID, a.ID, a.ServiceKey, a.Name, a.ClientID, a.ClientSecretSealed, boolInt(a.Default),
			columns.FormatTime(a.CreatedAt), columns.FormatTime(a.UpdatedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("application %q: %w", a.ID, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("inserting application %q: %w", a.Name, err)
		}
		return nil
	})
}

func clearDefault(ctx context.Context, tx *sql.Tx, orgID, serviceKey, exceptID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE applications SET is_default = 0 WHERE org_id = ? AND service_key = ? AND id <> ?`,
		orgID, serviceKey, exceptID)
	if err != nil {
		return fmt.Errorf("clearing default application of service %q: %w", serviceKey, err)
	}
	return nil
}

// GetApplication returns an application by ID.
func (s *Store) GetApplication(ctx context.Context, orgID, id string) (store.Application, error) {
	a, err := scanApplication(s.queryRow(ctx, `SELECT `+applicationColumns+` FROM applications WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return store.Application{}, notFound(err, "application %q", id)
	}
	return a, nil
}

// ListApplications lists applications by creation time.
func (s *Store) ListApplications(ctx context.Context, orgID, serviceKey string) ([]store.Application, error) {
	query := `SELECT ` + applicationColumns + ` FROM applications WHERE org_id = ?`
	args := []any{orgID}
	if serviceKey != "" {
		query += ` AND service_key = ?`
		args = append(args, serviceKey)
	}
	rows, err := s.db.QueryContext(ctx, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing applications: %w", err)
	}
	defer rows.Close()
	var out []store.Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, fmt.Errorf("reading application: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateApplication runs update on an application, stores the result and
// returns the stored application. The org, ID, service and creation time
// cannot change.
func (s *Store) UpdateApplication(ctx context.Context, orgID, id string, update func(*store.Application) error) (store.Application, error) {
	var result store.Application
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		const query = `SELECT ` + applicationColumns + ` FROM applications WHERE org_id = ? AND id = ?`
		current, err := scanApplication(tx.QueryRowContext(ctx, query, orgID, id))
		if err != nil {
			return notFound(err, "application %q", id)
		}
		a := current
		if err := update(&a); err != nil {
			return err
		}
		// Restored before clearDefault, which must clear the defaults of
		// this application's own service.
		a.OrgID, a.ID, a.ServiceKey, a.CreatedAt = current.OrgID, current.ID, current.ServiceKey, current.CreatedAt
		if a.Default {
			if err := clearDefault(ctx, tx, orgID, a.ServiceKey, id); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET name = ?, client_id = ?, client_secret_sealed = ?, is_default = ?, updated_at = ?
			WHERE org_id = ? AND id = ?`,
			a.Name, a.ClientID, a.ClientSecretSealed, boolInt(a.Default), columns.FormatTime(a.UpdatedAt), orgID, id); err != nil {
			return fmt.Errorf("updating application %q: %w", id, err)
		}
		if result, err = scanApplication(tx.QueryRowContext(ctx, query, orgID, id)); err != nil {
			return fmt.Errorf("reading updated application %q: %w", id, err)
		}
		return nil
	})
	return result, err
}

// DeleteApplication deletes an application no connection uses.
func (s *Store) DeleteApplication(ctx context.Context, orgID, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var uses int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM connections WHERE org_id = ? AND application_id = ?`, orgID, id).Scan(&uses); err != nil {
			return fmt.Errorf("counting uses of application %q: %w", id, err)
		}
		if uses > 0 {
			return fmt.Errorf("application %q: %w", id, store.ErrInUse)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM applications WHERE org_id = ? AND id = ?`, orgID, id)
		if err != nil {
			return fmt.Errorf("deleting application %q: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("application %q: %w", id, store.ErrNotFound)
		}
		return nil
	})
}
