package connections

import (
	"context"

	"github.com/plugboard/plugboard/internal/store"
)

// Event types that plugboard raises about connections.
const (
	EventConnected   = "connection.connected"
	EventRevoked     = "connection.revoked"
	EventNeedsReauth = "connection.needs_reauth"
	EventDeleted     = "connection.deleted"
)

// raise publishes a connection event. A failure is logged: the change that
// caused the event has happened and stays.
func (m *Manager) raise(ctx context.Context, conn store.Connection, actorID, eventType, userID string) {
	if m.events == nil {
		return
	}
	data := map[string]any{
		"connection": conn.LinkName,
		"service":    conn.ServiceKey,
	}
	if user, err := m.store.GetUser(ctx, conn.OrgID, userID); err == nil {
		data["user"] = user.Username
	}
	if err := m.events.Publish(context.WithoutCancel(ctx), conn.OrgID, actorID, eventType, data); err != nil {
		m.logger.Error("raising event failed", "org_id", conn.OrgID, "connection", conn.LinkName, "event", eventType, "err", err)
	}
}

// record appends an audit entry about a connection.
func (m *Manager) record(ctx context.Context, actor Actor, conn store.Connection, action string, detail map[string]any) {
	if m.audit == nil {
		return
	}
	m.audit.Record(context.WithoutCancel(ctx), store.AuditEntry{
		OrgID:        conn.OrgID,
		ActorID:      actor.UserID,
		ActorName:    actor.Username,
		Action:       action,
		ConnectionID: conn.ID,
		LinkName:     conn.LinkName,
		Detail:       detail,
	})
}
