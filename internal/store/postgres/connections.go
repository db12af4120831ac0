package postgres

import (
	"context"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

const connectionColumns = `org_id, id, link_name, name, description, service_key, application_id, scopes,
	use_login_user_credentials, owner_id, created_at, updated_at, region`

func scanConnection(row pgx.Row) (store.Connection, error) {
	var c store.Connection
	var scopes, created, updated string
	if err := row.Scan(&c.OrgID, &c.ID, &c.LinkName, &c.Name, &c.Description, &c.ServiceKey, &c.ApplicationID,
		&scopes, &c.UseLoginUserCredentials, &c.OwnerID, &created, &updated, &c.Region); err != nil {
		return store.Connection{}, err
	}
	c.Scopes = columns.DecodeStrings(scopes)
	c.CreatedAt = columns.ParseTime(created)
	c.UpdatedAt = columns.ParseTime(updated)
	return c, nil
}

// CreateConnection inserts a connection. It first locks the connection's
// application and owner, so neither can be deleted before the commit, and
// fails with a *store.ReferenceError when one of them is gone. It locks a
// custom service too, and fails the same way when c.RequireCustomService
// is set and the service is gone.
func (s *Store) CreateConnection(ctx context.Context, c store.Connection) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockCustomService(ctx, tx, c.OrgID, c.ServiceKey, c.RequireCustomService); err != nil {
			return err
		}
		if c.ApplicationID != "" {
			if err := lockReference(ctx, tx, lockApplicationQuery, "application", c.OrgID, c.ApplicationID); err != nil {
				return err
			}
		}
		if c.OwnerID != "" {
			if err := lockReference(ctx, tx, lockUserQuery, "user", c.OrgID, c.OwnerID); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO connections (`+connectionColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
			c.OrgID, c.ID, c.LinkName, c.Name, c.Description, c.ServiceKey, c.ApplicationID, columns.EncodeJSON(nonNil(c.Scopes)),
			c.UseLoginUserCredentials, c.OwnerID, columns.FormatTime(c.CreatedAt), columns.FormatTime(c.UpdatedAt), c.Region)
		if isUniqueViolation(err) {
			return fmt.Errorf("connection %q: %w", c.LinkName, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("inserting connection %q: %w", c.LinkName, err)
		}
		return nil
	})
}

// GetConnection returns a connection by link name.
func (s *Store) GetConnection(ctx context.Context, orgID, linkName string) (store.Connection, error) {
	c, err := scanConnection(s.pool.QueryRow(ctx, `SELECT `+connectionColumns+` FROM connections WHERE org_id = $1 AND link_name = $2`, orgID, linkName))
	if err != nil {
		return store.Connection{}, notFound(err, "connection %q", linkName)
	}
	return c, nil
}

// GetConnectionByID returns a connection by ID.
func (s *Store) GetConnectionByID(ctx context.Context, orgID, id string) (store.Connection, error) {
	c, err := scanConnection(s.pool.QueryRow(ctx, `SELECT `+connectionColumns+` FROM connections WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return store.Connection{}, notFound(err, "connection %q", id)
	}
	return c, nil
}

// ListConnections lists connections in link name order.
func (s *Store) ListConnections(ctx context.Context, orgID string, opts store.ListConnectionsOptions) ([]store.Connection, error) {
	var args queryArgs
	query := `SELECT ` + connectionColumns + ` FROM connections WHERE org_id = ` + args.add(orgID) +
		` AND link_name > ` + args.add(opts.After)
	if opts.OwnerID != "" {
		query += ` AND owner_id = ` + args.add(opts.OwnerID)
	}
	if opts.NotOwnerID != "" {
		query += ` AND owner_id <> ` + args.add(opts.NotOwnerID)
	}
	if opts.SharedOnly {
		query += ` AND use_login_user_credentials`
	}
	if opts.ServiceKey != "" {
		query += ` AND service_key = ` + args.add(opts.ServiceKey)
	}
	query += ` ORDER BY link_name`
	if opts.Limit > 0 {
		query += ` LIMIT ` + args.add(opts.Limit)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing connections: %w", err)
	}
	return collectRows(rows, scanConnection, "connection")
}

// UpdateConnection runs update on a connection and its credentials, stores
// the connection and returns the stored connection. It locks the
// connection's row for update and its credentials' rows for share, so the
// credentials passed to update cannot change until the commit. A changed
// application is locked as CreateConnection locks it. The org,
// ID, link name, service, owner and creation time cannot change.
func (s *Store) UpdateConnection(ctx context.Context, orgID, linkName string, update func(*store.Connection, []store.Credential) error) (store.Connection, error) {
	var result store.Connection
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		const query = `SELECT ` + connectionColumns + ` FROM connections WHERE org_id = $1 AND id = $2`
		current, err := scanConnection(tx.QueryRow(ctx, `SELECT `+connectionColumns+` FROM connections
			WHERE org_id = $1 AND link_name = $2 FOR UPDATE`, orgID, linkName))
		if err != nil {
			return notFound(err, "connection %q", linkName)
		}
		creds, err := listCredentials(ctx, tx, orgID, current.ID, ` FOR SHARE`)
		if err != nil {
			return err
		}
		c := current
		if err := update(&c, creds); err != nil {
			return err
		}
		if c.ApplicationID != "" && c.ApplicationID != current.ApplicationID {
			if err := lockReference(ctx, tx, lockApplicationQuery, "application", orgID, c.ApplicationID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE connections SET name = $1, description = $2, application_id = $3, scopes = $4,
			use_login_user_credentials = $5, updated_at = $6 WHERE org_id = $7 AND id = $8`,
			c.Name, c.Description, c.ApplicationID, columns.EncodeJSON(nonNil(c.Scopes)), c.UseLoginUserCredentials,
			columns.FormatTime(c.UpdatedAt), orgID, current.ID); err != nil {
			return fmt.Errorf("updating connection %q: %w", linkName, err)
		}
		if result, err = scanConnection(tx.QueryRow(ctx, query, orgID, current.ID)); err != nil {
			return fmt.Errorf("reading updated connection %q: %w", linkName, err)
		}
		return nil
	})
	return result, err
}

// DeleteConnection deletes a connection; its credentials and OAuth states go
// with it through ON DELETE CASCADE. A webhook bound to it keeps it, checked
// in the same transaction, under the connection's row lock, which a webhook
// bound to it waits for.
func (s *Store) DeleteConnection(ctx context.Context, orgID, linkName string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT id FROM connections WHERE org_id = $1 AND link_name = $2 FOR UPDATE`, orgID, linkName); err != nil {
			return fmt.Errorf("locking connection %q: %w", linkName, err)
		}
		var hooks int
		err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM webhooks w JOIN connections c
			ON c.org_id = w.org_id AND c.id = w.connection_id WHERE c.org_id = $1 AND c.link_name = $2`,
			orgID, linkName).Scan(&hooks)
		if err != nil {
			return fmt.Errorf("counting webhooks of connection %q: %w", linkName, err)
		}
		if hooks > 0 {
			return fmt.Errorf("connection %q: %d webhooks use it: %w", linkName, hooks, store.ErrInUse)
		}
		var functions int
		err = tx.QueryRow(ctx, `SELECT COUNT(*) FROM functions WHERE org_id = $1
			AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(functions.connections::jsonb) AS conn (link)
			WHERE conn.link = $2)`, orgID, linkName).Scan(&functions)
		if err != nil {
			return fmt.Errorf("counting functions that name connection %q: %w", linkName, err)
		}
		if functions > 0 {
			return fmt.Errorf("connection %q: %d functions name it: %w", linkName, functions, store.ErrInUse)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM connections WHERE org_id = $1 AND link_name = $2`, orgID, linkName)
		if err != nil {
			return fmt.Errorf("deleting connection %q: %w", linkName, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("connection %q: %w", linkName, store.ErrNotFound)
		}
		return nil
	})
}
