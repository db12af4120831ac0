package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/samplecode"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// connectionView is the connection page's data.
type connectionView struct {
	Summary     connections.Summary
	Service     catalog.Service
	Application *store.Application
	RegionName  string
	Scopes      []scopeRow
	// ExtraGranted are scopes the provider granted beyond those requested.
	ExtraGranted []string
	Holders      []connections.Holder
	ShowHolders  bool
	Usages       []connections.Usage
	// Status is the status of the credential the viewer's actions act on:
	// their own on a shared connection, the owner's otherwise.
	Status string
	// CanConnect is set when the viewer may connect and revoke that
	// credential; CanManage when they may edit and delete the connection.
	CanConnect   bool
	CanManage    bool
	CanDelete    bool
	AnyConnected bool
	// NeedsNoCredential is set for a service of auth type none, which has
	// nothing to connect.
	NeedsNoCredential bool
	IsOAuth           bool
	SecretFields      []secretField
	Edit              *form
	Applications      []store.Application
	// Failure is the refusal of the last action, shown beside its button.
	Failure *actionFailure
	Samples []codeSample
}

// scopeRow is one requested scope and whether the credential has it, as
// the API's granted_scopes and missing_scopes state it.
type scopeRow struct {
	Name        string
	Description string
	// Granted is set when the provider listed the scope as granted, and
	// Missing when it did not and nothing else shows it was granted. A
	// scope may be neither: offline_access that the provider did not list
	// although it issued a refresh token.
	Granted bool
	Missing bool
	// Known is set once a credential exists, so a scope can be missing.
	Known bool
}

// actionFailure is a refused action and the reason in words.
type actionFailure struct {
	Action  string // connect, revoke, edit or delete
	Message string
	Field   string // the edit form's field, for edit failures
}

// codeSample is one tab of sample code.
type codeSample struct {
	ID    string
	Label string
	Code  string
}

func connectFailure(err error) *actionFailure {
	return &actionFailure{Action: "connect", Message: messageOf(err)}
}

// actionProblem returns the domain error in err that the connection page
// shows next to an action. It returns false for a server or not-found
// error, which the caller returns to the error adapter.
func actionProblem(err error) (*problem.Error, bool) {
	p, ok := problem.As(err)
	if !ok || p.Status >= 500 || p.Status == http.StatusNotFound {
		return nil, false
	}
	return p, true
}

// messageOf returns a domain error's detail as a sentence for a page.
func messageOf(err error) string {
	if p, ok := problem.As(err); ok {
		return uiMessage(p)
	}
	return "Something went wrong on the server. The server log has the details."
}

func (s *Server) connectionPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	return s.renderConnection(w, r, sess, r.PathValue("link"), http.StatusOK, nil)
}

// renderConnection renders a connection's page with an optional refusal
// of the last action.
func (s *Server) renderConnection(w http.ResponseWriter, r *http.Request, sess *session, link string, status int, failure *actionFailure) error {
	return s.renderConnectionWith(w, r, sess, link, status, failure, nil)
}

func (s *Server) renderConnectionWith(w http.ResponseWriter, r *http.Request, sess *session, link string, status int, failure *actionFailure, edit *form) error {
	ctx := r.Context()
	conn, err := s.conns.Connection(ctx, sess.Actor.OrgID, link)
	if err != nil {
		return err
	}
	sum, err := s.conns.Describe(ctx, sess.Actor, conn)
	if err != nil {
		return err
	}
	svc, err := s.conns.Service(ctx, conn.OrgID, conn.ServiceKey)
	if err != nil {
		svc = catalog.Service{Key: conn.ServiceKey, Name: conn.ServiceKey}
	}
	v := connectionView{
		Summary: sum, Service: svc, Failure: failure, Status: sum.Status,
		IsOAuth:      svc.AuthType == catalog.AuthOAuth2,
		SecretFields: secretFieldsOf(svc),
	}
	if conn.UseLoginUserCredentials {
		v.Status = sum.MyStatus
	}
	isOwner := conn.OwnerID == sess.Actor.UserID
	v.NeedsNoCredential = svc.AuthType == catalog.AuthNone
	v.CanConnect = sess.Actor.CanUseCredentials() && (conn.UseLoginUserCredentials || isOwner) && !v.NeedsNoCredential
	v.CanManage = sess.Actor.Role != store.RoleViewer
	v.CanDelete = v.CanManage && (isOwner || sess.Actor.Role == store.RoleAdmin)
	for _, region := range svc.Regions {
		if region.ID == conn.Region {
			v.RegionName = region.Name
		}
	}
	if conn.ApplicationID != "" {
		if app, err := s.conns.Application(ctx, conn.OrgID, conn.ApplicationID); err == nil {
			v.Application = &app
		}
	}
	if v.CanManage && (svc.AuthType == catalog.AuthOAuth2 || svc.AuthType == catalog.AuthOAuth2ClientCredentials) {
		if v.Applications, err = s.conns.ListApplications(ctx, conn.OrgID, conn.ServiceKey); err != nil {
			return err
		}
	}

	for _, name := range conn.Scopes {
		row := scopeRow{
			Name: name, Known: sum.Credential != nil,
			Granted: slices.Contains(sum.GrantedScopes, name), Missing: slices.Contains(sum.MissingScopes, name),
		}
		for _, declared := range svc.Scopes {
			if declared.Name == name {
				row.Description = declared.Description
			}
		}
		v.Scopes = append(v.Scopes, row)
	}
	for _, granted := range sum.GrantedScopes {
		if !slices.Contains(conn.Scopes, granted) {
			v.ExtraGranted = append(v.ExtraGranted, granted)
		}
	}
	if holders, err := s.conns.Holders(ctx, sess.Actor, link); err == nil {
		v.Holders, v.ShowHolders = holders, conn.UseLoginUserCredentials
	} else if _, ok := problem.As(err); !ok {
		return err
	}
	if v.Usages, err = s.conns.Usages(ctx, conn); err != nil {
		return err
	}
	if v.AnyConnected, err = s.conns.AnyConnected(ctx, conn); err != nil {
		return err
	}
	v.Samples = s.samplesOf(r, sess, conn)

	if edit == nil {
		edit = newForm(url.Values{"name": {conn.Name}, "description": {conn.Description}, "scopes": conn.Scopes,
			"application": {conn.ApplicationID}})
		if conn.UseLoginUserCredentials {
			edit.Values.Set("use_login_user_credentials", "on")
		}
	}
	v.Edit = edit
	allowFormTarget(w, authorizationOrigins(svc)...)
	s.render(w, r, status, "connection", sess, v)
	return nil
}

func (s *Server) connectConnection(w http.ResponseWriter, r *http.Request, sess *session) error {
	link := r.PathValue("link")
	conn, err := s.conns.Connection(r.Context(), sess.Actor.OrgID, link)
	if err != nil {
		return err
	}
	svc, err := s.conns.Service(r.Context(), conn.OrgID, conn.ServiceKey)
	if err != nil {
		return err
	}
	credentials := map[string]secrets.Secret{}
	for _, field := range secretFieldsOf(svc) {
		if value := r.PostForm.Get(field.Input); value != "" {
			credentials[field.Name] = secrets.Secret(value)
		}
	}
	return s.connectAndRedirect(w, r, sess, conn, credentials)
}

func (s *Server) revokeConnection(w http.ResponseWriter, r *http.Request, sess *session) error {
	link := r.PathValue("link")
	if _, err := s.conns.Revoke(r.Context(), sess.Actor, link); err != nil {
		if p, ok := actionProblem(err); ok {
			return s.renderConnection(w, r, sess, link, p.Status, &actionFailure{Action: "revoke", Message: uiMessage(p)})
		}
		return err
	}
	http.Redirect(w, r, "/connections/"+url.PathEscape(link)+"?notice=revoked&link="+url.QueryEscape(link), http.StatusSeeOther)
	return nil
}

// editFields maps domain error codes to the edit form's fields.
var editFields = map[string]string{
	"invalid_scope":         "scopes",
	"application_required":  "application",
	"invalid_application":   "application",
	"application_not_found": "application",
}

func (s *Server) editConnection(w http.ResponseWriter, r *http.Request, sess *session) error {
	link := r.PathValue("link")
	f := newForm(r.PostForm)
	name := r.PostForm.Get("name")
	description := r.PostForm.Get("description")
	in := connections.ConnectionInput{Name: &name, Description: &description}

	// The form has the guarded fields only while no credential is
	// connected, and the domain rule rejects a change that races a connect.
	if r.PostForm.Get("guarded") == "1" {
		scopes := append([]string(nil), r.PostForm["scopes"]...)
		scopes = append(scopes, strings.Fields(r.PostForm.Get("extra_scopes"))...)
		shared := r.PostForm.Get("use_login_user_credentials") == "on"
		in.Scopes, in.UseLoginUserCredentials = &scopes, &shared
		if app := r.PostForm.Get("application"); app != "" {
			in.Application = &app
		}
	}

	if strings.TrimSpace(name) == "" {
		f.Fail("name", "Enter a name for the connection.")
		return s.renderConnectionWith(w, r, sess, link, http.StatusUnprocessableEntity,
			&actionFailure{Action: "edit", Message: "The changes were not saved.", Field: "name"}, f)
	}

	if _, err := s.conns.UpdateConnection(r.Context(), sess.Actor, link, in); err != nil {
		p, ok := actionProblem(err)
		if !ok {
			return err
		}
		message := uiMessage(p)
		field := editFields[p.Code]
		if p.Code == "invalid_connection" {
			field = "name"
			if strings.HasPrefix(p.Detail, "description") {
				field = "description"
			}
		}
		if field != "" {
			f.Fail(field, message)
		}
		return s.renderConnectionWith(w, r, sess, link, p.Status, &actionFailure{Action: "edit", Message: message, Field: field}, f)
	}

	http.Redirect(w, r, "/connections/"+url.PathEscape(link)+"?notice=saved", http.StatusSeeOther)
	return nil
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, sess *session) error {
	link := r.PathValue("link")
	if err := s.conns.DeleteConnection(r.Context(), sess.Actor, link); err != nil {
		if p, ok := actionProblem(err); ok {
			return s.renderConnection(w, r, sess, link, p.Status, &actionFailure{Action: "delete", Message: uiMessage(p)})
		}
		return err
	}
	http.Redirect(w, r, "/?notice=deleted&link="+url.QueryEscape(link), http.StatusSeeOther)
	return nil
}

// samplesOf returns the sample code tabs of a connection. When they cannot
// be made, it logs the failure and returns none, so the page shows the rest.
func (s *Server) samplesOf(r *http.Request, sess *session, conn store.Connection) []codeSample {
	call, err := s.conns.SampleCall(r.Context(), sess.Actor, conn.LinkName)
	if err != nil {
		s.logger.Warn("sample code of connection failed", "org_id", conn.OrgID, "connection", conn.LinkName, "err", err)
		return nil
	}
	var out []codeSample
	for _, snippet := range samplecode.All(call) {
		out = append(out, codeSample{ID: snippet.Lang, Label: snippet.Label, Code: snippet.Code})
	}
	return out
}
