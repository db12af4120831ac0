package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// Options configure a Service.
type Options struct {
	Store   store.Store
	Keyring *secrets.Keyring
	// Audit receives an entry for every webhook change; nil drops them.
	Audit  connections.AuditRecorder
	Logger *slog.Logger
	Now    func() time.Time
	// PublicURL is the instance's public URL, which replaces
	// catalog.PublicURLPlaceholder in services.
	PublicURL string
}

// Service manages webhook definitions, events and deliveries for members.
// Sending is the Worker's job.
type Service struct {
	store   store.Store
	keyring *secrets.Keyring
	audit   connections.AuditRecorder
	logger  *slog.Logger
	now     func() time.Time
	// publicURL replaces catalog.PublicURLPlaceholder in services.
	publicURL string
}

// New returns a Service.
func New(opts Options) *Service {
	s := &Service{
		store: opts.Store, keyring: opts.Keyring, audit: opts.Audit, logger: opts.Logger, now: opts.Now,
		publicURL: opts.PublicURL,
	}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Input is a webhook definition to create, or the changes to one. A nil
// field is left as it is, or gets its default on creation.
type Input struct {
	Name    *string
	URL     *string
	Method  *string
	Headers *map[string]string
	Body    *string
	// Connection is the link name of the connection to bind to; an empty
	// string unbinds the webhook.
	Connection  *string
	Events      *[]string
	Enabled     *bool
	MaxAttempts *int
}

// Webhook is a stored webhook with the names the API shows.
type Webhook struct {
	store.Webhook
	// Connection is the link name of the bound connection, or empty.
	Connection string
	// CreatedByName is the creator's username.
	CreatedByName string
}

// HasSecret reports whether the webhook signs its requests.
func (w Webhook) HasSecret() bool {
	return w.SecretSealed != ""
}

func secretAD(orgID, webhookID string) secrets.AD {
	return secrets.AD{OrgID: orgID, Table: "webhooks", Column: "secret", RowID: webhookID}
}

func previousSecretAD(orgID, webhookID string) secrets.AD {
	return secrets.AD{OrgID: orgID, Table: "webhooks", Column: "previous_secret", RowID: webhookID}
}

func requireManage(actor connections.Actor) error {
	if !actor.CanManage() {
		return problem.Forbidden("forbidden", "role %q may only read webhooks; ask an admin for the developer role", actor.Role)
	}
	return nil
}

// requireChange allows the webhook's creator and admins to change it,
// because the webhook sends requests as its creator.
func requireChange(actor connections.Actor, hook store.Webhook) error {
	if err := requireManage(actor); err != nil {
		return err
	}
	if actor.Role != store.RoleAdmin && actor.UserID != hook.CreatedBy {
		return problem.Forbidden("forbidden",
			"only the creator of webhook %q or an admin may change it, because it sends requests as its creator", hook.Name)
	}
	return nil
}

// Create stores a new webhook that runs as actor. An unbound webhook gets a
// signing secret, which only Create, RotateSecret and an Update that unbinds
// the webhook return.
func (s *Service) Create(ctx context.Context, actor connections.Actor, in Input) (Webhook, secrets.Secret, error) {
	if err := requireManage(actor); err != nil {
		return Webhook{}, "", err
	}
	now := s.now()
	hook := store.Webhook{
		OrgID:       actor.OrgID,
		ID:          store.NewSortableID(now),
		Method:      http.MethodPost,
		Headers:     map[string]string{},
		Enabled:     true,
		MaxAttempts: DefaultMaxAttempts,
		CreatedBy:   actor.UserID,
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if in.Name == nil {
		return Webhook{}, "", invalid("name", "name is missing; give the webhook a name such as \"Ticket on alarm\"")
	}
	if in.URL == nil {
		return Webhook{}, "", invalid("url", "url is missing; give an absolute https URL, or a path when the webhook uses a connection")
	}
	if in.Events == nil {
		return Webhook{}, "", invalid("events", "events is missing; list the event types that trigger the webhook, such as [\"device.alarm\"]")
	}
	link, err := s.apply(ctx, &hook, in)
	if err != nil {
		return Webhook{}, "", err
	}

	var secret secrets.Secret
	if hook.ConnectionID == "" {
		if secret, err = s.sealNewSecret(&hook); err != nil {
			return Webhook{}, "", err
		}
	}
	if err := s.store.CreateWebhook(ctx, hook); err != nil {
		if prob := connections.ReferenceProblem(err, actor, link); prob != nil {
			return Webhook{}, "", prob
		}
		return Webhook{}, "", fmt.Errorf("storing webhook %q: %w", hook.Name, err)
	}
	s.logger.InfoContext(ctx, "webhook created", "org_id", hook.OrgID, "webhook_id", hook.ID, "user_id", actor.UserID)
	s.record(ctx, actor, hook, link, "webhook.created", nil)
	return Webhook{Webhook: hook, Connection: link, CreatedByName: actor.Username}, secret, nil
}

// resealPrevious returns hook's current signing secret sealed as its
// previous one: the associated data names the column, so the sealed text
// cannot simply move between the columns.
func (s *Service) resealPrevious(hook *store.Webhook) (string, error) {
	if hook.SecretSealed == "" {
		return "", nil
	}
	plain, err := s.keyring.Open(hook.SecretSealed, secretAD(hook.OrgID, hook.ID))
	if err != nil {
		return "", fmt.Errorf("opening signing secret of webhook %q: %w", hook.Name, err)
	}
	sealed, err := s.keyring.Seal(plain, previousSecretAD(hook.OrgID, hook.ID))
	if err != nil {
		return "", fmt.Errorf("sealing previous signing secret of webhook %q: %w", hook.Name, err)
	}
	return sealed, nil
}

// sealNewSecret gives hook a new signing secret and returns it.
func (s *Service) sealNewSecret(hook *store.Webhook) (secrets.Secret, error) {
	secret := newSecret()
	sealed, err := s.keyring.Seal([]byte(secret.Reveal()), secretAD(hook.OrgID, hook.ID))
	if err != nil {
		return "", fmt.Errorf("sealing signing secret of webhook %q: %w", hook.Name, err)
	}
	hook.SecretSealed = sealed
	return secret, nil
}

// apply validates the fields set in in and writes them to hook. It returns
// the link name of the connection the webhook is bound to after the change.
func (s *Service) apply(ctx context.Context, hook *store.Webhook, in Input) (string, error) {
	if in.Name != nil {
		if err := checkName(*in.Name); err != nil {
			return "", err
		}
		hook.Name = strings.TrimSpace(*in.Name)
	}
	if in.Method != nil {
		method, err := normalizeMethod(*in.Method)
		if err != nil {
			return "", err
		}
		hook.Method = method
	}
	if in.Headers != nil {
		headers, err := normalizeHeaders(*in.Headers)
		if err != nil {
			return "", err
		}
		hook.Headers = headers
	}
	if in.Body != nil {
		if err := checkTemplate("body", *in.Body, maxBodyTemplate); err != nil {
			return "", err
		}
		hook.Body = *in.Body
	}
	if in.Events != nil {
		events, err := normalizeEvents(*in.Events)
		if err != nil {
			return "", err
		}
		hook.Events = events
	}
	if in.Enabled != nil {
		hook.Enabled = *in.Enabled
	}
	if in.MaxAttempts != nil {
		if err := checkMaxAttempts(*in.MaxAttempts); err != nil {
			return "", err
		}
		hook.MaxAttempts = *in.MaxAttempts
	}
	if in.URL != nil {
		hook.URL = *in.URL
	}

	conn, err := s.bind(ctx, hook, in.Connection)
	if err != nil {
		return "", err
	}
	return conn.LinkName, s.checkTarget(ctx, hook, conn)
}

// bind sets hook's connection from a link name when one is given, and
// returns the connection the webhook is bound to afterwards.
func (s *Service) bind(ctx context.Context, hook *store.Webhook, link *string) (store.Connection, error) {
	switch {
	case link != nil && *link == "":
		hook.ConnectionID = ""
		return store.Connection{}, nil
	case link != nil:
		conn, err := s.store.GetConnection(ctx, hook.OrgID, *link)
		if errors.Is(err, store.ErrNotFound) {
			return store.Connection{}, problem.NotFound("connection_not_found",
				"connection %q not found; list connections with GET /v1/connections", *link)
		}
		if err != nil {
			return store.Connection{}, fmt.Errorf("reading connection %q: %w", *link, err)
		}
		hook.ConnectionID = conn.ID
		return conn, nil
	case hook.ConnectionID != "":
		conn, err := s.store.GetConnectionByID(ctx, hook.OrgID, hook.ConnectionID)
		if err != nil {
			return store.Connection{}, fmt.Errorf("reading connection of webhook %q: %w", hook.Name, err)
		}
		return conn, nil
	}
	return store.Connection{}, nil
}

// checkTarget checks the URL against the binding, and a URL without
// template actions against the connection's host allow-list.
func (s *Service) checkTarget(ctx context.Context, hook *store.Webhook, conn store.Connection) error {
	static, err := checkURL(hook.URL, conn.ID != "")
	if err != nil || static == nil {
		return err
	}
	if conn.ID == "" {
		return checkUnboundScheme(static)
	}
	svc, err := s.service(ctx, hook.OrgID, conn.ServiceKey)
	if err != nil {
		return err
	}
	allow, err := egress.NewAllowlist(svc.APIBaseURL, svc.AllowedHosts)
	if err != nil {
		return fmt.Errorf("building host allow-list of service %q: %w", svc.Key, err)
	}
	return checkHostAllowed(static, allow, conn.LinkName)
}

// service returns a default or custom service by key, as the connections
// package does.
func (s *Service) service(ctx context.Context, orgID, key string) (catalog.Service, error) {
	if svc, ok := catalog.Lookup(key); ok {
		return svc.WithPublicURL(s.publicURL), nil
	}
	custom, err := s.store.GetService(ctx, orgID, key)
	if err != nil {
		return catalog.Service{}, fmt.Errorf("reading service %q: %w", key, err)
	}
	return custom.Service.WithPublicURL(s.publicURL), nil
}

// Get returns one webhook.
func (s *Service) Get(ctx context.Context, actor connections.Actor, id string) (Webhook, error) {
	hook, err := s.webhook(ctx, actor.OrgID, id)
	if err != nil {
		return Webhook{}, err
	}
	return s.describe(ctx, hook, newNames())
}

func (s *Service) webhook(ctx context.Context, orgID, id string) (store.Webhook, error) {
	hook, err := s.store.GetWebhook(ctx, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Webhook{}, problem.NotFound("webhook_not_found", "webhook %q not found; list webhooks with GET /v1/webhooks", id)
	}
	if err != nil {
		return store.Webhook{}, fmt.Errorf("reading webhook %q: %w", id, err)
	}
	return hook, nil
}

// List returns the org's webhooks by name, then ID.
func (s *Service) List(ctx context.Context, actor connections.Actor) ([]Webhook, error) {
	hooks, err := s.store.ListWebhooks(ctx, actor.OrgID, store.ListWebhooksOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing webhooks: %w", err)
	}
	names := newNames()
	out := make([]Webhook, 0, len(hooks))
	for _, hook := range hooks {
		w, err := s.describe(ctx, hook, names)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// Update changes a webhook. Unbinding a webhook from its connection gives
// it a new signing secret, returned here only; binding one removes its
// secret.
func (s *Service) Update(ctx context.Context, actor connections.Actor, id string, in Input) (Webhook, secrets.Secret, error) {
	current, err := s.webhook(ctx, actor.OrgID, id)
	if err != nil {
		return Webhook{}, "", err
	}
	if err := requireChange(actor, current); err != nil {
		return Webhook{}, "", err
	}
	// The checks read other records, so they run before the update's
	// transaction, which then writes the checked definition whole.
	next := current
	link, err := s.apply(ctx, &next, in)
	if err != nil {
		return Webhook{}, "", err
	}

	var secret secrets.Secret
	hook, err := s.store.UpdateWebhook(ctx, actor.OrgID, id, func(h *store.Webhook) error {
		h.Name, h.URL, h.Method, h.Headers, h.Body = next.Name, next.URL, next.Method, next.Headers, next.Body
		h.ConnectionID, h.Events, h.Enabled, h.MaxAttempts = next.ConnectionID, next.Events, next.Enabled, next.MaxAttempts
		h.UpdatedAt = s.now()
		secret = ""
		if next.Enabled {
			h.DisabledReason = ""
		}
		switch {
		case h.ConnectionID != "":
			h.SecretSealed = ""
			h.PreviousSecretSealed, h.PreviousSecretUntil = "", time.Time{}
		case h.SecretSealed == "":
			fresh, sealErr := s.sealNewSecret(h)
			if sealErr != nil {
				return sealErr
			}
			secret = fresh
		}
		return nil
	})
	if prob := connections.ReferenceProblem(err, actor, link); prob != nil {
		return Webhook{}, "", prob
	}
	if errors.Is(err, store.ErrNotFound) {
		return Webhook{}, "", problem.NotFound("webhook_not_found", "webhook %q not found; list webhooks with GET /v1/webhooks", id)
	}
	if err != nil {
		return Webhook{}, "", fmt.Errorf("updating webhook %q: %w", current.Name, err)
	}
	s.logger.InfoContext(ctx, "webhook updated", "org_id", hook.OrgID, "webhook_id", hook.ID, "user_id", actor.UserID)
	s.record(ctx, actor, hook, link, "webhook.updated", nil)
	out, err := s.describe(ctx, hook, newNames())
	return out, secret, err
}

// Delete deletes a webhook and its deliveries.
func (s *Service) Delete(ctx context.Context, actor connections.Actor, id string) error {
	hook, err := s.webhook(ctx, actor.OrgID, id)
	if err != nil {
		return err
	}
	if err := requireChange(actor, hook); err != nil {
		return err
	}
	err = s.store.DeleteWebhook(ctx, actor.OrgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return problem.NotFound("webhook_not_found", "webhook %q not found; list webhooks with GET /v1/webhooks", id)
	}
	if err != nil {
		return fmt.Errorf("deleting webhook %q: %w", hook.Name, err)
	}
	s.logger.InfoContext(ctx, "webhook deleted", "org_id", hook.OrgID, "webhook_id", hook.ID, "user_id", actor.UserID)
	s.record(ctx, actor, hook, "", "webhook.deleted", map[string]any{"name": hook.Name})
	return nil
}

// SecretGrace is how long a rotated-out signing secret keeps signing
// beside the new one, so a receiver can switch without rejecting a
// delivery.
const SecretGrace = 24 * time.Hour

// RotateSecret replaces the signing secret of an unbound webhook and
// returns the new one. For SecretGrace, requests carry the signatures of
// both secrets, as the Standard Webhooks specification allows. Rotating
// again within the grace ends the oldest secret at once.
func (s *Service) RotateSecret(ctx context.Context, actor connections.Actor, id string) (Webhook, secrets.Secret, error) {
	current, err := s.webhook(ctx, actor.OrgID, id)
	if err != nil {
		return Webhook{}, "", err
	}
	if err := requireChange(actor, current); err != nil {
		return Webhook{}, "", err
	}

	var secret secrets.Secret
	hook, err := s.store.UpdateWebhook(ctx, actor.OrgID, id, func(h *store.Webhook) error {
		if h.ConnectionID != "" {
			return problem.Conflict("webhook_bound",
				"webhook %q sends through a connection, whose credential authenticates its requests, so it has no signing secret", h.Name)
		}
		previous, err := s.resealPrevious(h)
		if err != nil {
			return err
		}
		fresh, sealErr := s.sealNewSecret(h)
		if sealErr != nil {
			return sealErr
		}
		secret = fresh
		h.PreviousSecretSealed, h.PreviousSecretUntil = previous, s.now().Add(SecretGrace)
		h.UpdatedAt = s.now()
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return Webhook{}, "", problem.NotFound("webhook_not_found", "webhook %q not found; list webhooks with GET /v1/webhooks", id)
	}
	if err != nil {
		return Webhook{}, "", err
	}
	s.logger.InfoContext(ctx, "webhook signing secret rotated", "org_id", hook.OrgID, "webhook_id", hook.ID, "user_id", actor.UserID)
	s.record(ctx, actor, hook, "", "webhook.secret_rotated", nil)
	out, err := s.describe(ctx, hook, newNames())
	return out, secret, err
}

// names caches the link names and usernames looked up while describing
// several webhooks.
type names struct {
	links map[string]string
	users map[string]string
}

func newNames() *names {
	return &names{links: map[string]string{}, users: map[string]string{}}
}

// describe adds the connection's link name and the creator's username.
func (s *Service) describe(ctx context.Context, hook store.Webhook, cache *names) (Webhook, error) {
	out := Webhook{Webhook: hook}
	if hook.ConnectionID != "" {
		link, ok := cache.links[hook.ConnectionID]
		if !ok {
			conn, err := s.store.GetConnectionByID(ctx, hook.OrgID, hook.ConnectionID)
			if err != nil {
				return Webhook{}, fmt.Errorf("reading connection of webhook %q: %w", hook.Name, err)
			}
			link = conn.LinkName
			cache.links[hook.ConnectionID] = link
		}
		out.Connection = link
	}
	username, ok := cache.users[hook.CreatedBy]
	if !ok {
		user, err := s.store.GetUser(ctx, hook.OrgID, hook.CreatedBy)
		if err != nil {
			return Webhook{}, fmt.Errorf("reading creator of webhook %q: %w", hook.Name, err)
		}
		username = user.Username
		cache.users[hook.CreatedBy] = username
	}
	out.CreatedByName = username
	return out, nil
}

// record appends an audit entry about a webhook. An empty link is looked
// up from the webhook's connection, if it has one.
func (s *Service) record(ctx context.Context, actor connections.Actor, hook store.Webhook, link, action string, detail map[string]any) {
	if s.audit == nil {
		return
	}
	// Every entry names the webhook, which may be renamed or deleted later.
	if detail == nil {
		detail = map[string]any{}
	}
	if _, ok := detail["name"]; !ok {
		detail["name"] = hook.Name
	}
	if link == "" && hook.ConnectionID != "" {
		if conn, err := s.store.GetConnectionByID(ctx, hook.OrgID, hook.ConnectionID); err == nil {
			link = conn.LinkName
		}
	}
	s.audit.Record(context.WithoutCancel(ctx), store.AuditEntry{
		OrgID:        hook.OrgID,
		ActorID:      actor.UserID,
		ActorName:    actor.Username,
		Action:       action,
		ConnectionID: hook.ConnectionID,
		LinkName:     link,
		TargetType:   "webhook",
		TargetID:     hook.ID,
		Detail:       detail,
	})
}
