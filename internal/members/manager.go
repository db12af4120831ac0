package members

import (
	"context"
	"log/slog"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Options configure a Manager.
type Options struct {
	Store store.Store
	// Audit receives the user.* and token.* entries; nil drops them.
	Audit connections.AuditRecorder
	// Credentials revokes a removed member's credentials at the providers;
	// nil leaves them to be deleted without revocation.
	Credentials CredentialRevoker
	Logger      *slog.Logger
	Now         func() time.Time
}

// CredentialRevoker ends one member's credential of a connection, at the
// provider and locally.
type CredentialRevoker interface {
	RevokeMember(ctx context.Context, actor connections.Actor, link, username string) (connections.RevokeResult, error)
}

var _ CredentialRevoker = (*connections.Manager)(nil)

// Manager applies the rules for members and API tokens: admins change
// members and any token of the org, every member manages their own tokens,
// and an org always keeps at least one admin.
type Manager struct {
	store       store.Store
	audit       connections.AuditRecorder
	credentials CredentialRevoker
	logger      *slog.Logger
	now         func() time.Time
}

// NewManager returns a Manager.
func NewManager(opts Options) *Manager {
	m := &Manager{store: opts.Store, audit: opts.Audit, credentials: opts.Credentials, logger: opts.Logger, now: opts.Now}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	return m
}

// record appends an audit entry about a user or a token.
func (m *Manager) record(ctx context.Context, actor connections.Actor, action, targetType, targetID string, detail map[string]any) {
	if m.audit == nil {
		return
	}
	m.audit.Record(ctx, store.AuditEntry{
		OrgID:      actor.OrgID,
		ActorID:    actor.UserID,
		ActorName:  actor.Username,
		Action:     action,
		TargetType: targetType,
		TargetID:   targetID,
		Detail:     detail,
	})
}

// requireAdmin returns forbidden unless actor is an admin; action names
// what was requested, such as "add members".
func requireAdmin(actor connections.Actor, action string) error {
	if actor.Role != store.RoleAdmin {
		return problem.Forbidden("forbidden", "role %q cannot %s; ask an admin", actor.Role, action)
	}
	return nil
}
