package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Query selects audit entries, as the parameters of GET /v1/audit do.
type Query struct {
	// Connection is a link name: only entries about that connection.
	Connection string
	// Member is a username: only entries of actions that member took.
	Member string
	// Before is an entry ID: only entries older than it, for paging.
	Before string
	Limit  int
}

// Read returns the entries of the actor's org that q selects, newest
// first. Only admins may read the audit log.
func (l *Log) Read(ctx context.Context, actor connections.Actor, q Query) ([]store.AuditEntry, error) {
	if actor.Role != store.RoleAdmin {
		return nil, problem.Forbidden("forbidden", "role %q cannot read the audit log; ask an admin", actor.Role)
	}
	opts := store.ListAuditOptions{LinkName: q.Connection, Before: q.Before, Limit: q.Limit}
	if q.Member != "" {
		// NOTE: the store filters by user ID, so the entries of a deleted
		// member cannot be selected by username; list without the filter.
		user, err := l.store.GetUserByUsername(ctx, actor.OrgID, q.Member)
		if errors.Is(err, store.ErrNotFound) {
			return nil, problem.NotFound("user_not_found", "member %q not found; GET /v1/users lists the members", q.Member)
		}
		if err != nil {
			return nil, fmt.Errorf("reading member %q: %w", q.Member, err)
		}
		opts.ActorID = user.ID
	}
	return l.List(ctx, actor.OrgID, opts)
}
