package api

import (
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/store"
)

// auditEntryJSON is an audit entry as the API shows it.
type auditEntryJSON struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	// Connection is the link name of the connection involved, if any.
	Connection string         `json:"connection,omitempty"`
	TargetType string         `json:"target_type,omitempty"`
	TargetID   string         `json:"target_id,omitempty"`
	Detail     map[string]any `json:"detail"`
	RemoteAddr string         `json:"remote_addr,omitempty"`
}

// plugboardActor names plugboard itself as the actor of an entry, for
// actions no member took, such as a background refresh.
const plugboardActor = "plugboard"

func auditEntryOf(e store.AuditEntry) auditEntryJSON {
	out := auditEntryJSON{
		ID: e.ID, At: e.At, Actor: e.ActorName, Action: e.Action, Connection: e.LinkName,
		TargetType: e.TargetType, TargetID: e.TargetID, Detail: e.Detail, RemoteAddr: e.RemoteAddr,
	}
	if e.ActorID == "" {
		out.Actor = plugboardActor
	}
	if out.Detail == nil {
		out.Detail = map[string]any{}
	}
	return out
}

// listAudit lists the org's audit log, newest first, for admins, filtered
// by ?connection=<link name> and ?member=<username>.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, c *Caller) error {
	limit, before, err := page(r)
	if err != nil {
		return err
	}
	query := r.URL.Query()
	entries, err := s.audit.Read(r.Context(), c.Actor, audit.Query{
		Connection: query.Get("connection"), Member: query.Get("member"), Before: before, Limit: limit + 1,
	})
	if err != nil {
		return err
	}
	out := list[auditEntryJSON]{Items: []auditEntryJSON{}}
	for i, e := range entries {
		if i == limit {
			out.NextCursor = cursorOf(entries[i-1].ID)
			break
		}
		out.Items = append(out.Items, auditEntryOf(e))
	}
	return writeJSON(w, http.StatusOK, out)
}
