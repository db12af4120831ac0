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
)

// lockCustomService locks the org's custom service with the key key FOR
// KEY SHARE, if there is one, so a concurrent DeleteService counts the
// reference or runs first. A key without a row is a catalog service's, or
// one that DeleteService removed already.
//
// NOTE: the store cannot tell those two apart, so a connection or
// application written just after DeleteService commits still names the
// deleted custom service. An oauth2 connection is protected anyway,
// because its application is locked and DeleteService counts applications.
func lockCustomService(ctx context.Context, tx pgx.Tx, orgID, key string) error {
	_, err := tx.Exec(ctx, `SELECT key FROM services WHERE org_id = $1 AND key = $2 FOR KEY SHARE`, orgID, key)
	if err != nil {
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
