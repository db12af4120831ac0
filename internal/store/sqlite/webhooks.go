package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"

	"github.com/plugboard/plugboard/internal/store"
)

const webhookColumns = `org_id, id, name, url, method, headers, body, connection_id, events, enabled, max_attempts,
	secret_sealed, created_by, created_at, updated_at, previous_secret_sealed, previous_secret_until, disabled_reason`

func scanWebhook(row interface{ Scan(...any) error }) (store.Webhook, error) {
	var w store.Webhook
	var headers, events, created, updated, previousUntil string
	var enabled int
	if err := row.Scan(&w.OrgID, &w.ID, &w.Name, &w.URL, &w.Method, &headers, &w.Body, &w.ConnectionID, &events,
		&enabled, &w.MaxAttempts, &w.SecretSealed, &w.CreatedBy, &created, &updated,
		&w.PreviousSecretSealed, &previousUntil, &w.DisabledReason); err != nil {
		return store.Webhook{}, err
	}
	w.Headers = columns.DecodeStringMap(headers)
	w.Events = columns.DecodeStrings(events)
	w.Enabled = enabled != 0
	w.CreatedAt = columns.ParseTime(created)
	w.UpdatedAt = columns.ParseTime(updated)
	w.PreviousSecretUntil = columns.ParseTime(previousUntil)
	return w, nil
}

func encodeHeaders(headers map[string]string) string {
	if headers == nil {
		headers = map[string]string{}
	}
	return columns.EncodeJSON(headers)
}

// CreateWebhook inserts a webhook. It fails with a *store.ReferenceError
// when the webhook's connection or creator does not exist.
func (s *Store) CreateWebhook(ctx context.Context, w store.Webhook) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if w.ConnectionID != "" {
			if err := checkReference(ctx, tx, connectionExistsQuery, "connection", w.OrgID, w.ConnectionID); err != nil {
				return err
			}
		}
		if w.CreatedBy != "" {
			if err := checkReference(ctx, tx, userExistsQuery, "user", w.OrgID, w.CreatedBy); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			w.OrgID, w.ID, w.Name, w.URL, w.Method, encodeHeaders(w.Headers), w.Body, w.ConnectionID, columns.EncodeJSON(nonNil(w.Events)),
			boolInt(w.Enabled), w.MaxAttempts, w.SecretSealed, w.CreatedBy, columns.FormatTime(w.CreatedAt), columns.FormatTime(w.UpdatedAt),
			w.PreviousSecretSealed, columns.FormatTime(w.PreviousSecretUntil), w.DisabledReason)
		if isUniqueViolation(err) {
			return fmt.Errorf("webhook %q: %w", w.ID, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("inserting webhook %q: %w", w.Name, err)
		}
		return nil
	})
}

// GetWebhook returns a webhook by ID.
func (s *Store) GetWebhook(ctx context.Context, orgID, id string) (store.Webhook, error) {
	w, err := scanWebhook(s.queryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return store.Webhook{}, notFound(err, "webhook %q", id)
	}
	return w, nil
}

// ListWebhooks lists webhooks by name, then ID. The event type filter looks
// inside the JSON list of event types with json_each.
func (s *Store) ListWebhooks(ctx context.Context, orgID string, opts store.ListWebhooksOptions) ([]store.Webhook, error) {
	query := `SELECT ` + webhookColumns + ` FROM webhooks WHERE org_id = ?`
	args := []any{orgID}
	if opts.ConnectionID != "" {
		query += ` AND connection_id = ?`
		args = append(args, opts.ConnectionID)
	}
	if opts.EventType != "" {
		query += ` AND EXISTS (SELECT 1 FROM json_each(webhooks.events) WHERE json_each.value = ?)`
		args = append(args, opts.EventType)
	}
	if opts.EnabledOnly {
		query += ` AND enabled = 1`
	}
	rows, err := s.db.QueryContext(ctx, query+` ORDER BY name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing webhooks: %w", err)
	}
	defer rows.Close()
	var out []store.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("reading webhook: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// UpdateWebhook runs update on a webhook, stores the result and returns the
// stored webhook. The org, ID, creator and creation time cannot change.
func (s *Store) UpdateWebhook(ctx context.Context, orgID, id string, update func(*store.Webhook) error) (store.Webhook, error) {
	var result store.Webhook
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		const query = `SELECT ` + webhookColumns + ` FROM webhooks WHERE org_id = ? AND id = ?`
		current, err := scanWebhook(tx.QueryRowContext(ctx, query, orgID, id))
		if err != nil {
			return notFound(err, "webhook %q", id)
		}
		w := current
		if err := update(&w); err != nil {
			return err
		}
		if w.ConnectionID != "" && w.ConnectionID != current.ConnectionID {
			if err := checkReference(ctx, tx, connectionExistsQuery, "connection", orgID, w.ConnectionID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET name = ?, url = ?, method = ?, headers = ?, body = ?,
			connection_id = ?, events = ?, enabled = ?, max_attempts = ?, secret_sealed = ?, updated_at = ?,
			previous_secret_sealed = ?, previous_secret_until = ?, disabled_reason = ?
			WHERE org_id = ? AND id = ?`,
			w.Name, w.URL, w.Method, encodeHeaders(w.Headers), w.Body, w.ConnectionID, columns.EncodeJSON(nonNil(w.Events)),
			boolInt(w.Enabled), w.MaxAttempts, w.SecretSealed, columns.FormatTime(w.UpdatedAt),
			w.PreviousSecretSealed, columns.FormatTime(w.PreviousSecretUntil), w.DisabledReason, orgID, id); err != nil {
			return fmt.Errorf("updating webhook %q: %w", id, err)
		}
		if result, err = scanWebhook(tx.QueryRowContext(ctx, query, orgID, id)); err != nil {
			return fmt.Errorf("reading updated webhook %q: %w", id, err)
		}
		return nil
	})
	return result, err
}

// DeleteWebhook deletes a webhook and its deliveries, in one transaction.
// A worker that still leases one of them gets ErrLeaseLost when it
// finishes.
func (s *Store) DeleteWebhook(ctx context.Context, orgID, id string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		// The foreign key's ON DELETE CASCADE would do the same; the explicit
		// delete keeps the rule visible and independent of the pragma.
		if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE org_id = ? AND webhook_id = ?`, orgID, id); err != nil {
			return fmt.Errorf("deleting deliveries of webhook %q: %w", id, err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE org_id = ? AND id = ?`, orgID, id)
		if err != nil {
			return fmt.Errorf("deleting webhook %q: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("webhook %q: %w", id, store.ErrNotFound)
		}
		return nil
	})
}
