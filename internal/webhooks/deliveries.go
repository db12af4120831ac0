package webhooks

import (
	"context"
	"errors"
	"fmt"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Delivery is a stored delivery with its event's type.
type Delivery struct {
	store.Delivery
	EventType string
}

// Deliveries lists a webhook's deliveries, newest first, before the
// delivery ID before when it is set, at most limit of them. Only the
// webhook's creator and admins see LastResponse, which is data fetched with
// the creator's credential.
func (s *Service) Deliveries(ctx context.Context, actor connections.Actor, webhookID, before string, limit int) ([]Delivery, error) {
	hook, err := s.webhook(ctx, actor.OrgID, webhookID)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ListDeliveries(ctx, actor.OrgID, webhookID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("listing deliveries of webhook %q: %w", webhookID, err)
	}
	types := map[string]string{}
	out := make([]Delivery, 0, len(list))
	for _, d := range list {
		eventType, ok := types[d.EventID]
		if !ok {
			event, err := s.store.GetEvent(ctx, actor.OrgID, d.EventID)
			if err != nil {
				return nil, fmt.Errorf("reading event of delivery %q: %w", d.ID, err)
			}
			eventType = event.Type
			types[d.EventID] = eventType
		}
		out = append(out, forActor(actor, hook, Delivery{Delivery: d, EventType: eventType}))
	}
	return out, nil
}

// Delivery returns one delivery of a webhook.
func (s *Service) Delivery(ctx context.Context, actor connections.Actor, webhookID, deliveryID string) (Delivery, error) {
	d, err := s.delivery(ctx, actor.OrgID, webhookID, deliveryID)
	if err != nil {
		return Delivery{}, err
	}
	hook, err := s.webhook(ctx, actor.OrgID, webhookID)
	if err != nil {
		return Delivery{}, err
	}
	return forActor(actor, hook, d), nil
}

func (s *Service) delivery(ctx context.Context, orgID, webhookID, deliveryID string) (Delivery, error) {
	if _, err := s.webhook(ctx, orgID, webhookID); err != nil {
		return Delivery{}, err
	}
	d, err := s.loadDelivery(ctx, orgID, deliveryID)
	if err != nil {
		return Delivery{}, err
	}
	if d.WebhookID != webhookID {
		return Delivery{}, deliveryNotFound(webhookID, deliveryID)
	}
	return d, nil
}

// loadDelivery reads a delivery of any of the org's webhooks and its
// event's type.
func (s *Service) loadDelivery(ctx context.Context, orgID, deliveryID string) (Delivery, error) {
	d, err := s.store.GetDelivery(ctx, orgID, deliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return Delivery{}, problem.NotFound("delivery_not_found", "delivery %q not found", deliveryID)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("reading delivery %q: %w", deliveryID, err)
	}
	event, err := s.store.GetEvent(ctx, orgID, d.EventID)
	if err != nil {
		return Delivery{}, fmt.Errorf("reading event of delivery %q: %w", d.ID, err)
	}
	return Delivery{Delivery: d, EventType: event.Type}, nil
}

func deliveryNotFound(webhookID, deliveryID string) error {
	return problem.NotFound("delivery_not_found",
		"delivery %q of webhook %q not found; list deliveries with GET /v1/webhooks/%s/deliveries", deliveryID, webhookID, webhookID)
}

// forActor hides the response body from everyone but the webhook's
// creator and admins: it is data fetched with the creator's credential.
func forActor(actor connections.Actor, hook store.Webhook, d Delivery) Delivery {
	if !mayActFor(actor, hook) {
		d.LastResponse = ""
	}
	return d
}

// mayActFor reports whether actor may send or read what the webhook sends
// with its creator's credential: the creator and admins may.
func mayActFor(actor connections.Actor, hook store.Webhook) bool {
	return actor.UserID == hook.CreatedBy || actor.Role == store.RoleAdmin
}

// Redeliver makes a delivery pending again, due now, with its attempt
// count reset. A delivery that is pending already stays as it is. The
// receiver gets the same webhook-id as before.
func (s *Service) Redeliver(ctx context.Context, actor connections.Actor, deliveryID string) (Delivery, error) {
	if err := requireManage(actor); err != nil {
		return Delivery{}, err
	}
	current, err := s.loadDelivery(ctx, actor.OrgID, deliveryID)
	if err != nil {
		return Delivery{}, err
	}
	hook, err := s.webhook(ctx, actor.OrgID, current.WebhookID)
	if err != nil {
		return Delivery{}, err
	}
	if !mayActFor(actor, hook) {
		return Delivery{}, problem.Forbidden("forbidden",
			"only the creator of webhook %q or an admin may redeliver, because it sends with the creator's credential", hook.Name)
	}
	if !hook.Enabled && current.EventType != EventTest {
		return Delivery{}, problem.Conflict("webhook_disabled",
			"webhook %q is disabled, so the delivery would fail again; enable it first", hook.Name)
	}

	requeued, err := s.store.RequeueDelivery(ctx, actor.OrgID, deliveryID, s.now())
	if errors.Is(err, store.ErrNotFound) {
		return Delivery{}, deliveryNotFound(current.WebhookID, deliveryID)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("requeueing delivery %q: %w", deliveryID, err)
	}
	s.logger.InfoContext(ctx, "delivery requeued", "org_id", actor.OrgID, "webhook_id", hook.ID, "delivery_id", deliveryID,
		"user_id", actor.UserID)
	s.record(ctx, actor, hook, "", "webhook.redelivered", map[string]any{"delivery": deliveryID})
	return Delivery{Delivery: requeued, EventType: current.EventType}, nil
}
