package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/columns"
)

const functionColumns = `org_id, id, name, language, script, connections, created_by, created_at, updated_at`

func scanFunction(row pgx.Row) (store.Function, error) {
	var f store.Function
	var conns, created, updated string
	if err := row.Scan(&f.OrgID, &f.ID, &f.Name, &f.Language, &f.Script, &conns, &f.CreatedBy, &created, &updated); err != nil {
		return store.Function{}, err
	}
	f.Connections = columns.DecodeStrings(conns)
	f.CreatedAt = columns.ParseTime(created)
	f.UpdatedAt = columns.ParseTime(updated)
	return f, nil
}

// CreateFunction inserts a function.
func (s *Store) CreateFunction(ctx context.Context, f store.Function) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO functions (`+functionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		f.OrgID, f.ID, f.Name, f.Language, f.Script, columns.EncodeJSON(nonNil(f.Connections)), f.CreatedBy,
		columns.FormatTime(f.CreatedAt), columns.FormatTime(f.UpdatedAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("function %q: %w", f.Name, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting function %q: %w", f.Name, err)
	}
	return nil
}

// GetFunction returns a function by name.
func (s *Store) GetFunction(ctx context.Context, orgID, name string) (store.Function, error) {
	f, err := scanFunction(s.pool.QueryRow(ctx, `SELECT `+functionColumns+` FROM functions WHERE org_id = $1 AND name = $2`, orgID, name))
	if err != nil {
		return store.Function{}, notFound(err, "function %q", name)
	}
	return f, nil
}

// ListFunctions lists functions by name. The connection filter compares the
// elements of the JSON list of link names exactly, through
// jsonb_array_elements_text.
func (s *Store) ListFunctions(ctx context.Context, orgID string, opts store.ListFunctionsOptions) ([]store.Function, error) {
	var args queryArgs
	query := `SELECT ` + functionColumns + ` FROM functions WHERE org_id = ` + args.add(orgID)
	if opts.Connection != "" {
		query += ` AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(functions.connections::jsonb) AS conn (link)
			WHERE conn.link = ` + args.add(opts.Connection) + `)`
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing functions: %w", err)
	}
	return collectRows(rows, scanFunction, "function")
}

// UpdateFunction runs update on a function whose row it locks, stores the
// result and returns the stored function.
func (s *Store) UpdateFunction(ctx context.Context, orgID, name string, update func(*store.Function) error) (store.Function, error) {
	var result store.Function
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		current, err := scanFunction(tx.QueryRow(ctx,
			`SELECT `+functionColumns+` FROM functions WHERE org_id = $1 AND name = $2 FOR UPDATE`, orgID, name))
		if err != nil {
			return notFound(err, "function %q", name)
		}
		f := current
		if err := update(&f); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE functions SET name = $1, language = $2, script = $3, connections = $4, updated_at = $5
			WHERE org_id = $6 AND id = $7`,
			f.Name, f.Language, f.Script, columns.EncodeJSON(nonNil(f.Connections)), columns.FormatTime(f.UpdatedAt),
			orgID, current.ID)
		if isUniqueViolation(err) {
			return fmt.Errorf("function %q: %w", f.Name, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("updating function %q: %w", name, err)
		}
		if result, err = scanFunction(tx.QueryRow(ctx,
			`SELECT `+functionColumns+` FROM functions WHERE org_id = $1 AND id = $2`, orgID, current.ID)); err != nil {
			return fmt.Errorf("reading updated function %q: %w", f.Name, err)
		}
		return nil
	})
	return result, err
}

// DeleteFunction deletes a function.
func (s *Store) DeleteFunction(ctx context.Context, orgID, name string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM functions WHERE org_id = $1 AND name = $2`, orgID, name)
	if err != nil {
		return fmt.Errorf("deleting function %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("function %q: %w", name, store.ErrNotFound)
	}
	return nil
}
