package postgres

import (
	"context"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

const webhookColumns = `org_id, id, name, url, method, headers, body, connection_id, events, enabled, max_attempts,
	secret_sealed, created_by, created_at, updated_at, previous_secret_sealed, previous_secret_until, disabled_reason`

func scanWebhook(row pgx.Row) (store.Webhook, error) {
	var w store.Webhook
	var headers, events, created, updated, previousUntil string
	if err := row.Scan(&w.OrgID, &w.ID, &w.Name, &w.URL, &w.Method, &headers, &w.Body, &w.ConnectionID, &events,
		&w.Enabled, &w.MaxAttempts, &w.SecretSealed, &w.CreatedBy, &created, &updated,
		&w.PreviousSecretSealed, &previousUntil, &w.DisabledReason); err != nil {
		return store.Webhook{}, err
	}
	w.Headers = columns.DecodeStringMap(headers)
	w.Events = columns.DecodeStrings(events)
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

// CreateWebhook inserts a webhook. It first locks the webhook's connection
// and creator, so neither can be deleted before the commit, and fails with
// a *store.ReferenceError when one of them is gone.
func (s *Store) CreateWebhook(ctx context.Context, w store.Webhook) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if w.ConnectionID != "" {
			if err := lockReference(ctx, tx, lockConnectionQuery, "connection", w.OrgID, w.ConnectionID); err != nil {
				return err
			}
		}
		if w.CreatedBy != "" {
			if err := lockReference(ctx, tx, lockUserQuery, "user", w.OrgID, w.CreatedBy); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO webhooks (`+webhookColumns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
			w.OrgID, w.ID, w.Name, w.URL, w.Method, encodeHeaders(w.Headers), w.Body, w.ConnectionID, columns.EncodeJSON(nonNil(w.Events)),
			w.Enabled, w.MaxAttempts, w.SecretSealed, w.CreatedBy, columns.FormatTime(w.CreatedAt), columns.FormatTime(w.UpdatedAt),
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
	w, err := scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return store.Webhook{}, notFound(err, "webhook %q", id)
	}
	return w, nil
}

// ListWebhooks lists webhooks by name, then ID. The event type filter
// compares the elements of the JSON list of event types exactly, through
// jsonb_array_elements_text.
func (s *Store) ListWebhooks(ctx context.Context, orgID string, opts store.ListWebhooksOptions) ([]store.Webhook, error) {
	var args queryArgs
	query := `SELECT ` + webhookColumns + ` FROM webhooks WHERE org_id = ` + args.add(orgID)
	if opts.ConnectionID != "" {
		query += ` AND connection_id = ` + args.add(opts.ConnectionID)
	}
	if opts.EventType != "" {
		query += ` AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(webhooks.events::jsonb) AS event (type)
			WHERE event.type = ` + args.add(opts.EventType) + `)`
	}
	if opts.EnabledOnly {
		query += ` AND enabled`
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY name, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing webhooks: %w", err)
	}
	return collectRows(rows, scanWebhook, "webhook")
}

// UpdateWebhook runs update on a webhook whose row it locks, stores the
// result and returns the stored webhook. A newly bound connection is locked
// as CreateWebhook locks it. The org, ID, creator and creation time cannot
// change.
func (s *Store) UpdateWebhook(ctx context.Context, orgID, id string, update func(*store.Webhook) error) (store.Webhook, error) {
	var result store.Webhook
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		const query = `SELECT ` + webhookColumns + ` FROM webhooks WHERE org_id = $1 AND id = $2`
		current, err := scanWebhook(tx.QueryRow(ctx, query+` FOR UPDATE`, orgID, id))
		if err != nil {
			return notFound(err, "webhook %q", id)
		}
		w := current
		if err := update(&w); err != nil {
			return err
		}
		if w.ConnectionID != "" && w.ConnectionID != current.ConnectionID {
			if err := lockReference(ctx, tx, lockConnectionQuery, "connection", orgID, w.ConnectionID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE webhooks SET name = $1, url = $2, method = $3, headers = $4, body = $5,
			connection_id = $6, events = $7, enabled = $8, max_attempts = $9, secret_sealed = $10, updated_at = $11,
			previous_secret_sealed = $12, previous_secret_until = $13, disabled_reason = $14
			WHERE org_id = $15 AND id = $16`,
			w.Name, w.URL, w.Method, encodeHeaders(w.Headers), w.Body, w.ConnectionID, columns.EncodeJSON(nonNil(w.Events)),
			w.Enabled, w.MaxAttempts, w.SecretSealed, columns.FormatTime(w.UpdatedAt),
			w.PreviousSecretSealed, columns.FormatTime(w.PreviousSecretUntil), w.DisabledReason, orgID, id); err != nil {
			return fmt.Errorf("updating webhook %q: %w", id, err)
		}
		if result, err = scanWebhook(tx.QueryRow(ctx, query, orgID, id)); err != nil {
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
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// The foreign key's ON DELETE CASCADE would do the same; the explicit
		// delete keeps the rule visible.
		if _, err := tx.Exec(ctx, `DELETE FROM deliveries WHERE org_id = $1 AND webhook_id = $2`, orgID, id); err != nil {
			return fmt.Errorf("deleting deliveries of webhook %q: %w", id, err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE org_id = $1 AND id = $2`, orgID, id)
		if err != nil {
			return fmt.Errorf("deleting webhook %q: %w", id, err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("webhook %q: %w", id, store.ErrNotFound)
		}
		return nil
	})
}
