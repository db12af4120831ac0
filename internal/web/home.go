package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

// homeLimit bounds the connections the home page lists.
// NOTE: the page shows the first homeLimit connections in link name order,
// with a line telling that there are more; it has no paging yet.
const homeLimit = 500

// connectionRow is one row of the connections table.
type connectionRow struct {
	Summary     connections.Summary
	ServiceName string
	// Status is the one the row shows and filters on: the owner's under My
	// connections, the viewer's own under Shared connections.
	Status string
}

// homeView is the connections home page's data.
type homeView struct {
	View     string // connections.ViewMine, connections.ViewShared or viewAll
	Rows     []connectionRow
	Total    int // rows before filtering
	More     bool
	Query    string
	Service  string
	Status   string
	Services []catalog.Service // services that the unfiltered rows use
	CanAdd   bool
}

// viewAll is the home page's tab of every connection the member may see,
// as the API lists them without a view.
const viewAll = "all"

var statusFilters = []string{store.StatusConnected, store.StatusNotConnected, store.StatusNeedsReauth}

func (s *Server) home(w http.ResponseWriter, r *http.Request, sess *session) error {
	q := r.URL.Query()
	view := q.Get("view")
	if view != connections.ViewShared && view != viewAll {
		view = connections.ViewMine
	}
	listView := view
	if view == viewAll {
		listView = ""
	}
	v := homeView{
		View: view, Query: strings.TrimSpace(q.Get("q")), Service: q.Get("service"), Status: q.Get("status"),
		CanAdd: sess.Actor.Role != store.RoleViewer,
	}
	if !slices.Contains(statusFilters, v.Status) {
		v.Status = ""
	}

	conns, err := s.conns.ListConnections(r.Context(), sess.Actor, listView, "", homeLimit+1)
	if err != nil {
		return err
	}
	if len(conns) > homeLimit {
		conns, v.More = conns[:homeLimit], true
	}
	v.Total = len(conns)
	names := map[string]catalog.Service{}
	for _, conn := range conns {
		svc, ok := names[conn.ServiceKey]
		if !ok {
			svc, err = s.conns.Service(r.Context(), sess.Actor.OrgID, conn.ServiceKey)
			if err != nil {
				svc = catalog.Service{Key: conn.ServiceKey, Name: conn.ServiceKey}
			}
			names[conn.ServiceKey] = svc
			v.Services = append(v.Services, svc)
		}
		if v.Service != "" && conn.ServiceKey != v.Service {
			continue
		}
		if v.Query != "" && !matchesQuery(v.Query, conn.Name, conn.LinkName, conn.ServiceKey, svc.Name) {
			continue
		}
		sum, err := s.conns.Describe(r.Context(), sess.Actor, conn)
		if err != nil {
			return err
		}
		row := connectionRow{Summary: sum, ServiceName: svc.Name, Status: sum.Status}
		if view == connections.ViewShared {
			row.Status = sum.MyStatus
		}
		if v.Status != "" && row.Status != v.Status {
			continue
		}
		v.Rows = append(v.Rows, row)
	}
	slices.SortFunc(v.Services, func(a, b catalog.Service) int { return strings.Compare(a.Name, b.Name) })
	s.render(w, r, http.StatusOK, "home", sess, v)
	return nil
}

// matchesQuery reports whether every word of q occurs in one of the texts,
// ignoring case.
func matchesQuery(q string, texts ...string) bool {
	joined := strings.ToLower(strings.Join(texts, " "))
	for _, word := range strings.Fields(strings.ToLower(q)) {
		if !strings.Contains(joined, word) {
			return false
		}
	}
	return true
}
