package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/columns"
)

const pendingSecretColumns = `org_id, id, session_id, kind, subject, value_sealed, created_at, expires_at`

// CreatePendingSecret inserts a secret waiting for its one display.
func (s *Store) CreatePendingSecret(ctx context.Context, ps store.PendingSecret) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO pending_secrets (`+pendingSecretColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ps.OrgID, ps.ID, ps.SessionID, ps.Kind, ps.Subject, ps.ValueSealed,
		columns.FormatTime(ps.CreatedAt), columns.FormatTime(ps.ExpiresAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("pending secret: %w", store.ErrConflict)
	}
	if err != nil && isForeignKeyViolation(err) {
		return fmt.Errorf("web session of pending secret: %w", store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("inserting pending secret: %w", err)
	}
	return nil
}

// TakePendingSecret deletes and returns a session's pending secret in one
// DELETE ... RETURNING statement, so of several concurrent takes only one
// gets the secret.
func (s *Store) TakePendingSecret(ctx context.Context, orgID, sessionID, id string) (store.PendingSecret, error) {
	var ps store.PendingSecret
	var created, expires string
	err := s.pool.QueryRow(ctx, `DELETE FROM pending_secrets WHERE org_id = $1 AND id = $2 AND session_id = $3
		RETURNING `+pendingSecretColumns, orgID, id, sessionID).
		Scan(&ps.OrgID, &ps.ID, &ps.SessionID, &ps.Kind, &ps.Subject, &ps.ValueSealed, &created, &expires)
	if err != nil {
		return store.PendingSecret{}, notFound(err, "pending secret")
	}
	ps.CreatedAt = columns.ParseTime(created)
	ps.ExpiresAt = columns.ParseTime(expires)
	return ps, nil
}

// DeleteExpiredPendingSecrets deletes the pending secrets of every org that
// expired before now.
func (s *Store) DeleteExpiredPendingSecrets(ctx context.Context, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM pending_secrets WHERE expires_at < $1`, columns.FormatTime(now))
	if err != nil {
		return 0, fmt.Errorf("deleting expired pending secrets: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
