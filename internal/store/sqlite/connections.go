package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"

	"github.com/plugboard/plugboard/internal/store"
)

const connectionColumns = `org_id, id, link_name, name, description, service_key, application_id, scopes,
	use_login_user_credentials, owner_id, created_at, updated_at, region`

func scanConnection(row interface{ Scan(...any) error }) (store.Connection, error) {
	var c store.Connection
	var scopes, created, updated string
	var shared int
	if err := row.Scan(&c.OrgID, &c.ID, &c.LinkName, &c.Name, &c.Description, &c.ServiceKey, &c.ApplicationID,
		&scopes, &shared, &c.OwnerID, &created, &updated, &c.Region); err != nil {
		return store.Connection{}, err
	}
	c.Scopes = columns.DecodeStrings(scopes)
	c.UseLoginUserCredentials = shared != 0
	c.CreatedAt = columns.ParseTime(created)
	c.UpdatedAt = columns.ParseTime(updated)
	return c, nil
}

// CreateConnection inserts a connection. It fails with a
// *store.ReferenceError when the connection's application or owner does not
// exist, or its custom service when c.RequireCustomService is set.
func (s *Store) CreateConnection(ctx context.Context, c store.Connection) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if c.RequireCustomService {
			if err := checkReference(ctx, tx, serviceExistsQuery, "service", c.OrgID, c.ServiceKey); err != nil {
				return err
			}
		}
		if c.ApplicationID != "" {
			if err := checkReference(ctx, tx, applicationExistsQuery, "application", c.OrgID, c.ApplicationID); err != nil {
				return err
			}
		}
		if c.OwnerID != "" {
			if err := checkReference(ctx, tx, userExistsQuery, "user", c.OrgID, c.OwnerID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO connections (`+connectionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.OrgID, c.ID, c.LinkName, c.Name, c.Description, c.ServiceKey, c.ApplicationID, columns.EncodeJSON(nonNil(c.Scopes)),
			boolInt(c.UseLoginUserCredentials), c.OwnerID, columns.FormatTime(c.CreatedAt), columns.FormatTime(c.UpdatedAt), c.Region)
		if isUniqueViolation(err) {
			return fmt.Errorf("connection %q: %w", c.LinkName, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("inserting connection %q: %w", c.LinkName, err)
		}
		return nil
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GetConnection returns a connection by link name.
func (s *Store) GetConnection(ctx context.Context, orgID, linkName string) (store.Connection, error) {
	c, err := scanConnection(s.queryRow(ctx, `SELECT `+connectionColumns+` FROM connections WHERE org_id = ? AND link_name = ?`, orgID, linkName))
	if err != nil {
		return store.Connection{}, notFound(err, "connection %q", linkName)
	}
	return c, nil
}

// GetConnectionByID returns a connection by ID.
func (s *Store) GetConnectionByID(ctx context.Context, orgID, id string) (store.Connection, error) {
	c, err := scanConnection(s.queryRow(ctx, `SELECT `+connectionColumns+` FROM connections WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return store.Connection{}, notFound(err, "connection %q", id)
	}
	return c, nil
}

// ListConnections lists connections in link name order.
func (s *Store) ListConnections(ctx context.Context, orgID string, opts store.ListConnectionsOptions) ([]store.Connection, error) {
	query := `SELECT ` + connectionColumns + ` FROM connections WHERE org_id = ? AND link_name > ?`
	args := []any{orgID, opts.After}
	if opts.OwnerID != "" {
		query += ` AND owner_id = ?`
		args = append(args, opts.OwnerID)
	}
	if opts.NotOwnerID != "" {
		query += ` AND owner_id <> ?`
		args = append(args, opts.NotOwnerID)
	}
	if opts.SharedOnly {
		query += ` AND use_login_user_credentials = 1`
	}
	if opts.ServiceKey != "" {
		query += ` AND service_key = ?`
		args = append(args, opts.ServiceKey)
	}
	query += ` ORDER BY link_name`
	if opts.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, opts.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing connections: %w", err)
	}
	defer rows.Close()
	var out []store.Connection
	for rows.Next() {
		c, err := scanConnection(rows)
		if err != nil {
			return nil, fmt.Errorf("reading connection: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateConnection runs update on a connection and its credentials, stores
// the connection and returns the stored connection. It fails with a
// *store.ReferenceError when update sets an application that does not
// exist. The org, ID, link name, service, owner and creation time cannot
// change.
func (s *Store) UpdateConnection(ctx context.Context, orgID, linkName string, update func(*store.Connection, []store.Credential) error) (store.Connection, error) {
	var result store.Connection
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		const query = `SELECT ` + connectionColumns + ` FROM connections WHERE org_id = ? AND id = ?`
		current, err := scanConnection(tx.QueryRowContext(ctx, `SELECT `+connectionColumns+` FROM connections WHERE org_id = ? AND link_name = ?`, orgID, linkName))
		if err != nil {
			return notFound(err, "connection %q", linkName)
		}
		creds, err := listCredentials(ctx, tx, orgID, current.ID)
		if err != nil {
			return err
		}
		c := current
		if err := update(&c, creds); err != nil {
			return err
		}
		if c.ApplicationID != "" && c.ApplicationID != current.ApplicationID {
			if err := checkReference(ctx, tx, applicationExistsQuery, "application", orgID, c.ApplicationID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE connections SET name = ?, description = ?, application_id = ?, scopes = ?,
			use_login_user_credentials = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
			c.Name, c.Description, c.ApplicationID, columns.EncodeJSON(nonNil(c.Scopes)), boolInt(c.UseLoginUserCredentials),
			columns.FormatTime(c.UpdatedAt), orgID, current.ID); err != nil {
			return fmt.Errorf("updating connection %q: %w", linkName, err)
		}
		if result, err = scanConnection(tx.QueryRowContext(ctx, query, orgID, current.ID)); err != nil {
			return fmt.Errorf("reading updated connection %q: %w", linkName, err)
		}
		return nil
	})
	return result, err
}

// DeleteConnection deletes a connection; its credentials and OAuth states go
// with it through ON DELETE CASCADE. A webhook bound to it keeps it, checked
// in the same transaction.
func (s *Store) DeleteConnection(ctx context.Context, orgID, linkName string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var hooks int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks w JOIN connections c
			ON c.org_id = w.org_id AND c.id = w.connection_id WHERE c.org_id = ? AND c.link_name = ?`,
			orgID, linkName).Scan(&hooks)
		if err != nil {
			return fmt.Errorf("counting webhooks of connection %q: %w", linkName, err)
		}
		if hooks > 0 {
			return fmt.Errorf("connection %q: %d webhooks use it: %w", linkName, hooks, store.ErrInUse)
		}
		var functions int
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM functions WHERE org_id = ?
			AND EXISTS (SELECT 1 FROM json_each(functions.connections) WHERE json_each.value = ?)`,
			orgID, linkName).Scan(&functions)
		if err != nil {
			return fmt.Errorf("counting functions that name connection %q: %w", linkName, err)
		}
		if functions > 0 {
			return fmt.Errorf("connection %q: %d functions name it: %w", linkName, functions, store.ErrInUse)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM connections WHERE org_id = ? AND link_name = ?`, orgID, linkName)
		if err != nil {
			return fmt.Errorf("deleting connection %q: %w", linkName, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("connection %q: %w", linkName, store.ErrNotFound)
		}
		return nil
	})
}
