package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"
	"strings"
	"time"

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
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO events (org_id, id, type, data, source, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.OrgID, e.ID, e.Type, columns.EncodeJSON(data), e.Source, e.CreatedBy, columns.FormatTime(e.CreatedAt))
		if isUniqueViolation(err) {
			return fmt.Errorf("event %q: %w", e.ID, store.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("inserting event %q: %w", e.ID, err)
		}
		for _, d := range deliveries {
			_, err := tx.ExecContext(ctx, `INSERT INTO deliveries (`+deliveryColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, deliveryArgs(d)...)
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
	err := s.queryRow(ctx, `SELECT org_id, id, type, data, source, created_by, created_at
		FROM events WHERE org_id = ? AND id = ?`, orgID, id).
		Scan(&e.OrgID, &e.ID, &e.Type, &data, &e.Source, &e.CreatedBy, &created)
	if err != nil {
		return store.Event{}, notFound(err, "event %q", id)
	}
	e.Data = columns.DecodeMap(data)
	e.CreatedAt = columns.ParseTime(created)
	return e, nil
}

// isForeignKeyViolation reports whether err is a SQLite FOREIGN KEY
// constraint failure.
func isForeignKeyViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// DeleteOldEvents deletes up to limit events created before before, with
// their deliveries, in one transaction; events with a pending delivery stay.
func (s *Store) DeleteOldEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	deleted := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT org_id, id FROM events
			WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries
				WHERE deliveries.org_id = events.org_id AND deliveries.event_id = events.id AND deliveries.status = ?)
			ORDER BY created_at LIMIT ?`, columns.FormatTime(before), store.DeliveryPending, limit)
		if err != nil {
			return fmt.Errorf("listing old events: %w", err)
		}
		var keys [][2]string
		for rows.Next() {
			var key [2]string
			if err := rows.Scan(&key[0], &key[1]); err != nil {
				rows.Close()
				return fmt.Errorf("reading old event: %w", err)
			}
			keys = append(keys, key)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing old events: %w", err)
		}
		for _, key := range keys {
			if _, err := tx.ExecContext(ctx, `DELETE FROM deliveries WHERE org_id = ? AND event_id = ?`, key[0], key[1]); err != nil {
				return fmt.Errorf("deleting deliveries of event %q: %w", key[1], err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM events WHERE org_id = ? AND id = ?`, key[0], key[1]); err != nil {
				return fmt.Errorf("deleting event %q: %w", key[1], err)
			}
		}
		deleted = len(keys)
		return nil
	})
	return deleted, err
}
