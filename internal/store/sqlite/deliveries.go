package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"
	"slices"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

const deliveryColumns = `org_id, id, webhook_id, event_id, status, attempts, next_attempt_at, lease_owner, lease_until,
	last_status_code, last_error, last_duration_ns, last_response, created_at, updated_at, delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (store.Delivery, error) {
	var d store.Delivery
	var next, leaseUntil, created, updated, delivered string
	var duration int64
	if err := row.Scan(&d.OrgID, &d.ID, &d.WebhookID, &d.EventID, &d.Status, &d.Attempts, &next, &d.LeaseOwner, &leaseUntil,
		&d.LastStatusCode, &d.LastError, &duration, &d.LastResponse, &created, &updated, &delivered); err != nil {
		return store.Delivery{}, err
	}
	d.NextAttemptAt = columns.ParseTime(next)
	d.LeaseUntil = columns.ParseTime(leaseUntil)
	d.LastDuration = time.Duration(duration)
	d.CreatedAt = columns.ParseTime(created)
	d.UpdatedAt = columns.ParseTime(updated)
	d.DeliveredAt = columns.ParseTime(delivered)
	return d, nil
}

func deliveryArgs(d store.Delivery) []any {
	return []any{d.OrgID, d.ID, d.WebhookID, d.EventID, d.Status, d.Attempts, columns.FormatTime(d.NextAttemptAt), d.LeaseOwner,
		columns.FormatTime(d.LeaseUntil), d.LastStatusCode, d.LastError, int64(d.LastDuration), d.LastResponse,
		columns.FormatTime(d.CreatedAt), columns.FormatTime(d.UpdatedAt), columns.FormatTime(d.DeliveredAt)}
}

// writeDelivery stores every field of d except its identity: org, ID,
// webhook, event and creation time.
func writeDelivery(ctx context.Context, tx *sql.Tx, d store.Delivery) error {
	_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_owner = ?,
		lease_until = ?, last_status_code = ?, last_error = ?, last_duration_ns = ?, last_response = ?, updated_at = ?,
		delivered_at = ? WHERE org_id = ? AND id = ?`,
		d.Status, d.Attempts, columns.FormatTime(d.NextAttemptAt), d.LeaseOwner, columns.FormatTime(d.LeaseUntil), d.LastStatusCode,
		d.LastError, int64(d.LastDuration), d.LastResponse, columns.FormatTime(d.UpdatedAt), columns.FormatTime(d.DeliveredAt), d.OrgID, d.ID)
	if err != nil {
		return fmt.Errorf("updating delivery %q: %w", d.ID, err)
	}
	return nil
}

const deliveryByID = `SELECT ` + deliveryColumns + ` FROM deliveries WHERE org_id = ? AND id = ?`

// ClaimDeliveries leases up to limit due deliveries of any org to owner.
// The select and the lease run in one IMMEDIATE transaction, which holds
// SQLite's write lock from its start, so concurrent claims from goroutines
// or processes sharing the file wait for one another and never lease a
// delivery twice. A lease is lapsed once its LeaseUntil is not after now.
// Claiming changes only the lease fields, not UpdatedAt.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]store.Delivery, error) {
	if owner == "" {
		return nil, errors.New("claiming deliveries: missing lease owner, pass the worker's ID")
	}
	if limit <= 0 {
		return nil, nil
	}
	var claimed []store.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		// The literal 'pending' lets SQLite use the partial index
		// deliveries_due.
		nowText := columns.FormatTime(now)
		// The oldest due deliveries, more than the limit, from which orgs
		// then take turns below.
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries
			WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_owner = '' OR lease_until <= ?)
			ORDER BY next_attempt_at, id LIMIT ?`, nowText, nowText, limit*claimWindow)
		if err != nil {
			return fmt.Errorf("selecting due deliveries: %w", err)
		}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("reading delivery: %w", err)
			}
			claimed = append(claimed, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("selecting due deliveries: %w", err)
		}

		claimed = takeTurns(claimed, limit)

		untilText := columns.FormatTime(leaseUntil)
		for i := range claimed {
			d := &claimed[i]
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE org_id = ? AND id = ?`,
				owner, untilText, d.OrgID, d.ID); err != nil {
				return fmt.Errorf("leasing delivery %q: %w", d.ID, err)
			}
			d.LeaseOwner = owner
			d.LeaseUntil = columns.ParseTime(untilText)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return claimed, nil
}

// FinishDelivery runs update on a delivery that owner leases, clears the
// lease and returns the stored delivery. The org, ID, webhook, event and
// creation time cannot change. The lease counts as owner's until another
// owner claims it, even after its LeaseUntil has passed, because the store
// has no clock and the attempt it records has already happened.
func (s *Store) FinishDelivery(ctx context.Context, orgID, id, owner string, update func(*store.Delivery) error) (store.Delivery, error) {
	var result store.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		current, err := scanDelivery(tx.QueryRowContext(ctx, deliveryByID, orgID, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("delivery %q is gone: %w", id, store.ErrLeaseLost)
		}
		if err != nil {
			return fmt.Errorf("reading delivery %q: %w", id, err)
		}
		if owner == "" || current.LeaseOwner != owner {
			return fmt.Errorf("delivery %q is leased to %q, not %q: %w", id, current.LeaseOwner, owner, store.ErrLeaseLost)
		}
		d := current
		if err := update(&d); err != nil {
			return err
		}
		d.OrgID, d.ID, d.WebhookID, d.EventID, d.CreatedAt = current.OrgID, current.ID, current.WebhookID, current.EventID, current.CreatedAt
		d.LeaseOwner, d.LeaseUntil = "", time.Time{}
		if err := writeDelivery(ctx, tx, d); err != nil {
			return err
		}
		if result, err = scanDelivery(tx.QueryRowContext(ctx, deliveryByID, orgID, id)); err != nil {
			return fmt.Errorf("reading updated delivery %q: %w", id, err)
		}
		return nil
	})
	return result, err
}

// GetDelivery returns a delivery by ID.
func (s *Store) GetDelivery(ctx context.Context, orgID, id string) (store.Delivery, error) {
	d, err := scanDelivery(s.queryRow(ctx, deliveryByID, orgID, id))
	if err != nil {
		return store.Delivery{}, notFound(err, "delivery %q", id)
	}
	return d, nil
}

// ListDeliveries lists a webhook's deliveries by ID, newest first, before
// the delivery ID before when it is set, and at most limit of them when
// limit is positive.
func (s *Store) ListDeliveries(ctx context.Context, orgID, webhookID, before string, limit int) ([]store.Delivery, error) {
	query := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE org_id = ? AND webhook_id = ?`
	args := []any{orgID, webhookID}
	if before != "" {
		query += ` AND id < ?`
		args = append(args, before)
	}
	query += ` ORDER BY id DESC`
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}

	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries of webhook %q: %w", webhookID, err)
	}
	defer rows.Close()
	var out []store.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("reading delivery: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// RequeueDelivery makes a finished delivery pending again: due at now, no
// attempts, no lease and no DeliveredAt, with UpdatedAt set to now. The
// last attempt's outcome stays until the next attempt replaces it. A
// delivery that is pending already comes back unchanged, leased or not, so
// a requeue never takes a delivery from the worker that holds it.
func (s *Store) RequeueDelivery(ctx context.Context, orgID, id string, now time.Time) (store.Delivery, error) {
	var result store.Delivery
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		d, err := scanDelivery(tx.QueryRowContext(ctx, deliveryByID, orgID, id))
		if err != nil {
			return notFound(err, "delivery %q", id)
		}
		if d.Status == store.DeliveryPending {
			result = d
			return nil
		}
		d.Status = store.DeliveryPending
		d.Attempts = 0
		d.NextAttemptAt = now
		d.LeaseOwner, d.LeaseUntil = "", time.Time{}
		d.DeliveredAt = time.Time{}
		d.UpdatedAt = now
		if err := writeDelivery(ctx, tx, d); err != nil {
			return err
		}
		if result, err = scanDelivery(tx.QueryRowContext(ctx, deliveryByID, orgID, id)); err != nil {
			return fmt.Errorf("reading requeued delivery %q: %w", id, err)
		}
		return nil
	})
	return result, err
}

// claimWindow is how many times the limit a claim reads, so that orgs can
// take turns among more due deliveries than it leases.
const claimWindow = 8

// takeTurns picks up to limit deliveries, oldest first within each org, with
// orgs taking turns: each org's oldest delivery comes before any org's
// second, so one org's backlog cannot starve the others. due is sorted by
// NextAttemptAt, then ID.
func takeTurns(due []store.Delivery, limit int) []store.Delivery {
	turn := map[string]int{}
	type ranked struct {
		d    store.Delivery
		turn int
		pos  int
	}
	all := make([]ranked, len(due))
	for i, d := range due {
		all[i] = ranked{d: d, turn: turn[d.OrgID], pos: i}
		turn[d.OrgID]++
	}
	slices.SortStableFunc(all, func(a, b ranked) int {
		if a.turn != b.turn {
			return a.turn - b.turn
		}
		return a.pos - b.pos
	})
	picked := make([]store.Delivery, 0, min(limit, len(all)))
	for _, r := range all[:min(limit, len(all))] {
		picked = append(picked, r.d)
	}
	return picked
}
