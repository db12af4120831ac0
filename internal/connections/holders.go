package connections

import (
	"context"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Holder is one member's credential of a connection, as metadata: never a
// token.
type Holder struct {
	UserID        string
	Username      string
	Status        string
	GrantedScopes []string
	ConnectedAt   time.Time
	Expiry        time.Time
	LastError     string
}

// Holders lists the members holding a credential of a connection. Admins
// and the connection's owner may list them.
func (m *Manager) Holders(ctx context.Context, actor Actor, link string) ([]Holder, error) {
	conn, err := m.Connection(ctx, actor.OrgID, link)
	if err != nil {
		return nil, err
	}
	if actor.Role != store.RoleAdmin && actor.UserID != conn.OwnerID {
		return nil, problem.Forbidden("forbidden", "only admins and the owner of connection %q may list its credentials", link)
	}
	creds, err := m.store.ListCredentials(ctx, conn.OrgID, conn.ID)
	if err != nil {
		return nil, fmt.Errorf("listing credentials of %q: %w", link, err)
	}
	holders := make([]Holder, 0, len(creds))
	for _, cred := range creds {
		h := Holder{
			UserID: cred.UserID, Username: cred.UserID, Status: cred.Status, GrantedScopes: cred.GrantedScopes,
			ConnectedAt: cred.ConnectedAt, Expiry: cred.Expiry, LastError: cred.LastError,
		}
		if user, err := m.store.GetUser(ctx, conn.OrgID, cred.UserID); err == nil {
			h.Username = user.Username
		}
		holders = append(holders, h)
	}
	return holders, nil
}
