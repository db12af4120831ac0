package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
)

// applicationView is the page of one application, with its edit form.
type applicationView struct {
	ServiceKey  string
	ServiceName string
	Row         applicationRow
	RedirectURI string
	Form        *form
	CanManage   bool
}

// applicationField returns the form field a domain error about an
// application names: its message starts with the field's name.
func applicationField(p *problem.Error) string {
	for _, field := range []string{"client_id", "name"} {
		if strings.HasPrefix(p.Detail, field+" ") {
			return field
		}
	}
	return ""
}

// checkApplicationForm sets the errors of the fields a new application
// must have.
func checkApplicationForm(f *form) {
	if strings.TrimSpace(f.Get("name")) == "" {
		f.Fail("name", "Enter a name for the application, such as Production.")
	}
	if strings.TrimSpace(f.Get("client_id")) == "" {
		f.Fail("client_id", "Enter the client ID from the provider's developer console.")
	}
}

func servicePath(key string) string { return "/services/" + url.PathEscape(key) }

func (s *Server) createApplication(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := parseForm(r); err != nil {
		return err
	}
	key := r.PathValue("key")
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "register applications")
	}
	f := newForm(r.PostForm)
	f.Values.Del("client_secret")
	checkApplicationForm(f)
	if !f.Failed() {
		name, clientID := f.Get("name"), f.Get("client_id")
		secret := secrets.Secret(r.PostForm.Get("client_secret"))
		isDefault := f.Has("default", "on")
		app, err := s.conns.CreateApplication(r.Context(), sess.Actor, connections.ApplicationInput{
			Service: key, Name: &name, ClientID: &clientID, ClientSecret: &secret, Default: &isDefault,
		})
		if err == nil {
			s.logger.Info("application created", "org_id", sess.Actor.OrgID, "service", key, "application_id", app.ID, "user_id", sess.Actor.UserID)
			return redirect(w, r, servicePath(key)+"#applications", "application_created")
		}
		if failErr := s.failForm(r, f, err, applicationField); failErr != nil {
			return failErr
		}
	}
	v, err := s.serviceView(r, sess, key)
	if err != nil {
		return err
	}
	v.AppForm = f
	s.render(w, r, http.StatusUnprocessableEntity, "service", sess, v)
	return nil
}

// loadApplication returns the application of the path, which must belong
// to the path's service.
func (s *Server) loadApplication(r *http.Request, sess *session) (*applicationView, error) {
	v, err := s.serviceView(r, sess, r.PathValue("key"))
	if err != nil {
		return nil, err
	}
	id := r.PathValue("id")
	for _, row := range v.Applications {
		if row.App.ID == id {
			return &applicationView{
				ServiceKey: v.Service.Key, ServiceName: v.Service.Name, Row: row, RedirectURI: v.RedirectURI,
				CanManage: sess.Actor.CanManage(),
				Form: newForm(url.Values{
					"name": {row.App.Name}, "client_id": {row.App.ClientID}, "default": {map[bool]string{true: "on"}[row.App.Default]},
				}),
			}, nil
		}
	}
	return nil, notFound("Service %s has no application with ID %s.", v.Service.Name, id)
}

func (s *Server) applicationPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	v, err := s.loadApplication(r, sess)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "application", sess, v)
	return nil
}

func (s *Server) updateApplication(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "change applications")
	}
	v, err := s.loadApplication(r, sess)
	if err != nil {
		return err
	}
	f := newForm(r.PostForm)
	f.Values.Del("client_secret")
	v.Form = f
	checkApplicationForm(f)
	if !f.Failed() {
		name, clientID, isDefault := f.Get("name"), f.Get("client_id"), f.Has("default", "on")
		in := connections.ApplicationInput{Name: &name, ClientID: &clientID, Default: &isDefault}
		// The secret is write-only: a blank field keeps the stored one
		// unless the member checks Remove.
		if secret := secrets.Secret(r.PostForm.Get("client_secret")); secret != "" || f.Has("remove_secret", "on") {
			in.ClientSecret = &secret
		}
		_, err := s.conns.UpdateApplication(r.Context(), sess.Actor, v.Row.App.ID, in)
		if err == nil {
			return redirect(w, r, servicePath(v.ServiceKey)+"#applications", "application_saved")
		}
		if failErr := s.failForm(r, f, err, applicationField); failErr != nil {
			return failErr
		}
	}
	s.render(w, r, http.StatusUnprocessableEntity, "application", sess, v)
	return nil
}

func (s *Server) makeApplicationDefault(w http.ResponseWriter, r *http.Request, sess *session) error {
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "change applications")
	}
	v, err := s.loadApplication(r, sess)
	if err != nil {
		return err
	}
	isDefault := true
	if _, err := s.conns.UpdateApplication(r.Context(), sess.Actor, v.Row.App.ID, connections.ApplicationInput{Default: &isDefault}); err != nil {
		return err
	}
	return redirect(w, r, servicePath(v.ServiceKey)+"#applications", "application_saved")
}

func (s *Server) deleteApplication(w http.ResponseWriter, r *http.Request, sess *session) error {
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "delete applications")
	}
	v, err := s.loadApplication(r, sess)
	if err != nil {
		return err
	}
	err = s.conns.DeleteApplication(r.Context(), sess.Actor, v.Row.App.ID)
	if err == nil {
		s.logger.Info("application deleted", "org_id", sess.Actor.OrgID, "application_id", v.Row.App.ID, "user_id", sess.Actor.UserID)
		return redirect(w, r, servicePath(v.ServiceKey)+"#applications", "application_deleted")
	}
	if failErr := s.failForm(r, v.Form, err, noField); failErr != nil {
		return failErr
	}
	if isProblem(err, "application_in_use") {
		v.Form.Message = "This application cannot be deleted while connections use it (" + strings.Join(v.Row.Connections, ", ") +
			"). Delete those connections first."
	}
	s.render(w, r, formStatus(err), "application", sess, v)
	return nil
}
