package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// deliveriesPerPage is how many deliveries a webhook's page lists at once.
const deliveriesPerPage = 20

// blankHeaderRows is how many empty header rows the webhook form offers.
const blankHeaderRows = 2

// webhooksView is the webhooks list's data.
type webhooksView struct {
	Hooks     []webhooks.Webhook
	CanManage bool
}

func (s *Server) webhooksPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	hooks, err := s.webhooks.List(r.Context(), sess.Actor)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "webhooks", sess, webhooksView{Hooks: hooks, CanManage: sess.Actor.CanManage()})
	return nil
}

// webhookView is a webhook's page, or the new-webhook form when Hook has
// no ID.
type webhookView struct {
	Hook webhooks.Webhook
	Form *form
	// Headers are the header rows of the form.
	Headers     []headerRow
	Connections []store.Connection
	Methods     []string
	// CanChange is set for the webhook's creator and admins, who may edit,
	// test, rotate, delete and redeliver.
	CanChange bool
	// Viewer hides header values, the body and the URL's query, which may
	// carry literal keys.
	Viewer bool
	// Secret is a new signing secret, set only on its one display, and
	// SecretGone is set when the page's URL names one that was shown
	// already.
	Secret     string
	SecretGone bool
	Deliveries []webhooks.Delivery
	Before     string
	NextBefore string
}

// headerRow is one header row of the webhook form.
type headerRow struct {
	Index  int
	Number int
	Name   string
	Value  string
}

var webhookMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodGet, http.MethodDelete}

// webhookValues returns the form values that show hook.
func webhookValues(hook webhooks.Webhook) url.Values {
	v := url.Values{
		"name": {hook.Name}, "url": {hook.URL}, "method": {hook.Method}, "body": {hook.Body},
		"events": {strings.Join(hook.Events, "\n")}, "connection": {hook.Connection},
		"max_attempts": {strconv.Itoa(hook.MaxAttempts)},
	}
	if hook.Enabled {
		v.Set("enabled", "on")
	}
	names := make([]string, 0, len(hook.Headers))
	for name := range hook.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		v.Add("header_name", name)
		v.Add("header_value", hook.Headers[name])
	}
	return v
}

// headerRows returns the filled header rows of f and the blank ones the
// form offers.
func headerRows(f *form) []headerRow {
	names, values := f.Values["header_name"], f.Values["header_value"]
	var rows []headerRow
	for i, name := range names {
		name = strings.TrimSpace(name)
		value := valueAt(values, i)
		if name == "" && value == "" {
			continue
		}
		rows = append(rows, headerRow{Name: name, Value: value})
	}
	for range blankHeaderRows {
		rows = append(rows, headerRow{})
	}
	for i := range rows {
		rows[i].Index, rows[i].Number = i, i+1
	}
	return rows
}

// webhookInput reads the form into a webhook definition. A malformed
// number of attempts is set as an error on f.
func webhookInput(f *form) webhooks.Input {
	name, target, method, body := f.Get("name"), strings.TrimSpace(f.Get("url")), f.Get("method"), f.Get("body")
	connection := f.Get("connection")
	enabled := f.Has("enabled", "on")
	headers := map[string]string{}
	for _, row := range headerRows(f) {
		if row.Name != "" || row.Value != "" {
			headers[row.Name] = row.Value
		}
	}
	events := formLines(strings.ReplaceAll(f.Get("events"), ",", "\n"))
	in := webhooks.Input{
		Name: &name, URL: &target, Method: &method, Headers: &headers, Body: &body,
		Connection: &connection, Events: &events, Enabled: &enabled,
	}
	if text := strings.TrimSpace(f.Get("max_attempts")); text != "" {
		n, err := strconv.Atoi(text)
		if err != nil {
			f.Fail("max_attempts", "Enter a whole number of attempts, such as 8.")
		} else {
			in.MaxAttempts = &n
		}
	}
	return in
}

// webhookField returns the form field a webhook problem names.
func webhookField(p *problem.Error) string {
	if p.Code == "connection_not_found" {
		return "connection"
	}
	field, _ := p.Extra["field"].(string)
	switch {
	case strings.HasPrefix(field, "headers"):
		return "headers"
	case strings.HasPrefix(field, "events"):
		return "events"
	case slices.Contains([]string{"name", "url", "method", "body", "max_attempts"}, field):
		return field
	}
	return ""
}

// newWebhookView returns the page data of a webhook form, with the
// connections the picker offers.
func (s *Server) newWebhookView(r *http.Request, sess *session, hook webhooks.Webhook, f *form) (*webhookView, error) {
	conns, err := s.conns.ListConnections(r.Context(), sess.Actor, "", "", listLimit)
	if err != nil {
		return nil, err
	}
	return &webhookView{
		Hook: hook, Form: f, Headers: headerRows(f), Connections: conns, Methods: webhookMethods,
		CanChange: sess.Actor.CanManage() && (hook.ID == "" || sess.Actor.Role == store.RoleAdmin || hook.CreatedBy == sess.Actor.UserID),
		Viewer:    sess.Actor.Role == store.RoleViewer,
	}, nil
}

func (s *Server) newWebhookPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "create webhooks")
	}
	f := newForm(url.Values{"method": {http.MethodPost}, "enabled": {"on"}, "max_attempts": {strconv.Itoa(webhooks.DefaultMaxAttempts)},
		"connection": {r.URL.Query().Get("connection")}})
	v, err := s.newWebhookView(r, sess, webhooks.Webhook{}, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "webhook", sess, v)
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if !sess.Actor.CanManage() {
		return forbiddenFor(sess.Actor.Role, "create webhooks")
	}
	f := newForm(r.PostForm)
	in := webhookInput(f)
	if !f.Failed() {
		hook, secret, err := s.webhooks.Create(r.Context(), sess.Actor, in)
		if err == nil {
			return s.showWebhookSecret(w, r, sess, hook.ID, http.StatusCreated, secret)
		}
		if failErr := s.failForm(r, f, err, webhookField); failErr != nil {
			return failErr
		}
	}
	v, err := s.newWebhookView(r, sess, webhooks.Webhook{}, f)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusUnprocessableEntity, "webhook", sess, v)
	return nil
}

func (s *Server) webhookPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	v, err := s.webhookView(r, sess, id)
	if err != nil {
		return err
	}
	pending, alreadyShown, err := s.takeSecret(r.Context(), sess, r.URL.Query(), pendingWebhookSecret)
	if err != nil {
		return err
	}
	if pending.Value != "" && pending.Subject != id {
		// The display parameter was copied to another webhook's page.
		pending, alreadyShown = shownSecret{}, true
	}
	v.Secret, v.SecretGone = pending.Value, alreadyShown
	s.render(w, r, http.StatusOK, "webhook", sess, v)
	return nil
}

// showWebhookSecret keeps a new signing secret of webhook id for its one
// display and redirects to the webhook's page, which shows it. Without a
// secret it redirects to the page alone. When the secret cannot be kept,
// this response shows it with status instead, because it is the only
// chance left.
func (s *Server) showWebhookSecret(w http.ResponseWriter, r *http.Request, sess *session, id string, status int, secret secrets.Secret) error {
	if secret == "" {
		// A webhook bound to a connection has no signing secret.
		http.Redirect(w, r, "/webhooks/"+url.PathEscape(id), http.StatusSeeOther)
		return nil
	}
	display, err := s.keepSecret(r.Context(), sess, pendingWebhookSecret, id, secret)
	if err == nil {
		http.Redirect(w, r, displayURL("/webhooks/"+url.PathEscape(id), display), http.StatusSeeOther)
		return nil
	}
	s.logger.Warn("keeping a new webhook signing secret for its display failed; showing it in the form's response",
		"webhook_id", id, "err", err)
	return s.renderWebhook(w, r, sess, id, status, secret)
}

// renderWebhook renders a webhook's page with its deliveries and a new
// signing secret in the response of the form that made it.
func (s *Server) renderWebhook(w http.ResponseWriter, r *http.Request, sess *session, id string, status int, secret secrets.Secret) error {
	v, err := s.webhookView(r, sess, id)
	if err != nil {
		return err
	}
	v.Secret = secret.Reveal()
	s.render(w, r, status, "webhook", sess, v)
	return nil
}

// webhookView loads a webhook, its edit form and a page of deliveries.
func (s *Server) webhookView(r *http.Request, sess *session, id string) (*webhookView, error) {
	hook, err := s.webhooks.Get(r.Context(), sess.Actor, id)
	if err != nil {
		return nil, err
	}
	v, err := s.newWebhookView(r, sess, hook, newForm(webhookValues(hook)))
	if err != nil {
		return nil, err
	}
	v.Before = r.URL.Query().Get("before")
	deliveries, err := s.webhooks.Deliveries(r.Context(), sess.Actor, id, v.Before, deliveriesPerPage+1)
	if err != nil {
		return nil, err
	}
	if len(deliveries) > deliveriesPerPage {
		deliveries = deliveries[:deliveriesPerPage]
		v.NextBefore = deliveries[len(deliveries)-1].ID
	}
	v.Deliveries = deliveries
	return v, nil
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := parseForm(r); err != nil {
		return err
	}
	id := r.PathValue("id")
	f := newForm(r.PostForm)
	in := webhookInput(f)
	if !f.Failed() {
		_, secret, err := s.webhooks.Update(r.Context(), sess.Actor, id, in)
		if err == nil && secret != "" {
			// Unbinding a webhook gives it a signing secret, shown once.
			return s.showWebhookSecret(w, r, sess, id, http.StatusOK, secret)
		}
		if err == nil {
			return redirect(w, r, "/webhooks/"+url.PathEscape(id), "webhook_saved")
		}
		if failErr := s.failForm(r, f, err, webhookField); failErr != nil {
			return failErr
		}
	}
	v, err := s.webhookView(r, sess, id)
	if err != nil {
		return err
	}
	v.Form, v.Headers = f, headerRows(f)
	s.render(w, r, http.StatusUnprocessableEntity, "webhook", sess, v)
	return nil
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	if _, err := s.webhooks.Test(r.Context(), sess.Actor, id); err != nil {
		return err
	}
	return redirect(w, r, "/webhooks/"+url.PathEscape(id)+"#deliveries", "webhook_tested")
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, sess *session) error {
	id := r.PathValue("id")
	_, secret, err := s.webhooks.RotateSecret(r.Context(), sess.Actor, id)
	if err != nil {
		return err
	}
	return s.showWebhookSecret(w, r, sess, id, http.StatusOK, secret)
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := s.webhooks.Delete(r.Context(), sess.Actor, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/webhooks", "webhook_deleted")
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, sess *session) error {
	id, deliveryID := r.PathValue("id"), r.PathValue("delivery")
	// The lookup checks that the delivery belongs to the webhook in the
	// path.
	if _, err := s.webhooks.Delivery(r.Context(), sess.Actor, id, deliveryID); err != nil {
		return err
	}
	if _, err := s.webhooks.Redeliver(r.Context(), sess.Actor, deliveryID); err != nil {
		return err
	}
	return redirect(w, r, "/webhooks/"+url.PathEscape(id)+"#deliveries", "redelivered")
}
