package postgres

import (
	"context"
	"errors"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

const deliveryColumns = `org_id, id, webhook_id, event_id, status, attempts, next_attempt_at, lease_owner, lease_until,
	last_status_code, last_error, last_duration_ns, last_response, created_at, updated_at, delivered_at`

func scanDelivery(row pgx.Row) (store.Delivery, error) {
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
func writeDelivery(ctx context.Context, tx pgx.Tx, d store.Delivery) error {
	_, err := tx.Exec(ctx, `UPDATE deliveries SET status = $1, attempts = $2, next_attempt_at = $3, lease_owner = $4,
		lease_until = $5, last_status_code = $6, last_error = $7, last_duration_ns = $8, last_response = $9, updated_at = $10,
		delivered_at = $11 WHERE org_id = $12 AND id = $13`,
		d.Status, d.Attempts, columns.FormatTime(d.NextAttemptAt), d.LeaseOwner, columns.FormatTime(d.LeaseUntil), d.LastStatusCode,
		d.LastError, int64(d.LastDuration), d.LastResponse, columns.FormatTime(d.UpdatedAt), columns.FormatTime(d.DeliveredAt), d.OrgID, d.ID)
	if err != nil {
		return fmt.Errorf("updating delivery %q: %w", d.ID, err)
	}
	return nil
}

const deliveryByID = `SELECT ` + deliveryColumns + ` FROM deliveries WHERE org_id = $1 AND id = $2`

// claimQuery selects and leases due deliveries in one statement. FOR UPDATE
// SKIP LOCKED passes over rows that a concurrent claim is leasing, and a
// row whose claim committed meanwhile is checked again against the WHERE
// clause once locked, so no delivery is leased twice. The literal 'pending'
// lets PostgreSQL use the partial index deliveries_due. RETURNING has no
// order, so the outer SELECT sorts.
//
// Orgs take turns: each org's oldest due delivery comes before any org's
// second, so one org's backlog cannot starve the others. The turns are
// numbered without locks (a window function cannot be locked), and the
// rows are then locked and checked again.
const claimQuery = `WITH ranked AS (
		SELECT org_id, id, next_attempt_at,
			ROW_NUMBER() OVER (PARTITION BY org_id ORDER BY next_attempt_at, id) AS turn
		FROM deliveries
		WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_owner = '' OR lease_until <= $1)
	), due AS (
		SELECT d.org_id, d.id FROM deliveries d
		JOIN (SELECT org_id, id, turn, next_attempt_at FROM ranked ORDER BY turn, next_attempt_at, id LIMIT $2 * 4) r
			ON d.org_id = r.org_id AND d.id = r.id
		WHERE d.status = 'pending' AND (d.lease_owner = '' OR d.lease_until <= $1)
		ORDER BY r.turn, r.next_attempt_at, r.id
		LIMIT $2
		FOR UPDATE OF d SKIP LOCKED
	), claimed AS (
		UPDATE deliveries SET lease_owner = $3, lease_until = $4
		FROM due WHERE deliveries.org_id = due.org_id AND deliveries.id = due.id
		RETURNING deliveries.*
	)
	SELECT ` + deliveryColumns + ` FROM claimed ORDER BY next_attempt_at, id`

// ClaimDeliveries leases up to limit due deliveries of any org to owner,
// oldest NextAttemptAt first. A lease is lapsed once its LeaseUntil is not
// after now. Claiming changes only the lease fields, not UpdatedAt.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]store.Delivery, error) {
	if owner == "" {
		return nil, errors.New("claiming deliveries: missing lease owner, pass the worker's ID")
	}
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, claimQuery, columns.FormatTime(now), limit, owner, columns.FormatTime(leaseUntil))
	if err != nil {
		return nil, fmt.Errorf("claiming due deliveries: %w", err)
	}
	return collectRows(rows, scanDelivery, "claimed delivery")
}

// FinishDelivery runs update on a delivery that owner leases, clears the
// lease and returns the stored delivery. The org, ID, webhook, event and
// creation time cannot change. The lease counts as owner's until another
// owner claims it, even after its LeaseUntil has passed, because the store
// has no clock and the attempt it records has already happened.
func (s *Store) FinishDelivery(ctx context.Context, orgID, id, owner string, update func(*store.Delivery) error) (store.Delivery, error) {
	var result store.Delivery
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		current, err := scanDelivery(tx.QueryRow(ctx, deliveryByID+` FOR UPDATE`, orgID, id))
		if errors.Is(err, pgx.ErrNoRows) {
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
		if result, err = scanDelivery(tx.QueryRow(ctx, deliveryByID, orgID, id)); err != nil {
			return fmt.Errorf("reading updated delivery %q: %w", id, err)
		}
		return nil
	})
	return result, err
}

// GetDelivery returns a delivery by ID.
func (s *Store) GetDelivery(ctx context.Context, orgID, id string) (store.Delivery, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, deliveryByID, orgID, id))
	if err != nil {
		return store.Delivery{}, notFound(err, "delivery %q", id)
	}
	return d, nil
}

// ListDeliveries lists a webhook's deliveries by ID, newest first, before
// the delivery ID before when it is set, and at most limit of them when
// limit is positive.
func (s *Store) ListDeliveries(ctx context.Context, orgID, webhookID, before string, limit int) ([]store.Delivery, error) {
	var args queryArgs
	query := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE org_id = ` + args.add(orgID) +
		` AND webhook_id = ` + args.add(webhookID)
	if before != "" {
		query += ` AND id < ` + args.add(before)
	}
	query += ` ORDER BY id DESC`
	if limit > 0 {
		query += ` LIMIT ` + args.add(limit)
	}

	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries of webhook %q: %w", webhookID, err)
	}
	return collectRows(rows, scanDelivery, "delivery")
}

// RequeueDelivery makes a finished delivery pending again: due at now, no
// attempts, no lease and no DeliveredAt, with UpdatedAt set to now. The
// last attempt's outcome stays until the next attempt replaces it. A
// delivery that is pending already comes back unchanged, leased or not, so
// a requeue never takes a delivery from the worker that holds it.
func (s *Store) RequeueDelivery(ctx context.Context, orgID, id string, now time.Time) (store.Delivery, error) {
	var result store.Delivery
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		d, err := scanDelivery(tx.QueryRow(ctx, deliveryByID+` FOR UPDATE`, orgID, id))
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
		if result, err = scanDelivery(tx.QueryRow(ctx, deliveryByID, orgID, id)); err != nil {
			return fmt.Errorf("reading requeued delivery %q: %w", id, err)
		}
		return nil
	})
	return result, err
}
