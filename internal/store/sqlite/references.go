package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/plugboard/plugboard/internal/store"
)

// Queries that check that a referenced row exists. Every transaction holds
// the database's write lock from its start, so the record cannot be
// deleted between the check and the commit.
const (
	applicationExistsQuery = `SELECT id FROM applications WHERE org_id = ? AND id = ?`
	connectionExistsQuery  = `SELECT id FROM connections WHERE org_id = ? AND id = ?`
	userExistsQuery        = `SELECT id FROM users WHERE org_id = ? AND id = ?`
	serviceExistsQuery     = `SELECT key FROM services WHERE org_id = ? AND key = ?`
)

// checkReference runs one of the exists queries for the record of kind
// with the ID id. It returns a *store.ReferenceError when the record does
// not exist.
func checkReference(ctx context.Context, tx *sql.Tx, query, kind, orgID, id string) error {
	var found string
	err := tx.QueryRowContext(ctx, query, orgID, id).Scan(&found)
	if errors.Is(err, sql.ErrNoRows) {
		return &store.ReferenceError{Kind: kind, ID: id}
	}
	if err != nil {
		return fmt.Errorf("reading %s %q: %w", kind, id, err)
	}
	return nil
}
