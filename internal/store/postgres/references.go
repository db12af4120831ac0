package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

// Queries that lock a referenced row FOR KEY SHARE. The deletes of these
// records lock the row FOR UPDATE before they count its references, so
// the two transactions run one after the other. A delete that comes second
// counts the new reference and fails with store.ErrInUse. An insert of a
// reference that comes second finds no row and returns a
// *store.ReferenceError.
const (
	lockApplicationQuery = `SELECT id FROM applications WHERE org_id = $1 AND id = $2 FOR KEY SHARE`
	lockConnectionQuery  = `SELECT id FROM connections WHERE org_id = $1 AND id = $2 FOR KEY SHARE`
	lockUserQuery        = `SELECT id FROM users WHERE org_id = $1 AND id = $2 FOR KEY SHARE`
	lockServiceQuery     = `SELECT key FROM services WHERE org_id = $1 AND key = $2 FOR KEY SHARE`
)

// lockCustomService locks the org's custom service with the key key FOR
// KEY SHARE, if there is one, so a concurrent DeleteService either counts
// the new reference or commits first. When required is set, the caller
// resolved key to a custom service, and a missing row, such as one that
// DeleteService removed after that check, returns a *store.ReferenceError
// of kind "service". Otherwise a missing row is taken for a catalog
// service's key, which has no row.
func lockCustomService(ctx context.Context, tx pgx.Tx, orgID, key string, required bool) error {
	if required {
		return lockReference(ctx, tx, lockServiceQuery, "service", orgID, key)
	}
	if _, err := tx.Exec(ctx, lockServiceQuery, orgID, key); err != nil {
		return fmt.Errorf("locking service %q: %w", key, err)
	}
	return nil
}

// lockReference runs one of the lock queries for the record of kind with
// the ID id. It returns a *store.ReferenceError when the record does not
// exist.
func lockReference(ctx context.Context, tx pgx.Tx, query, kind, orgID, id string) error {
	var locked string
	err := tx.QueryRow(ctx, query, orgID, id).Scan(&locked)
	if errors.Is(err, pgx.ErrNoRows) {
		return &store.ReferenceError{Kind: kind, ID: id}
	}
	if err != nil {
		return fmt.Errorf("locking %s %q: %w", kind, id, err)
	}
	return nil
}
