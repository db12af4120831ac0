package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// chooseServiceView is the wizard's first step: the services to choose
// from, default and custom, matching the search.
type chooseServiceView struct {
	Query    string
	Default  []catalog.Service
	Custom   []catalog.Service
	NoResult bool
}

// newConnectionView is the wizard's second step: the connection's form for
// one service.
type newConnectionView struct {
	Form         *form
	Service      catalog.Service
	Applications []store.Application
	// NeedsApplication is set when the service authenticates with an
	// application and the member must pick one: several exist and none is
	// default.
	NeedsApplication bool
	// NoApplication is set when the service authenticates with an
	// application and has none yet, so no connection can be created.
	NoApplication bool
	// SecretFields are the credential fields of an api_key or basic
	// service, asked for before the connection is created.
	SecretFields []secretField
	IsOAuth      bool
}

// secretField is one credential input of an api_key or basic service.
type secretField struct {
	Name     string // the credential's name, sent to Connect
	Input    string // the form field's name
	Label    string
	Password bool
}

// newConnectionFields maps domain error codes to the wizard's fields.
var newConnectionFields = map[string]string{
	"invalid_link_name":     "link_name",
	"link_name_taken":       "link_name",
	"invalid_region":        "region",
	"invalid_scope":         "scopes",
	"application_required":  "application",
	"invalid_application":   "application",
	"application_not_found": "application",
	"missing_credentials":   "credentials",
	"invalid_credentials":   "credentials",
}

func (s *Server) newConnectionPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	q := r.URL.Query()
	key := q.Get("service")
	if key == "" {
		return s.renderChooseService(w, r, sess, strings.TrimSpace(q.Get("q")))
	}
	svc, err := s.conns.Service(r.Context(), sess.Actor.OrgID, key)
	if err != nil {
		return err
	}
	f := newForm(nil)
	f.Values.Set("service", svc.Key)
	if svc.DefaultRegion != "" {
		f.Values.Set("region", svc.DefaultRegion)
	}
	return s.renderNewConnection(w, r, sess, http.StatusOK, svc, f)
}

func (s *Server) renderChooseService(w http.ResponseWriter, r *http.Request, sess *session, query string) error {
	services, err := s.conns.ListServices(r.Context(), sess.Actor.OrgID, "", query)
	if err != nil {
		return err
	}
	v := chooseServiceView{Query: query}
	for _, svc := range services {
		if svc.Kind == catalog.KindCustom {
			v.Custom = append(v.Custom, svc)
		} else {
			v.Default = append(v.Default, svc)
		}
	}
	sortByName(v.Default)
	sortByName(v.Custom)
	v.NoResult = len(services) == 0
	s.render(w, r, http.StatusOK, "chooseservice", sess, v)
	return nil
}

// renderNewConnection renders the connection form of a service. Its forms
// may lead to the provider's consent screen, so the page allows that
// origin as a form target.
func (s *Server) renderNewConnection(w http.ResponseWriter, r *http.Request, sess *session, status int, svc catalog.Service, f *form) error {
	v := newConnectionView{Form: f, Service: svc, IsOAuth: svc.AuthType == catalog.AuthOAuth2, SecretFields: secretFieldsOf(svc)}
	if svc.AuthType == catalog.AuthOAuth2 || svc.AuthType == catalog.AuthOAuth2ClientCredentials {
		apps, err := s.conns.ListApplications(r.Context(), sess.Actor.OrgID, svc.Key)
		if err != nil {
			return err
		}
		v.Applications = apps
		v.NeedsApplication = len(apps) > 1 && !slices.ContainsFunc(apps, func(a store.Application) bool { return a.Default })
		// Without an application the page shows a note with a link to add
		// one, in place of the field and its error.
		v.NoApplication = len(apps) == 0
		if v.NoApplication {
			delete(f.Errors, "application")
		}
	}
	allowFormTarget(w, authorizationOrigins(svc)...)
	s.render(w, r, status, "newconnection", sess, v)
	return nil
}

// secretFieldsOf lists the credentials that connecting an api_key or basic
// service needs.
func secretFieldsOf(svc catalog.Service) []secretField {
	switch svc.AuthType {
	case catalog.AuthAPIKey:
		var fields []secretField
		if svc.APIKey != nil {
			for i, p := range svc.APIKey.Params {
				fields = append(fields, secretField{Name: p.Name, Input: fmt.Sprintf("credential_%d", i), Label: p.Name, Password: true})
			}
		}
		return fields
	case catalog.AuthBasic:
		return []secretField{
			{Name: "username", Input: "credential_username", Label: "Username"},
			{Name: "password", Input: "credential_password", Label: "Password", Password: true},
		}
	}
	return nil
}

// authorizationOrigins returns the origins of a service's authorization
// endpoint, one per region.
func authorizationOrigins(svc catalog.Service) []string {
	if svc.AuthType != catalog.AuthOAuth2 || svc.OAuth2 == nil {
		return nil
	}
	regions := svc.RegionIDs()
	if len(regions) == 0 {
		regions = []string{""}
	}
	var origins []string
	for _, region := range regions {
		resolved, err := svc.ForRegion(region)
		if err != nil || resolved.OAuth2 == nil {
			continue
		}
		if u, err := url.Parse(resolved.OAuth2.AuthorizationURL); err == nil && u.Scheme != "" && u.Host != "" {
			origins = append(origins, u.Scheme+"://"+u.Host)
		}
	}
	return origins
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request, sess *session) error {
	// Secrets typed into the form are never sent back in a page.
	f := newForm(r.PostForm)
	for name := range f.Values {
		if strings.HasPrefix(name, "credential_") && name != "credential_username" {
			f.Values.Del(name)
		}
	}
	svc, err := s.conns.Service(r.Context(), sess.Actor.OrgID, r.PostForm.Get("service"))
	if err != nil {
		return err
	}

	name := strings.TrimSpace(r.PostForm.Get("name"))
	description := r.PostForm.Get("description")
	shared := r.PostForm.Get("use_login_user_credentials") == "on"
	scopes := append([]string(nil), r.PostForm["scopes"]...)
	scopes = append(scopes, strings.Fields(r.PostForm.Get("extra_scopes"))...)
	in := connections.ConnectionInput{
		Name: &name, Description: &description, Service: svc.Key, Region: r.PostForm.Get("region"),
		Scopes: &scopes, UseLoginUserCredentials: &shared,
	}
	// A link name equal to the one derived from the display name is left
	// to the server, which adds _2, _3 ... when it is taken; one the member
	// typed is kept as it is, or rejected.
	if link := strings.TrimSpace(r.PostForm.Get("link_name")); link != "" && link != connections.LinkNameFrom(name) {
		in.LinkName = link
	}
	if app := r.PostForm.Get("application"); app != "" {
		in.Application = &app
	}
	if name == "" {
		f.Fail("name", "Enter a name for the connection, such as “Acme devices”.")
	}
	credentials := map[string]secrets.Secret{}
	for _, field := range secretFieldsOf(svc) {
		value := r.PostForm.Get(field.Input)
		if value == "" {
			f.Fail(field.Input, "Enter the "+field.Label+".")
			continue
		}
		credentials[field.Name] = secrets.Secret(value)
	}
	if f.Failed() {
		return s.renderNewConnection(w, r, sess, http.StatusUnprocessableEntity, svc, f)
	}

	conn, err := s.conns.CreateConnection(r.Context(), sess.Actor, in)
	if err != nil {
		if !failConnectionForm(f, err) {
			return err
		}
		return s.renderNewConnection(w, r, sess, statusOf(err), svc, f)
	}
	s.logger.Info("connection created in the web UI", "org_id", conn.OrgID, "connection", conn.LinkName, "user_id", sess.Actor.UserID)
	if svc.AuthType == catalog.AuthNone {
		http.Redirect(w, r, "/connections/"+url.PathEscape(conn.LinkName)+"?notice=created", http.StatusSeeOther)
		return nil
	}
	return s.connectAndRedirect(w, r, sess, conn, credentials)
}

// failConnectionForm puts a domain error next to the wizard field it
// concerns.
func failConnectionForm(f *form, err error) bool {
	p, ok := problem.As(err)
	if ok && p.Code == "invalid_connection" {
		field := "name"
		if strings.HasPrefix(p.Detail, "description") {
			field = "description"
		}
		f.Fail(field, uiMessage(p))
		return true
	}
	return f.FailWith(err, newConnectionFields)
}

// statusOf returns the HTTP status of a domain error, 500 for others.
func statusOf(err error) int {
	if p, ok := problem.As(err); ok {
		return p.Status
	}
	return http.StatusInternalServerError
}

// connectAndRedirect starts connecting the member's credential: OAuth
// services go to the provider's consent screen, services with secrets are
// connected with the given credentials, and the browser comes back to the
// connection's page either way.
func (s *Server) connectAndRedirect(w http.ResponseWriter, r *http.Request, sess *session, conn store.Connection, credentials map[string]secrets.Secret) error {
	page := "/connections/" + conn.LinkName
	result, err := s.conns.Connect(r.Context(), sess.Actor, conn.LinkName, page, credentials)
	if err != nil {
		var p *problem.Error
		if errors.As(err, &p) && p.Status < 500 {
			// The connection exists; its page shows why connecting failed.
			return s.renderConnection(w, r, sess, conn.LinkName, p.Status, connectFailure(err))
		}
		return err
	}
	if result.AuthorizationURL != "" {
		http.Redirect(w, r, result.AuthorizationURL, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, page+"?connected="+url.QueryEscape(conn.LinkName), http.StatusSeeOther)
	return nil
}
