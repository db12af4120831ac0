package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/plugboard/plugboard/internal/store"
)

// ListUsers lists an org's users in username order.
func (s *Store) ListUsers(ctx context.Context, orgID string) ([]store.User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = ? ORDER BY username`, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("reading user: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser runs update on a user, stores the role and returns the stored
// user. The org, ID, username and creation time cannot change.
func (s *Store) UpdateUser(ctx context.Context, orgID, userID string, update func(*store.User) error) (store.User, error) {
	var result store.User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		const query = `SELECT ` + userColumns + ` FROM users WHERE org_id = ? AND id = ?`
		current, err := scanUser(tx.QueryRowContext(ctx, query, orgID, userID))
		if err != nil {
			return notFound(err, "user %q", userID)
		}
		u := current
		if err := update(&u); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = ? WHERE org_id = ? AND id = ?`, u.Role, orgID, userID); err != nil {
			return fmt.Errorf("updating user %q: %w", userID, err)
		}
		if result, err = scanUser(tx.QueryRowContext(ctx, query, orgID, userID)); err != nil {
			return fmt.Errorf("reading updated user %q: %w", userID, err)
		}
		return nil
	})
	return result, err
}

// DeleteUser deletes a user who owns no connection and created no webhook,
// with the user's API tokens, credentials, pending OAuth states and web
// sessions, in one transaction. Deleting the states stops an authorization started earlier
// from storing a credential for a user who is gone.
func (s *Store) DeleteUser(ctx context.Context, orgID, userID string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE org_id = ? AND id = ?`, orgID, userID).Scan(&exists); err != nil {
			return fmt.Errorf("reading user %q: %w", userID, err)
		}
		if exists == 0 {
			return fmt.Errorf("user %q: %w", userID, store.ErrNotFound)
		}

		var connections, webhooks int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM connections WHERE org_id = ? AND owner_id = ?`, orgID, userID).Scan(&connections); err != nil {
			return fmt.Errorf("counting connections of user %q: %w", userID, err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhooks WHERE org_id = ? AND created_by = ?`, orgID, userID).Scan(&webhooks); err != nil {
			return fmt.Errorf("counting webhooks of user %q: %w", userID, err)
		}
		if connections > 0 || webhooks > 0 {
			return fmt.Errorf("user %q owns %d connections and %d webhooks: %w", userID, connections, webhooks, store.ErrInUse)
		}

		deletes := []struct{ table, query string }{
			{"api tokens", `DELETE FROM api_tokens WHERE org_id = ? AND user_id = ?`},
			{"credentials", `DELETE FROM credentials WHERE org_id = ? AND user_id = ?`},
			{"oauth states", `DELETE FROM oauth_states WHERE org_id = ? AND user_id = ?`},
			{"web sessions", `DELETE FROM web_sessions WHERE org_id = ? AND user_id = ?`},
			{"user", `DELETE FROM users WHERE org_id = ? AND id = ?`},
		}
		for _, d := range deletes {
			if _, err := tx.ExecContext(ctx, d.query, orgID, userID); err != nil {
				return fmt.Errorf("deleting %s of user %q: %w", d.table, userID, err)
			}
		}
		return nil
	})
}

// ListAPITokens lists API tokens by creation time, then ID, of one user
// when userID is not empty.
func (s *Store) ListAPITokens(ctx context.Context, orgID, userID string) ([]store.APIToken, error) {
	query := `SELECT ` + apiTokenColumns + ` FROM api_tokens WHERE org_id = ?`
	args := []any{orgID}
	if userID != "" {
		query += ` AND user_id = ?`
		args = append(args, userID)
	}
	rows, err := s.db.QueryContext(ctx, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing api tokens: %w", err)
	}
	defer rows.Close()
	var out []store.APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("reading api token: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeleteAPIToken deletes an API token.
func (s *Store) DeleteAPIToken(ctx context.Context, orgID, tokenID string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM api_tokens WHERE org_id = ? AND id = ?`, orgID, tokenID)
	if err != nil {
		return fmt.Errorf("deleting api token %q: %w", tokenID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("api token %q: %w", tokenID, store.ErrNotFound)
	}
	return nil
}
