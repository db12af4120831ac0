package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/store"
)

// serviceGroup is one heading of the services page.
type serviceGroup struct {
	ID       string
	Title    string
	Services []catalog.Service
}

// servicesView is the services page's data.
type servicesView struct {
	Query     string
	Kind      string
	Groups    []serviceGroup
	Count     int
	CanManage bool
}

func (s *Server) servicesPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	q := r.URL.Query()
	v := servicesView{Query: strings.TrimSpace(q.Get("q")), Kind: q.Get("kind"), CanManage: sess.Actor.CanManage()}
	if v.Kind != catalog.KindDefault && v.Kind != catalog.KindCustom {
		v.Kind = ""
	}
	services, err := s.conns.ListServices(r.Context(), sess.Actor.OrgID, v.Kind, v.Query)
	if err != nil {
		return err
	}
	custom := serviceGroup{ID: "custom-services", Title: "Custom services"}
	defaults := serviceGroup{ID: "default-services", Title: "Default services"}
	for _, svc := range services {
		if svc.Kind == catalog.KindCustom {
			custom.Services = append(custom.Services, svc)
		} else {
			defaults.Services = append(defaults.Services, svc)
		}
	}
	for _, g := range []serviceGroup{custom, defaults} {
		sortByName(g.Services)
		if len(g.Services) > 0 {
			v.Groups = append(v.Groups, g)
		}
	}
	v.Count = len(services)
	s.render(w, r, http.StatusOK, "services", sess, v)
	return nil
}

// sortByName sorts services by name, ignoring case, as every list of
// services in the UI shows them.
func sortByName(services []catalog.Service) {
	slices.SortFunc(services, func(a, b catalog.Service) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
}

// serviceView is one service's page.
type serviceView struct {
	Service     catalog.Service
	Custom      bool
	CanManage   bool
	RedirectURI string
	// UsesApplications is set for the auth types that need an OAuth client.
	UsesApplications bool
	Applications     []applicationRow
	// AppForm is the new-application form, kept after a failed submission.
	AppForm *form
	// Connections are the link names of the connections of the service.
	Connections []string
	// DeleteForm carries the error of a rejected deletion.
	DeleteForm *form
}

// applicationRow is one application with the connections that use it.
type applicationRow struct {
	App         store.Application
	HasSecret   bool
	Connections []string
}

func (s *Server) servicePage(w http.ResponseWriter, r *http.Request, sess *session) error {
	v, err := s.serviceView(r, sess, r.PathValue("key"))
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "service", sess, v)
	return nil
}

// serviceView loads a service with its applications and the connections
// that use it, which the page names as the reason a deletion is rejected.
func (s *Server) serviceView(r *http.Request, sess *session, key string) (*serviceView, error) {
	ctx := r.Context()
	svc, err := s.conns.Service(ctx, sess.Actor.OrgID, key)
	if err != nil {
		return nil, err
	}
	v := &serviceView{
		Service: svc, Custom: svc.Kind == catalog.KindCustom, CanManage: sess.Actor.CanManage(),
		RedirectURI:      s.conns.RedirectURI(),
		UsesApplications: svc.AuthType == catalog.AuthOAuth2 || svc.AuthType == catalog.AuthOAuth2ClientCredentials,
		AppForm:          newForm(nil), DeleteForm: newForm(nil),
	}
	conns, err := s.store.ListConnections(ctx, sess.Actor.OrgID, store.ListConnectionsOptions{ServiceKey: svc.Key})
	if err != nil {
		return nil, err
	}
	byApp := map[string][]string{}
	for _, c := range conns {
		v.Connections = append(v.Connections, c.LinkName)
		byApp[c.ApplicationID] = append(byApp[c.ApplicationID], c.LinkName)
	}
	apps, err := s.conns.ListApplications(ctx, sess.Actor.OrgID, svc.Key)
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		v.Applications = append(v.Applications, applicationRow{App: a, HasSecret: a.ClientSecretSealed != "", Connections: byApp[a.ID]})
	}
	return v, nil
}

func (s *Server) deleteService(w http.ResponseWriter, r *http.Request, sess *session) error {
	key := r.PathValue("key")
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "delete services")
	}
	err := s.conns.DeleteService(r.Context(), sess.Actor, key)
	if err == nil {
		s.logger.Info("custom service deleted", "org_id", sess.Actor.OrgID, "service", key, "user_id", sess.Actor.UserID)
		return redirect(w, r, "/services", "service_deleted")
	}
	v, loadErr := s.serviceView(r, sess, key)
	if loadErr != nil {
		return err
	}
	if failErr := s.failForm(r, v.DeleteForm, err, noField); failErr != nil {
		return failErr
	}
	s.render(w, r, http.StatusConflict, "service", sess, v)
	return nil
}
