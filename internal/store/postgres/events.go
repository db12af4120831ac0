package postgres

import (
	"context"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

// CreateEvent inserts an event and its deliveries in one transaction. Every
// delivery must belong to the event's org and name the event. A delivery
// whose webhook does not exist fails the whole event with ErrNotFound, and
// a taken event or delivery ID with ErrConflict.
func (s *Store) CreateEvent(ctx context.Context, e store.Event, deliveries []store.Delivery) error {
	for _, d := range deliveries {
		if d.OrgID != e.OrgID || d.EventID != e.ID {
			return fmt.Errorf("delivery %q names org %q and event %q, want org %q and event %q",
				d.ID, d.OrgID, d.EventID, e.OrgID, e.ID)
		}
	}
	data := e.Data
	if data == nil {
		data = map[string]any{}
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO events (org_id, id, type, data, source, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.OrgID, e.ID, e.Type, columns.EncodeJSON(data), e.Source, e.CreatedBy, columns.FormatTime(e.CreatedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("event %q: %w", e.ID, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("inserting event %q: %w", e.ID, err)
		}
		for _, d := range deliveries {
			_, err := tx.Exec(ctx, `INSERT INTO deliveries (`+deliveryColumns+`)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`, deliveryArgs(d)...)
			switch {
			case isUniqueViolation(err):
				return fmt.Errorf("delivery %q: %w", d.ID, store.ErrConflict)
			case isForeignKeyViolation(err):
				// The event row exists by now, so the missing parent is
				// the webhook.
				return fmt.Errorf("webhook %q of delivery %q: %w", d.WebhookID, d.ID, store.ErrNotFound)
			case err != nil:
				return fmt.Errorf("inserting delivery %q: %w", d.ID, err)
			}
		}
		return nil
	})
}

// GetEvent returns an event by ID.
func (s *Store) GetEvent(ctx context.Context, orgID, id string) (store.Event, error) {
	var e store.Event
	var data, created string
	err := s.pool.QueryRow(ctx, `SELECT org_id, id, type, data, source, created_by, created_at
		FROM events WHERE org_id = $1 AND id = $2`, orgID, id).
		Scan(&e.OrgID, &e.ID, &e.Type, &data, &e.Source, &e.CreatedBy, &created)
	if err != nil {
		return store.Event{}, notFound(err, "event %q", id)
	}
	e.Data = columns.DecodeMap(data)
	e.CreatedAt = columns.ParseTime(created)
	return e, nil
}

// DeleteOldEvents deletes up to limit events created before before, with
// their deliveries, in one statement. Events with a pending delivery stay,
// and events that another instance is deleting at the same time are skipped.
func (s *Store) DeleteOldEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `WITH old AS (
			SELECT org_id, id FROM events
			WHERE created_at < $1 AND NOT EXISTS (SELECT 1 FROM deliveries
				WHERE deliveries.org_id = events.org_id AND deliveries.event_id = events.id AND deliveries.status = $2)
			ORDER BY created_at LIMIT $3
			FOR UPDATE SKIP LOCKED
		), gone AS (
			DELETE FROM deliveries USING old WHERE deliveries.org_id = old.org_id AND deliveries.event_id = old.id
		)
		DELETE FROM events USING old WHERE events.org_id = old.org_id AND events.id = old.id`,
		columns.FormatTime(before), store.DeliveryPending, limit)
	if err != nil {
		return 0, fmt.Errorf("deleting old events: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
