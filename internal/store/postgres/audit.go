package postgres

import (
	"context"
	"fmt"
	"github.com/plugboard/plugboard/internal/store/columns"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

const auditColumns = `org_id, id, at, actor_id, actor_name, action, connection_id, link_name, target_type, target_id,
	detail, remote_addr`

// AppendAudit inserts audit entries in one transaction.
func (s *Store) AppendAudit(ctx context.Context, entries ...store.AuditEntry) error {
	if len(entries) == 1 {
		return insertAudit(ctx, s.pool, entries[0])
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, e := range entries {
			if err := insertAudit(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

func insertAudit(ctx context.Context, q querier, e store.AuditEntry) error {
	detail := e.Detail
	if detail == nil {
		detail = map[string]any{}
	}
	_, err := q.Exec(ctx, `INSERT INTO audit_entries (`+auditColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.OrgID, e.ID, columns.FormatTime(e.At), e.ActorID, e.ActorName, e.Action, e.ConnectionID, e.LinkName, e.TargetType,
		e.TargetID, columns.EncodeJSON(detail), e.RemoteAddr)
	if isUniqueViolation(err) {
		return fmt.Errorf("audit entry %q: %w", e.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("inserting audit entry %q: %w", e.Action, err)
	}
	return nil
}

func scanAuditEntry(row pgx.Row) (store.AuditEntry, error) {
	var e store.AuditEntry
	var at, detail string
	if err := row.Scan(&e.OrgID, &e.ID, &at, &e.ActorID, &e.ActorName, &e.Action, &e.ConnectionID, &e.LinkName,
		&e.TargetType, &e.TargetID, &detail, &e.RemoteAddr); err != nil {
		return store.AuditEntry{}, err
	}
	e.At = columns.ParseTime(at)
	e.Detail = columns.DecodeMap(detail)
	return e, nil
}

// ListAudit lists an org's audit entries by ID, newest first, filtered and
// paged by opts. A non-positive Limit lists every entry.
func (s *Store) ListAudit(ctx context.Context, orgID string, opts store.ListAuditOptions) ([]store.AuditEntry, error) {
	var args queryArgs
	query := `SELECT ` + auditColumns + ` FROM audit_entries WHERE org_id = ` + args.add(orgID)
	if opts.LinkName != "" {
		query += ` AND link_name = ` + args.add(opts.LinkName)
	}
	if opts.ActorID != "" {
		query += ` AND actor_id = ` + args.add(opts.ActorID)
	}
	if opts.Before != "" {
		query += ` AND id < ` + args.add(opts.Before)
	}
	query += ` ORDER BY id DESC`
	if opts.Limit > 0 {
		query += ` LIMIT ` + args.add(opts.Limit)
	}

	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("listing audit entries: %w", err)
	}
	return collectRows(rows, scanAuditEntry, "audit entry")
}
