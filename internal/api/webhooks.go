package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// webhookJSON is a webhook as the API shows it. Secret is set only in the
// response that creates the signing secret.
type webhookJSON struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	URL         string            `json:"url"`
	Method      string            `json:"method"`
	Headers     map[string]string `json:"headers"`
	Body        string            `json:"body"`
	Connection  string            `json:"connection,omitempty"`
	Events      []string          `json:"events"`
	Enabled     bool              `json:"enabled"`
	MaxAttempts int               `json:"max_attempts"`
	HasSecret   bool              `json:"has_secret"`
	Secret      string            `json:"secret,omitempty"`
	// PreviousSecretExpiresAt is set while a rotated-out secret still signs.
	PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at,omitempty"`
	DisabledReason          string     `json:"disabled_reason,omitempty"`
	CreatedBy               string     `json:"created_by"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
}

type webhookInput struct {
	Name        *string            `json:"name"`
	URL         *string            `json:"url"`
	Method      *string            `json:"method"`
	Headers     *map[string]string `json:"headers"`
	Body        *string            `json:"body"`
	Connection  *string            `json:"connection"`
	Events      *[]string          `json:"events"`
	Enabled     *bool              `json:"enabled"`
	MaxAttempts *int               `json:"max_attempts"`
}

func (in webhookInput) domain() webhooks.Input {
	return webhooks.Input{
		Name: in.Name, URL: in.URL, Method: in.Method, Headers: in.Headers, Body: in.Body,
		Connection: in.Connection, Events: in.Events, Enabled: in.Enabled, MaxAttempts: in.MaxAttempts,
	}
}

func toWebhookJSON(w webhooks.Webhook, secret secrets.Secret) webhookJSON {
	headers := w.Headers
	if headers == nil {
		headers = map[string]string{}
	}
	out := webhookJSON{
		ID: w.ID, Name: w.Name, URL: w.URL, Method: w.Method, Headers: headers, Body: w.Body,
		Connection: w.Connection, Events: w.Events, Enabled: w.Enabled, MaxAttempts: w.MaxAttempts,
		HasSecret: w.HasSecret(), Secret: secret.Reveal(), DisabledReason: w.DisabledReason,
		CreatedBy: w.CreatedByName, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
	if w.PreviousSecretSealed != "" && time.Now().Before(w.PreviousSecretUntil) {
		until := w.PreviousSecretUntil
		out.PreviousSecretExpiresAt = &until
	}
	return out
}

// hiddenValue replaces what a viewer may not read.
const hiddenValue = "[hidden]"

// hideFromViewer hides a webhook's header values, body and URL query from
// viewers: a template may carry a literal key, and viewers never use
// credentials.
func hideFromViewer(out webhookJSON, c *Caller) webhookJSON {
	if c.Actor.Role != store.RoleViewer {
		return out
	}
	hidden := make(map[string]string, len(out.Headers))
	for name := range out.Headers {
		hidden[name] = hiddenValue
	}
	out.Headers = hidden
	if out.Body != "" {
		out.Body = hiddenValue
	}
	if path, query, found := strings.Cut(out.URL, "?"); found && query != "" {
		out.URL = path + "?" + hiddenValue
	}
	return out
}

// deliveryJSON is a delivery as the API shows it.
type deliveryJSON struct {
	ID             string     `json:"id"`
	Webhook        string     `json:"webhook"`
	Event          string     `json:"event"`
	EventType      string     `json:"event_type"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"`
	LastStatusCode int        `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	LastDurationMS int64      `json:"last_duration_ms"`
	LastResponse   string     `json:"last_response"`
	CreatedAt      time.Time  `json:"created_at"`
	DeliveredAt    *time.Time `json:"delivered_at,omitempty"`
}

func toDeliveryJSON(d webhooks.Delivery) deliveryJSON {
	out := deliveryJSON{
		ID: d.ID, Webhook: d.WebhookID, Event: d.EventID, EventType: d.EventType, Status: d.Status,
		Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError,
		LastDurationMS: d.LastDuration.Milliseconds(), LastResponse: d.LastResponse, CreatedAt: d.CreatedAt,
	}
	if d.Status == store.DeliveryPending {
		out.NextAttemptAt = &d.NextAttemptAt
	}
	if !d.DeliveredAt.IsZero() {
		out.DeliveredAt = &d.DeliveredAt
	}
	return out
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request, c *Caller) error {
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	hooks, err := s.webhooks.List(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	// Webhooks come in name order, and the cursor is the ID of the last one
	// of the previous page.
	start := 0
	if after != "" {
		start = slices.IndexFunc(hooks, func(h webhooks.Webhook) bool { return h.ID == after }) + 1
		if start == 0 {
			return problem.BadRequest("invalid_cursor", "cursor names a webhook that no longer exists; list from the first page again")
		}
	}
	out := list[webhookJSON]{Items: []webhookJSON{}}
	for _, h := range hooks[start:] {
		if len(out.Items) == limit {
			out.NextCursor = cursorOf(out.Items[len(out.Items)-1].ID)
			break
		}
		out.Items = append(out.Items, hideFromViewer(toWebhookJSON(h, ""), c))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in webhookInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	hook, secret, err := s.webhooks.Create(r.Context(), c.Actor, in.domain())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toWebhookJSON(hook, secret))
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request, c *Caller) error {
	hook, err := s.webhooks.Get(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, hideFromViewer(toWebhookJSON(hook, ""), c))
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in webhookInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	hook, secret, err := s.webhooks.Update(r.Context(), c.Actor, r.PathValue("id"), in.domain())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toWebhookJSON(hook, secret))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.webhooks.Delete(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, c *Caller) error {
	hook, secret, err := s.webhooks.RotateSecret(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toWebhookJSON(hook, secret))
}

func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request, c *Caller) error {
	d, err := s.webhooks.Test(r.Context(), c.Actor, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, toDeliveryJSON(d))
}

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, c *Caller) error {
	limit, before, err := page(r)
	if err != nil {
		return err
	}
	deliveries, err := s.webhooks.Deliveries(r.Context(), c.Actor, r.PathValue("id"), before, limit+1)
	if err != nil {
		return err
	}
	out := list[deliveryJSON]{Items: []deliveryJSON{}}
	for i, d := range deliveries {
		if i == limit {
			out.NextCursor = cursorOf(deliveries[i-1].ID)
			break
		}
		out.Items = append(out.Items, toDeliveryJSON(d))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request, c *Caller) error {
	d, err := s.webhooks.Delivery(r.Context(), c.Actor, r.PathValue("id"), r.PathValue("delivery"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toDeliveryJSON(d))
}

func (s *Server) redeliver(w http.ResponseWriter, r *http.Request, c *Caller) error {
	// The lookup checks that the delivery belongs to the webhook in the
	// path.
	if _, err := s.webhooks.Delivery(r.Context(), c.Actor, r.PathValue("id"), r.PathValue("delivery")); err != nil {
		return err
	}
	d, err := s.webhooks.Redeliver(r.Context(), c.Actor, r.PathValue("delivery"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, toDeliveryJSON(d))
}

type eventInput struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

func (s *Server) postEvent(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in eventInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Type == "" && c.Actor.CanUseCredentials() {
		return problem.Invalid("invalid_event", "type is missing; give the event type, such as \"device.alarm\"")
	}
	event, deliveries, err := s.webhooks.PostEvent(r.Context(), c.Actor, in.Type, in.Data)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusAccepted, map[string]any{"id": event.ID, "deliveries": deliveries})
}
