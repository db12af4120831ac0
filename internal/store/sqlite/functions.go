package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/columns"
)

const functionColumns = `org_id, id, name, language, script, connections, created_by, created_at, updated_at`

func scanFunction(row interface{ Scan(...any) error }) (store.Function, error) {
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
	_, err := s.db.ExecContext(ctx, `INSERT INTO functions (`+functionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
	f, err := scanFunction(s.queryRow(ctx, `SELECT `+functionColumns+` FROM functions WHERE org_id = ? AND name = ?`, orgID, name))
	if err != nil {
		return store.Function{}, notFound(err, "function %q", name)
	}
	return f, nil
}

// ListFunctions lists functions by name. The connection filter looks inside
// the JSON list of link names with json_each.
func (s *Store) ListFunctions(ctx context.Context, orgID string, opts store.ListFunctionsOptions) ([]store.Function, error) {
	query := `SELECT ` + functionColumns + ` FROM functions WHERE org_id = ?`
	args := []any{orgID}
	if opts.Connection != "" {
		query += ` AND EXISTS (SELECT 1 FROM json_each(functions.connections) WHERE json_each.value = ?)`
		args = append(args, opts.Connection)
	}
	rows, err := s.db.QueryContext(ctx, query+` ORDER BY name`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing functions: %w", err)
	}
	defer rows.Close()
	var out []store.Function
	for rows.Next() {
		f, err := scanFunction(rows)
		if err != nil {
			return nil, fmt.Errorf("reading function: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// UpdateFunction runs update on a function, stores the result and returns
// the stored function.
func (s *Store) UpdateFunction(ctx context.Context, orgID, name string, update func(*store.Function) error) (store.Function, error) {
	var result store.Function
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		current, err := scanFunction(tx.QueryRowContext(ctx,
			`SELECT `+functionColumns+` FROM functions WHERE org_id = ? AND name = ?`, orgID, name))
		if err != nil {
			return notFound(err, "function %q", name)
		}
		f := current
		if err := update(&f); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE functions SET name = ?, language = ?, script = ?, connections = ?, updated_at = ?
			WHERE org_id = ? AND id = ?`,
			f.Name, f.Language, f.Script, columns.EncodeJSON(nonNil(f.Connections)), columns.FormatTime(f.UpdatedAt),
			orgID, current.ID)
		if isUniqueViolation(err) {
			return fmt.Errorf("function %q: %w", f.Name, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("updating function %q: %w", name, err)
		}
		if result, err = scanFunction(tx.QueryRowContext(ctx,
			`SELECT `+functionColumns+` FROM functions WHERE org_id = ? AND id = ?`, orgID, current.ID)); err != nil {
			return fmt.Errorf("reading updated function %q: %w", f.Name, err)
		}
		return nil
	})
	return result, err
}

// DeleteFunction deletes a function.
func (s *Store) DeleteFunction(ctx context.Context, orgID, name string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM functions WHERE org_id = ? AND name = ?`, orgID, name)
	if err != nil {
		return fmt.Errorf("deleting function %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("function %q: %w", name, store.ErrNotFound)
	}
	return nil
}
