package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/columns"
)

// SetPasswordHash stores a user's password hash; "" removes the password.
func (s *Store) SetPasswordHash(ctx context.Context, orgID, userID, hash string) error {
	res, err := s.pool.Exec(ctx, `UPDATE users SET password_hash = $1 WHERE org_id = $2 AND id = $3`, hash, orgID, userID)
	if err != nil {
		return fmt.Errorf("updating password of user %q: %w", userID, err)
	}
	if res.RowsAffected() == 0 {
		return fmt.Errorf("user %q: %w", userID, store.ErrNotFound)
	}
	return nil
}

// GetPasswordHash returns a user's password hash, or "" when none is set.
func (s *Store) GetPasswordHash(ctx context.Context, orgID, userID string) (string, error) {
	var hash string
	err := s.pool.QueryRow(ctx, `SELECT password_hash FROM users WHERE org_id = $1 AND id = $2`, orgID, userID).Scan(&hash)
	if err != nil {
		return "", notFound(err, "user %q", userID)
	}
	return hash, nil
}

const webSessionColumns = `org_id, id, user_id, created_at, last_seen_at, idle_expires_at, expires_at`

func scanWebSession(row pgx.Row) (store.WebSession, error) {
	var ws store.WebSession
	var created, seen, idle, expires string
	if err := row.Scan(&ws.OrgID, &ws.ID, &ws.UserID, &created, &seen, &idle, &expires); err != nil {
		return store.WebSession{}, err
	}
	ws.CreatedAt = columns.ParseTime(created)
	ws.LastSeenAt = columns.ParseTime(seen)
	ws.IdleExpiresAt = columns.ParseTime(idle)
	ws.ExpiresAt = columns.ParseTime(expires)
	return ws, nil
}

// CreateWebSession inserts a session of an existing user.
func (s *Store) CreateWebSession(ctx context.Context, ws store.WebSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO web_sessions (`+webSessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		ws.OrgID, ws.ID, ws.UserID, columns.FormatTime(ws.CreatedAt), columns.FormatTime(ws.LastSeenAt),
		columns.FormatTime(ws.IdleExpiresAt), columns.FormatTime(ws.ExpiresAt))
	if isUniqueViolation(err) {
		return fmt.Errorf("web session: %w", store.ErrConflict)
	}
	if err != nil && isForeignKeyViolation(err) {
		return fmt.Errorf("user %q of web session: %w", ws.UserID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("inserting web session: %w", err)
	}
	return nil
}

// GetWebSession returns a session by ID, expired or not.
func (s *Store) GetWebSession(ctx context.Context, orgID, id string) (store.WebSession, error) {
	ws, err := scanWebSession(s.pool.QueryRow(ctx, `SELECT `+webSessionColumns+` FROM web_sessions WHERE org_id = $1 AND id = $2`, orgID, id))
	if err != nil {
		return store.WebSession{}, notFound(err, "web session")
	}
	return ws, nil
}

// TouchWebSession records a session's last use and its new idle expiry.
func (s *Store) TouchWebSession(ctx context.Context, orgID, id string, lastSeen, idleExpiresAt time.Time) error {
	res, err := s.pool.Exec(ctx, `UPDATE web_sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE org_id = $3 AND id = $4`,
		columns.FormatTime(lastSeen), columns.FormatTime(idleExpiresAt), orgID, id)
	if err != nil {
		return fmt.Errorf("updating web session: %w", err)
	}
	if res.RowsAffected() == 0 {
		return fmt.Errorf("web session: %w", store.ErrNotFound)
	}
	return nil
}

// DeleteWebSession deletes a session.
func (s *Store) DeleteWebSession(ctx context.Context, orgID, id string) error {
	res, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE org_id = $1 AND id = $2`, orgID, id)
	if err != nil {
		return fmt.Errorf("deleting web session: %w", err)
	}
	if res.RowsAffected() == 0 {
		return fmt.Errorf("web session: %w", store.ErrNotFound)
	}
	return nil
}

// DeleteUserWebSessions deletes every session of a user.
func (s *Store) DeleteUserWebSessions(ctx context.Context, orgID, userID string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE org_id = $1 AND user_id = $2`, orgID, userID); err != nil {
		return fmt.Errorf("deleting web sessions of user %q: %w", userID, err)
	}
	return nil
}

// DeleteExpiredWebSessions deletes the sessions of every org whose idle or
// absolute expiry is before now.
func (s *Store) DeleteExpiredWebSessions(ctx context.Context, now time.Time) (int, error) {
	at := columns.FormatTime(now)
	res, err := s.pool.Exec(ctx, `DELETE FROM web_sessions WHERE idle_expires_at < $1 OR expires_at < $2`, at, at)
	if err != nil {
		return 0, fmt.Errorf("deleting expired web sessions: %w", err)
	}
	return int(res.RowsAffected()), nil
}

// RecordLoginFailure stores one failed sign-in for a key.
func (s *Store) RecordLoginFailure(ctx context.Context, orgID, key string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO login_failures (org_id, limit_key, id, at) VALUES ($1, $2, $3, $4)`,
		orgID, key, store.NewSortableID(at), columns.FormatTime(at))
	if err != nil {
		return fmt.Errorf("recording login failure: %w", err)
	}
	return nil
}

// CountLoginFailures returns the number of a key's failures not before
// since, and the earliest of them.
func (s *Store) CountLoginFailures(ctx context.Context, orgID, key string, since time.Time) (int, time.Time, error) {
	var n int
	var earliest *string
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*), MIN(at) FROM login_failures WHERE org_id = $1 AND limit_key = $2 AND at >= $3`,
		orgID, key, columns.FormatTime(since)).Scan(&n, &earliest)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("counting login failures: %w", err)
	}
	return n, columns.ParseTime(derefString(earliest)), nil
}

// ClearLoginFailures deletes the failures of a key.
func (s *Store) ClearLoginFailures(ctx context.Context, orgID, key string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE org_id = $1 AND limit_key = $2`, orgID, key); err != nil {
		return fmt.Errorf("clearing login failures: %w", err)
	}
	return nil
}

// DeleteLoginFailure deletes one failure of a key recorded at exactly at.
// Failures of one key at one time are alike, so any one of them will do.
func (s *Store) DeleteLoginFailure(ctx context.Context, orgID, key string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE org_id = $1 AND limit_key = $2 AND id = (
		SELECT id FROM login_failures WHERE org_id = $3 AND limit_key = $4 AND at = $5 ORDER BY id LIMIT 1)`,
		orgID, key, orgID, key, columns.FormatTime(at))
	if err != nil {
		return fmt.Errorf("deleting a login failure: %w", err)
	}
	return nil
}

// DeleteLoginFailuresBefore deletes the failures of every org before a time.
func (s *Store) DeleteLoginFailuresBefore(ctx context.Context, before time.Time) (int, error) {
	res, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE at < $1`, columns.FormatTime(before))
	if err != nil {
		return 0, fmt.Errorf("deleting old login failures: %w", err)
	}
	return int(res.RowsAffected()), nil
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// RecordConnectionUse stores when a user last called through a
// connection, keeping the later of the stored and the given time.
func (s *Store) RecordConnectionUse(ctx context.Context, orgID, connectionID, userID string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO connection_uses (org_id, connection_id, user_id, last_used_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (org_id, connection_id, user_id) DO UPDATE SET last_used_at = excluded.last_used_at
		WHERE excluded.last_used_at > connection_uses.last_used_at`,
		orgID, connectionID, userID, columns.FormatTime(at))
	if err != nil && isForeignKeyViolation(err) {
		return fmt.Errorf("connection %q or user %q: %w", connectionID, userID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("recording use of connection %q: %w", connectionID, err)
	}
	return nil
}

// ConnectionLastUsed returns the latest use of a connection by any user.
func (s *Store) ConnectionLastUsed(ctx context.Context, orgID, connectionID string) (time.Time, error) {
	var last *string
	err := s.pool.QueryRow(ctx, `SELECT MAX(last_used_at) FROM connection_uses WHERE org_id = $1 AND connection_id = $2`,
		orgID, connectionID).Scan(&last)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading last use of connection %q: %w", connectionID, err)
	}
	return columns.ParseTime(derefString(last)), nil
}
