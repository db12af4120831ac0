package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/plugboard/plugboard/internal/store"
)

// ListUsers lists an org's users in username order.
func (s *Store) ListUsers(ctx context.Context, orgID string) ([]store.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE org_id = $1 ORDER BY username`, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return collectRows(rows, scanUser, "user")
}

// UpdateUser runs update on a user whose row it locks, stores the role and
// returns the stored user. The org, ID, username and creation time cannot
// change.
func (s *Store) UpdateUser(ctx context.Context, orgID, userID string, update func(*store.User) error) (store.User, error) {
	var result store.User
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		const query = `SELECT ` + userColumns + ` FROM users WHERE org_id = $1 AND id = $2`
		current, err := scanUser(tx.QueryRow(ctx, query+` FOR UPDATE`, orgID, userID))
		if err != nil {
			return notFound(err, "user %q", userID)
		}
		u := current
		if err := update(&u); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET role = $1 WHERE org_id = $2 AND id = $3`, u.Role, orgID, userID); err != nil {
			return fmt.Errorf("updating user %q: %w", userID, err)
		}
		if result, err = scanUser(tx.QueryRow(ctx, query, orgID, userID)); err != nil {
			return fmt.Errorf("reading updated user %q: %w", userID, err)
		}
		return nil
	})
	return result, err
}

// DeleteUser deletes a user who owns no connection and created no webhook,
// with the user's API tokens, credentials, pending OAuth states and web
// sessions, in one transaction. Deleting the states stops an authorization started earlier
// from storing a credential for a user who is gone. The connections and
// webhooks are counted under the user's row lock, which a new connection or
// webhook of the user waits for.
func (s *Store) DeleteUser(ctx context.Context, orgID, userID string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var locked string
		err := tx.QueryRow(ctx, `SELECT id FROM users WHERE org_id = $1 AND id = $2 FOR UPDATE`, orgID, userID).Scan(&locked)
		if err != nil {
			return notFound(err, "user %q", userID)
		}

		var connections, webhooks int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM connections WHERE org_id = $1 AND owner_id = $2`, orgID, userID).Scan(&connections); err != nil {
			return fmt.Errorf("counting connections of user %q: %w", userID, err)
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM webhooks WHERE org_id = $1 AND created_by = $2`, orgID, userID).Scan(&webhooks); err != nil {
			return fmt.Errorf("counting webhooks of user %q: %w", userID, err)
		}
		if connections > 0 || webhooks > 0 {
			return fmt.Errorf("user %q owns %d connections and %d webhooks: %w", userID, connections, webhooks, store.ErrInUse)
		}

		deletes := []struct{ table, query string }{
			{"api tokens", `DELETE FROM api_tokens WHERE org_id = $1 AND user_id = $2`},
			{"credentials", `DELETE FROM credentials WHERE org_id = $1 AND user_id = $2`},
			{"oauth states", `DELETE FROM oauth_states WHERE org_id = $1 AND user_id = $2`},
			{"web sessions", `DELETE FROM web_sessions WHERE org_id = $1 AND user_id = $2`},
			{"user", `DELETE FROM users WHERE org_id = $1 AND id = $2`},
		}
		for _, d := range deletes {
			if _, err := tx.Exec(ctx, d.query, orgID, userID); err != nil {
				return fmt.Errorf("deleting %s of user %q: %w", d.table, userID, err)
			}
		}
		return nil
	})
}

// ListAPITokens lists API tokens by creation time, then ID, of one user
// when userID is not empty.
func (s *Store) ListAPITokens(ctx context.Context, orgID, userID string) ([]store.APIToken, error) {
	var args queryArgs
	query := `SELECT ` + apiTokenColumns + ` FROM api_tokens WHERE org_id = ` + args.add(orgID)
	if userID != "" {
		query += ` AND user_id = ` + args.add(userID)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("listing api tokens: %w", err)
	}
	return collectRows(rows, scanAPIToken, "api token")
}

// DeleteAPIToken deletes an API token.
func (s *Store) DeleteAPIToken(ctx context.Context, orgID, tokenID string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM api_tokens WHERE org_id = $1 AND id = $2`, orgID, tokenID)
	if err != nil {
		return fmt.Errorf("deleting api token %q: %w", tokenID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("api token %q: %w", tokenID, store.ErrNotFound)
	}
	return nil
}
