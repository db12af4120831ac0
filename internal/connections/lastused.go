package connections

import (
	"context"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// useRecordInterval is the longest a connection's recorded last use may
// lag behind a call, per member and instance: a call through a connection
// writes its time at most this often, so the proxy's hot path rarely
// writes.
const useRecordInterval = time.Minute

// noteUse records that actor called through conn, unless this instance
// recorded a use by the same member within useRecordInterval. A failure is
// logged, because it must not fail the call.
func (m *Manager) noteUse(ctx context.Context, conn store.Connection, actor Actor) {
	now := m.now()
	key := conn.OrgID + "/" + conn.ID + "/" + actor.UserID
	if last, ok := m.uses.Load(key); ok && now.Sub(last.(time.Time)) < useRecordInterval {
		return
	}
	m.uses.Store(key, now)
	if err := m.store.RecordConnectionUse(context.WithoutCancel(ctx), conn.OrgID, conn.ID, actor.UserID, now); err != nil {
		m.logger.Warn("recording connection use failed", "org_id", conn.OrgID, "connection", conn.LinkName, "err", err)
	}
}
