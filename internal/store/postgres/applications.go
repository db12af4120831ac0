package postgres

import (
	"context"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

const applicationColumns = `org_id, id, service_key, name, client_id, client_secret_sealed, is_default, created_at, updated_at`

func scanApplication(row pgx.Row) (store.Application, error) {
	var a store.Application
	var created, updated string
	if err := row.Scan(&a.OrgID, &a.ID, &a.ServiceKey, &a.Name, &a.ClientID, &a.ClientSecretSealed, &a.Default, &created, &updated); err != nil {
		return store.Application{}, err
	}
	a.CreatedAt = columns.ParseTime(created)
	a.UpdatedAt = columns.ParseTime(updated)
	return a, nil
}

// CreateApplication inserts an application. When it is the default, the
// service's other applications stop being default in the same transaction.
// A custom service is locked first, as CreateConnection locks it, and a
// *store.ReferenceError returned when a.RequireCustomService is set and
// the service is gone.
func (s *Store) CreateApplication(ctx context.Context, a store.Application) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockCustomService(ctx, tx, a.OrgID, a.ServiceKey, a.RequireCustomService); err != nil {
			return err
		}
		if a.Default {
			if err := clearDefault(ctx, tx, a.OrgID, a.ServiceKey, a.ID); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO applications (`+applicationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			a.OrgID, a.ID, a.ServiceKey, a.Name, a.ClientID, a.ClientSecretSealed, a.Default,
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

// clearDefault clears the default flag of the service's applications other
// than exceptID. It first takes a transaction-scoped advisory lock on the
// org and service, so two transactions that each make an application the
// default run one after the other. The second one's UPDATE then reads the
// first one's committed application and clears it, so at most one stays
// default.
func clearDefault(ctx context.Context, tx pgx.Tx, orgID, serviceKey, exceptID string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('applications default ' || $1 || ' ' || $2, 0))`,
		orgID, serviceKey); err != nil {
		return fmt.Errorf("locking default application of service %q: %w", serviceKey, err)
	}
	_, err := tx.Exec(ctx, `UPDATE applications SET is_default = FALSE WHERE org_id = $1 AND service_key = $2 AND id <> $3 AND is_default`,
		orgID, serviceKey, exceptID)
	if err != nil {
		return fmt.Errorf("clearing default application of service %q: %w", serviceKey, err)
	}
	return nil
}

// GetApplication returns an application by ID.
func (s *Store) GetApplication(ctx context.Context, orgID, id string) (store.Application, error) {
	a, err := scanApplication(s.pool.QueryRow(ctx, `SELECT `+applicationColumns+` FROM applications WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return store.Application{}, notFound(err, "application %q", id)
	}
	return a, nil
}

// ListApplications lists applications by creation time, then ID.
func (s *Store) ListApplications(ctx context.Context, orgID, serviceKey string) ([]store.Application, error) {
	var args queryArgs
	query := `SELECT ` + applicationColumns + ` FROM applications WHERE org_id = ` + args.add(orgID)
	if serviceKey != "" {
		query += ` AND service_key = ` + args.add(serviceKey)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing applications: %w", err)
	}
	return collectRows(rows, scanApplication, "application")
}

// UpdateApplication runs update on an application whose row it locks,
// stores the result and returns the stored application. The org, ID,
// service and creation time cannot change.
func (s *Store) UpdateApplication(ctx context.Context, orgID, id string, update func(*store.Application) error) (store.Application, error) {
	var result store.Application
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		const query = `SELECT ` + applicationColumns + ` FROM applications WHERE org_id = $1 AND id = $2`
		current, err := scanApplication(tx.QueryRow(ctx, query+` FOR UPDATE`, orgID, id))
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
		if _, err := tx.Exec(ctx, `UPDATE applications SET name = $1, client_id = $2, client_secret_sealed = $3, is_default = $4,
			updated_at = $5 WHERE org_id = $6 AND id = $7`,
			a.Name, a.ClientID, a.ClientSecretSealed, a.Default, columns.FormatTime(a.UpdatedAt), orgID, id); err != nil {
			return fmt.Errorf("updating application %q: %w", id, err)
		}
		if result, err = scanApplication(tx.QueryRow(ctx, query, orgID, id)); err != nil {
			return fmt.Errorf("reading updated application %q: %w", id, err)
		}
		return nil
	})
	return result, err
}

// DeleteApplication deletes an application no connection uses. It counts
// the uses under the application's row lock, which a connection that names
// the application waits for.
func (s *Store) DeleteApplication(ctx context.Context, orgID, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT id FROM applications WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, id); err != nil {
			return fmt.Errorf("locking application %q: %w", id, err)
		}
		var uses int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM connections WHERE org_id = $1 AND application_id = $2`, orgID, id).Scan(&uses); err != nil {
			return fmt.Errorf("counting uses of application %q: %w", id, err)
		}
		if uses > 0 {
			return fmt.Errorf("application %q: %w", id, store.ErrInUse)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM applications WHERE org_id = $1 AND id = $2`, orgID, id)
		if err != nil {
			return fmt.Errorf("deleting application %q: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("application %q: %w", id, store.ErrNotFound)
		}
		return nil
	})
}
