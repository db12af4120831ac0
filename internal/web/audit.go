package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// auditPerPage is how many audit entries one page lists.
const auditPerPage = 50

// auditView is the audit page's data.
type auditView struct {
	Connection string
	Member     string
	Before     string
	NextBefore string
	Entries    []auditRow
	// Members and Connections fill the filters' choices.
	Members     []string
	Connections []string
	// FilterError explains a filter that selects nothing, such as an
	// unknown member.
	FilterError string
}

// auditRow is one audit entry as the page shows it.
type auditRow struct {
	Entry  store.AuditEntry
	Actor  string
	Detail string
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	if sess.Actor.Role != store.RoleAdmin {
		return forbiddenFor(sess.Actor.Role, "read the audit log")
	}
	q := r.URL.Query()
	v := auditView{
		Connection: strings.TrimSpace(q.Get("connection")), Member: strings.TrimSpace(q.Get("member")), Before: q.Get("before"),
	}
	entries, err := s.audit.Read(r.Context(), sess.Actor, audit.Query{
		Connection: v.Connection, Member: v.Member, Before: v.Before, Limit: auditPerPage + 1,
	})
	if p, ok := problem.As(err); ok && p.Status < 500 {
		v.FilterError = uiMessage(p)
		err = nil
	}
	if err != nil {
		return err
	}
	if len(entries) > auditPerPage {
		entries = entries[:auditPerPage]
		v.NextBefore = entries[len(entries)-1].ID
	}
	for _, e := range entries {
		v.Entries = append(v.Entries, auditRowOf(e))
	}
	if err := s.fillAuditFilters(r, sess, &v); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "audit", sess, v)
	return nil
}

// auditRowOf returns an entry with its actor's name, "plugboard" for an
// action no member took, and its detail as compact JSON.
func auditRowOf(e store.AuditEntry) auditRow {
	row := auditRow{Entry: e, Actor: e.ActorName}
	if e.ActorID == "" {
		row.Actor = "plugboard"
	}
	if len(e.Detail) > 0 {
		if b, err := json.Marshal(e.Detail); err == nil {
			row.Detail = string(b)
		}
	}
	return row
}

// fillAuditFilters lists the members and connections the filters offer.
func (s *Server) fillAuditFilters(r *http.Request, sess *session, v *auditView) error {
	users, err := s.members.ListUsers(r.Context(), sess.Actor, "", listLimit)
	if err != nil {
		return err
	}
	for _, u := range users {
		v.Members = append(v.Members, u.Username)
	}
	conns, err := s.conns.ListConnections(r.Context(), sess.Actor, "", "", listLimit)
	if err != nil {
		return err
	}
	for _, c := range conns {
		v.Connections = append(v.Connections, c.LinkName)
	}
	return nil
}
