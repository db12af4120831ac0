package authz

import (
	_ "embed"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

//go:embed consent.html
var consentHTML string

var consentTemplate = template.Must(template.New("consent").Parse(consentHTML))

// consentPage is the data of consent.html. A page with Error set shows
// only the title and the error.
type consentPage struct {
	Title       string
	Error       string
	Application string
	Username    string
	Scopes      []Scope
	Action      string
	RequestID   string
	CSRFToken   string
	Stylesheet  string
	// formOrigins are the origins that the form's post may be redirected
	// to, besides this one. Without a form, the page allows no form post.
	formOrigins []string
}

// consentPath returns the path of the consent page of a request.
func consentPath(requestID string) string {
	return PathPrefix + "/consent?id=" + url.QueryEscape(requestID)
}

func (s *Server) loginURL(returnTo string) string {
	if s.hooks.LoginURL != nil {
		return s.hooks.LoginURL(returnTo)
	}
	return "/login?next=" + url.QueryEscape(returnTo)
}

func (s *Server) signedIn(r *http.Request) (connections.Actor, bool) {
	if s.hooks.SignedIn == nil {
		return connections.Actor{}, false
	}
	return s.hooks.SignedIn(r)
}

// showConsent shows the consent page of a pending request to the signed-in
// member, after sending a visitor to sign in first.
func (s *Server) showConsent(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	req, actor, ok := s.consentParties(w, r, id)
	if !ok {
		return
	}

	client, err := s.storage.store.GetAuthzClient(r.Context(), req.OrgID, req.ClientID)
	if err != nil {
		s.logger.Error("reading the client of a consent page failed", "org_id", req.OrgID, "client_id", req.ClientID, "err", err)
		s.renderError(w, http.StatusInternalServerError, "Something went wrong", "The application could not be read. Try again later.")
		return
	}
	page := consentPage{
		Title: "Authorize " + client.Name, Application: client.Name, Username: actor.Username,
		Action: PathPrefix + "/consent", RequestID: id, Stylesheet: s.hooks.Stylesheet,
		formOrigins: []string{originOf(req.RedirectURI)},
	}
	for _, name := range req.Scopes {
		scope, _ := LookupScope(name)
		page.Scopes = append(page.Scopes, scope)
	}
	if s.hooks.CSRFToken != nil {
		page.CSRFToken = s.hooks.CSRFToken(w, r)
	}
	s.render(w, http.StatusOK, page)
}

// answerConsent records the signed-in member's Accept or Deny. Accept lets
// the op package issue the code, and Deny sends access_denied to the client.
func (s *Server) answerConsent(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, http.StatusBadRequest, "Invalid form", "The form could not be read. Go back and try again.")
		return
	}
	if s.hooks.CheckCSRF == nil {
		s.logger.Warn("consent rejected: no CSRF check is configured")
		s.renderError(w, http.StatusForbidden, "Not available", "Consent is not available on this instance yet: its web sign-in is not set up.")
		return
	}
	if err := s.hooks.CheckCSRF(r); err != nil {
		s.logger.Warn("consent rejected: CSRF check failed", "err", err)
		s.renderError(w, http.StatusForbidden, "Expired form", "The form expired or came from another site. Go back, reload the page and try again.")
		return
	}
	id := r.PostForm.Get("id")
	req, actor, ok := s.consentParties(w, r, id)
	if !ok {
		return
	}

	switch r.PostForm.Get("decision") {
	case "accept":
		s.accept(w, r, req, actor)
	case "deny":
		s.deny(w, r, req, actor)
	default:
		s.renderError(w, http.StatusBadRequest, "Invalid form", "Choose Accept or Deny.")
	}
}

func (s *Server) accept(w http.ResponseWriter, r *http.Request, req store.AuthzRequest, actor connections.Actor) {
	_, err := s.storage.store.UpdateAuthzRequest(r.Context(), req.OrgID, req.ID, func(rec *store.AuthzRequest) error {
		if rec.UserID != "" {
			return errAnswered
		}
		rec.UserID = actor.UserID
		rec.AuthTime = s.storage.now().UTC()
		return nil
	})
	if errors.Is(err, errAnswered) || errors.Is(err, store.ErrNotFound) {
		s.renderError(w, http.StatusConflict, "Already decided", "This request was accepted or denied already. Go back to the application and start again.")
		return
	}
	if err != nil {
		s.logger.Error("recording consent failed", "org_id", req.OrgID, "client_id", req.ClientID, "user_id", actor.UserID, "err", err)
		s.renderError(w, http.StatusInternalServerError, "Something went wrong", "Your decision could not be saved. Try again later.")
		return
	}
	s.logger.Info("member consented to a client of the authorization server", "org_id", req.OrgID,
		"client_id", req.ClientID, "user_id", actor.UserID, "scopes", req.Scopes)
	s.record(r, actor, audit.ActionConsentAccepted, req)
	http.Redirect(w, r, s.issuer+"/authorize/callback?id="+url.QueryEscape(req.ID), http.StatusSeeOther)
}

func (s *Server) deny(w http.ResponseWriter, r *http.Request, req store.AuthzRequest, actor connections.Actor) {
	if err := s.storage.store.DeleteAuthzRequest(r.Context(), req.OrgID, req.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.logger.Error("deleting a denied authorization request failed", "org_id", req.OrgID, "err", err)
	}
	s.logger.Info("member denied a client of the authorization server", "org_id", req.OrgID,
		"client_id", req.ClientID, "user_id", actor.UserID)
	s.record(r, actor, audit.ActionConsentDenied, req)
	target, err := url.Parse(req.RedirectURI)
	if err != nil {
		s.renderError(w, http.StatusBadRequest, "Denied", "You denied the request.")
		return
	}
	query := target.Query()
	query.Set("error", "access_denied")
	query.Set("error_description", "the member denied the request")
	if req.State != "" {
		query.Set("state", req.State)
	}
	target.RawQuery = query.Encode()
	http.Redirect(w, r, target.String(), http.StatusSeeOther)
}

// consentParties returns the pending request of id and the signed-in
// member of its org. Otherwise it sends a visitor to sign in, or writes an
// error page, and returns false.
func (s *Server) consentParties(w http.ResponseWriter, r *http.Request, id string) (store.AuthzRequest, connections.Actor, bool) {
	req, ok := s.consentRequest(w, r, id)
	if !ok {
		return store.AuthzRequest{}, connections.Actor{}, false
	}
	actor, ok := s.signedIn(r)
	if !ok {
		http.Redirect(w, r, s.loginURL(consentPath(id)), http.StatusSeeOther)
		return store.AuthzRequest{}, connections.Actor{}, false
	}
	if actor.OrgID != req.OrgID {
		s.renderError(w, http.StatusForbidden, "Another organization",
			"This application belongs to another organization than the one you are signed in to. Sign in to that organization and start again.")
		return store.AuthzRequest{}, connections.Actor{}, false
	}
	return req, actor, true
}

// record adds an audit entry for a member's decision on a request.
func (s *Server) record(r *http.Request, actor connections.Actor, action string, req store.AuthzRequest) {
	if s.audit == nil {
		return
	}
	ctx := r.Context()
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		ctx = audit.WithRemoteAddr(ctx, host)
	}
	s.audit.Record(ctx, store.AuditEntry{
		OrgID: req.OrgID, ActorID: actor.UserID, ActorName: actor.Username, Action: action,
		TargetType: "oauth2_client", TargetID: req.ClientID, Detail: map[string]any{"scopes": req.Scopes},
	})
}

// errAnswered is returned when a request was accepted before.
var errAnswered = errors.New("authorization request decided already")

// consentRequest returns the live, unanswered request of id, or writes an
// error page and returns false.
func (s *Server) consentRequest(w http.ResponseWriter, r *http.Request, id string) (store.AuthzRequest, bool) {
	req, err := s.storage.request(r.Context(), id)
	if errors.Is(err, errInactive) {
		s.renderError(w, http.StatusNotFound, "Request not found",
			"This authorization request is unknown or expired. Go back to the application and start again.")
		return store.AuthzRequest{}, false
	}
	if err != nil {
		s.logger.Error("reading an authorization request failed", "err", err)
		s.renderError(w, http.StatusInternalServerError, "Something went wrong", "The request could not be read. Try again later.")
		return store.AuthzRequest{}, false
	}
	if req.UserID != "" {
		s.renderError(w, http.StatusConflict, "Already decided", "This request was accepted or denied already. Go back to the application and start again.")
		return store.AuthzRequest{}, false
	}
	return req, true
}

func (s *Server) renderError(w http.ResponseWriter, status int, title, message string) {
	s.render(w, status, consentPage{Title: title, Error: message, Stylesheet: s.hooks.Stylesheet})
}

// render writes the page with headers that keep it out of frames and
// caches and allow no script and no other origin. The form may post to this
// origin and be redirected on to the client's redirect URI, which
// form-action must list too, because Chromium applies it to every redirect
// after a form post.
func (s *Server) render(w http.ResponseWriter, status int, page consentPage) {
	formAction := "'none'"
	if page.Error == "" {
		formAction = strings.TrimSpace("'self' " + strings.Join(page.formOrigins, " "))
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action "+formAction)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	if err := consentTemplate.Execute(w, page); err != nil {
		s.logger.Error("rendering the consent page failed", "err", err)
	}
}

// originOf returns the origin of an absolute URL, or "" for anything else.
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
