package webhooks

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Event sources, as store.Event.Source.
const (
	SourceAPI       = "api"
	SourcePlugboard = "plugboard"
)

// publisher adapts Raise to connections.EventPublisher, whose method is
// named Publish like the Service method that also returns the event.
type publisher struct{ s *Service }

var _ connections.EventPublisher = publisher{}

func (p publisher) Publish(ctx context.Context, orgID, actorID, eventType string, data map[string]any) error {
	return p.s.Raise(ctx, orgID, actorID, eventType, data)
}

// Publisher returns s as the connections.EventPublisher that
// connections.Options.Events takes.
func (s *Service) Publisher() connections.EventPublisher { return publisher{s} }

// Publish stores an event raised by plugboard, such as
// "connection.connected", with one pending delivery for each enabled
// webhook subscribed to its type, in one transaction. It returns the event
// and the number of deliveries. actorID is the member whose action raised
// the event, or empty.
func (s *Service) Publish(ctx context.Context, orgID, actorID, eventType string, data map[string]any) (store.Event, int, error) {
	if !ValidEventType(eventType) {
		return store.Event{}, 0, fmt.Errorf("event type %q is not valid; use lower-case dotted words", eventType)
	}
	return s.publish(ctx, orgID, actorID, eventType, SourcePlugboard, data)
}

// Raise is Publish without its results, for connections.EventPublisher.
func (s *Service) Raise(ctx context.Context, orgID, actorID, eventType string, data map[string]any) error {
	_, _, err := s.Publish(ctx, orgID, actorID, eventType, data)
	return err
}

// PostEvent stores an event that a member posted through the API, with its
// deliveries. Types starting with "connection." or "webhook." are
// reserved for the events plugboard raises.
func (s *Service) PostEvent(ctx context.Context, actor connections.Actor, eventType string, data map[string]any) (store.Event, int, error) {
	if !actor.CanManage() {
		return store.Event{}, 0, problem.Forbidden("forbidden",
			"role %q cannot post events, because events trigger webhooks that use credentials; ask an admin for the developer role", actor.Role)
	}
	if err := checkPostedType(eventType); err != nil {
		return store.Event{}, 0, err
	}
	if _, err := json.Marshal(data); err != nil {
		return store.Event{}, 0, problem.Invalid("invalid_event", "event data cannot be stored as JSON: %s", err.Error())
	}
	return s.publish(ctx, actor.OrgID, actor.UserID, eventType, SourceAPI, data)
}

func (s *Service) publish(ctx context.Context, orgID, actorID, eventType, source string, data map[string]any) (store.Event, int, error) {
	hooks, err := s.store.ListWebhooks(ctx, orgID, store.ListWebhooksOptions{EventType: eventType, EnabledOnly: true})
	if err != nil {
		return store.Event{}, 0, fmt.Errorf("listing webhooks of event type %q: %w", eventType, err)
	}
	event := s.newEvent(orgID, actorID, eventType, source, data)
	deliveries := make([]store.Delivery, 0, len(hooks))
	for _, hook := range hooks {
		deliveries = append(deliveries, s.newDelivery(event, hook.ID))
	}
	if err := s.store.CreateEvent(ctx, event, deliveries); err != nil {
		return store.Event{}, 0, fmt.Errorf("storing event %q: %w", eventType, err)
	}
	s.logger.DebugContext(ctx, "event stored", "org_id", orgID, "event_id", event.ID, "event_type", eventType,
		"deliveries", len(deliveries))
	return event, len(deliveries), nil
}

func (s *Service) newEvent(orgID, actorID, eventType, source string, data map[string]any) store.Event {
	if data == nil {
		data = map[string]any{}
	}
	now := s.now()
	return store.Event{
		OrgID: orgID, ID: store.NewSortableID(now), Type: eventType, Data: data,
		Source: source, CreatedBy: actorID, CreatedAt: now,
	}
}

func (s *Service) newDelivery(event store.Event, webhookID string) store.Delivery {
	now := s.now()
	return store.Delivery{
		OrgID: event.OrgID, ID: store.NewSortableID(now), WebhookID: webhookID, EventID: event.ID,
		Status: store.DeliveryPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
	}
}

// Test sends a "webhook.test" event to one webhook only, even a disabled
// one, and returns its delivery.
func (s *Service) Test(ctx context.Context, actor connections.Actor, webhookID string) (Delivery, error) {
	if err := requireManage(actor); err != nil {
		return Delivery{}, err
	}
	hook, err := s.webhook(ctx, actor.OrgID, webhookID)
	if err != nil {
		return Delivery{}, err
	}
	if !mayActFor(actor, hook) {
		return Delivery{}, problem.Forbidden("forbidden",
			"only the creator of webhook %q or an admin may test it, because it sends with the creator's credential", hook.Name)
	}
	s.record(ctx, actor, hook, "", "webhook.tested", nil)
	event := s.newEvent(actor.OrgID, actor.UserID, EventTest, SourcePlugboard, map[string]any{
		"webhook": map[string]any{"id": hook.ID, "name": hook.Name},
		"user":    actor.Username,
	})
	delivery := s.newDelivery(event, hook.ID)
	if err := s.store.CreateEvent(ctx, event, []store.Delivery{delivery}); err != nil {
		return Delivery{}, fmt.Errorf("storing test event of webhook %q: %w", hook.Name, err)
	}
	s.logger.InfoContext(ctx, "webhook test queued", "org_id", hook.OrgID, "webhook_id", hook.ID, "delivery_id", delivery.ID,
		"user_id", actor.UserID)
	return Delivery{Delivery: delivery, EventType: event.Type}, nil
}
