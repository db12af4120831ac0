package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func newEvent(orgID, createdBy string) store.Event {
	return store.Event{
		OrgID: orgID,
		ID:    store.NewSortableID(at(0)),
		Type:  "device.alarm",
		Data: map[string]any{
			"device": "pump-7",
			"level":  3.5,
			"tags":   []any{"north", "critical"},
			"site":   map[string]any{"name": "Plant 2", "open": true},
		},
		Source:    "api",
		CreatedBy: createdBy,
		CreatedAt: at(0),
	}
}

// newDelivery returns a pending delivery of event to the webhook, due at
// at(0).
func newDelivery(event store.Event, webhookID string) store.Delivery {
	return store.Delivery{
		OrgID:         event.OrgID,
		ID:            store.NewSortableID(at(0)),
		WebhookID:     webhookID,
		EventID:       event.ID,
		Status:        store.DeliveryPending,
		NextAttemptAt: at(0),
		CreatedAt:     at(0),
		UpdatedAt:     at(0),
	}
}

func createEvent(t *testing.T, s store.Store, event store.Event, deliveries ...store.Delivery) {
	t.Helper()
	if err := s.CreateEvent(t.Context(), event, deliveries); err != nil {
		t.Fatalf("CreateEvent(%q with %d deliveries) error = %v", event.ID, len(deliveries), err)
	}
}

// canonEvent treats nil and empty data as equal.
func canonEvent(event store.Event) store.Event {
	if len(event.Data) == 0 {
		event.Data = nil
	}
	return event
}

func wantEvent(event store.Event) store.Event {
	event = canonEvent(event)
	event.CreatedAt = inUTC(event.CreatedAt)
	return event
}

func wantDelivery(d store.Delivery) store.Delivery {
	d.NextAttemptAt = inUTC(d.NextAttemptAt)
	d.LeaseUntil = inUTC(d.LeaseUntil)
	d.CreatedAt = inUTC(d.CreatedAt)
	d.UpdatedAt = inUTC(d.UpdatedAt)
	d.DeliveredAt = inUTC(d.DeliveredAt)
	return d
}

func testEvents(t *testing.T, s store.Store) {
	t.Run("create and get", func(t *testing.T) {
		org, user, hook := webhookFixture(t, s)
		second := createWebhook(t, s, newWebhook(org.ID, user.ID))
		event := newEvent(org.ID, user.ID)
		deliveries := []store.Delivery{newDelivery(event, hook.ID), newDelivery(event, second.ID)}
		createEvent(t, s, event, deliveries...)

		got, err := s.GetEvent(t.Context(), org.ID, event.ID)
		if err != nil {
			t.Fatalf("GetEvent() error = %v", err)
		}
		checkEqual(t, "GetEvent", canonEvent(got), wantEvent(event))
		for _, d := range deliveries {
			got, err := s.GetDelivery(t.Context(), org.ID, d.ID)
			if err != nil {
				t.Fatalf("GetDelivery(%q) error = %v", d.ID, err)
			}
			checkEqual(t, "GetDelivery", got, wantDelivery(d))
		}
	})

	t.Run("raised event without deliveries", func(t *testing.T) {
		org := createOrg(t, s)
		event := newEvent(org.ID, "")
		event.Type = "connection.needs_reauth"
		event.Source = "plugboard"
		event.Data = nil
		createEvent(t, s, event)

		got, err := s.GetEvent(t.Context(), org.ID, event.ID)
		if err != nil {
			t.Fatalf("GetEvent() error = %v", err)
		}
		checkEqual(t, "GetEvent", canonEvent(got), wantEvent(event))
	})

	t.Run("id conflict", func(t *testing.T) {
		org := createOrg(t, s)
		event := newEvent(org.ID, "")
		createEvent(t, s, event)

		dup := newEvent(org.ID, "")
		dup.ID = event.ID
		dup.Type = "device.cleared"
		if err := s.CreateEvent(t.Context(), dup, nil); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateEvent(taken ID) error = %v, want ErrConflict", err)
		}
		got, err := s.GetEvent(t.Context(), org.ID, event.ID)
		if err != nil {
			t.Fatalf("GetEvent() error = %v", err)
		}
		checkEqual(t, "first event", canonEvent(got), wantEvent(event))
	})

	t.Run("failed delivery leaves no event", func(t *testing.T) {
		org, user, hook := webhookFixture(t, s)
		stored := newEvent(org.ID, user.ID)
		existing := newDelivery(stored, hook.ID)
		createEvent(t, s, stored, existing)

		duplicateInCall := newEvent(org.ID, user.ID)
		first := newDelivery(duplicateInCall, hook.ID)
		again := newDelivery(duplicateInCall, hook.ID)
		again.ID = first.ID

		takenByOther := newEvent(org.ID, user.ID)
		fresh := newDelivery(takenByOther, hook.ID)
		reused := newDelivery(takenByOther, hook.ID)
		reused.ID = existing.ID

		unknownWebhook := newEvent(org.ID, user.ID)
		valid := newDelivery(unknownWebhook, hook.ID)
		orphan := newDelivery(unknownWebhook, uniqueID("hook"))

		tests := []struct {
			name         string
			event        store.Event
			deliveries   []store.Delivery
			wantConflict bool
		}{
			{"delivery ID repeated in the call", duplicateInCall, []store.Delivery{first, again}, true},
			{"delivery ID of another event", takenByOther, []store.Delivery{fresh, reused}, true},
			{"delivery to unknown webhook", unknownWebhook, []store.Delivery{valid, orphan}, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.CreateEvent(t.Context(), tt.event, tt.deliveries)
				if err == nil {
					t.Fatalf("CreateEvent() error = nil, want an error")
				}
				if tt.wantConflict && !errors.Is(err, store.ErrConflict) {
					t.Errorf("CreateEvent() error = %v, want ErrConflict", err)
				}
				if _, err := s.GetEvent(t.Context(), org.ID, tt.event.ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("GetEvent() after a failed CreateEvent error = %v, want ErrNotFound", err)
				}
				// The first delivery was valid; it must be gone with the
				// event.
				if _, err := s.GetDelivery(t.Context(), org.ID, tt.deliveries[0].ID); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("GetDelivery(first delivery) after a failed CreateEvent error = %v, want ErrNotFound", err)
				}
			})
		}

		got, err := s.GetDelivery(t.Context(), org.ID, existing.ID)
		if err != nil {
			t.Fatalf("GetDelivery(earlier delivery) error = %v", err)
		}
		checkEqual(t, "earlier delivery", got, wantDelivery(existing))
	})

	t.Run("unknown event", func(t *testing.T) {
		org := createOrg(t, s)

		if _, err := s.GetEvent(t.Context(), org.ID, store.NewSortableID(at(time.Second))); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetEvent(unknown) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("other org", func(t *testing.T) {
		org, user, hook := webhookFixture(t, s)
		event := newEvent(org.ID, user.ID)
		createEvent(t, s, event, newDelivery(event, hook.ID))
		other := createOrg(t, s)

		if _, err := s.GetEvent(t.Context(), other.ID, event.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetEvent() error = %v, want ErrNotFound", err)
		}
		// A delivery of the other org cannot attach to this org's webhook.
		otherEvent := newEvent(other.ID, "")
		if err := s.CreateEvent(t.Context(), otherEvent, []store.Delivery{newDelivery(otherEvent, hook.ID)}); err == nil {
			t.Errorf("CreateEvent(delivery to a webhook of another org) error = nil, want an error")
		}
	})
}

func testOldEvents(t *testing.T, s store.Store) {
	// The events here are dated long before any other test's, because
	// DeleteOldEvents reaches every org.
	daysAgo := func(event store.Event, days int) store.Event {
		event.CreatedAt = at(-time.Duration(days) * 24 * time.Hour)
		return event
	}
	cutoff := at(-1000 * 24 * time.Hour)

	org, user, hook := webhookFixture(t, s)
	other, otherUser, otherHook := webhookFixture(t, s)

	finished := daysAgo(newEvent(org.ID, user.ID), 1003)
	done := newDelivery(finished, hook.ID)
	done.Status = store.DeliverySucceeded
	createEvent(t, s, finished, done)

	waiting := daysAgo(newEvent(org.ID, user.ID), 1002)
	createEvent(t, s, waiting, newDelivery(waiting, hook.ID))

	otherOrg := daysAgo(newEvent(other.ID, otherUser.ID), 1001)
	failed := newDelivery(otherOrg, otherHook.ID)
	failed.Status = store.DeliveryFailed
	createEvent(t, s, otherOrg, failed)

	recent := daysAgo(newEvent(org.ID, user.ID), 999)
	createEvent(t, s, recent)

	n, err := s.DeleteOldEvents(t.Context(), cutoff, 1)
	if err != nil {
		t.Fatalf("DeleteOldEvents(limit 1) error = %v", err)
	}
	if n != 1 {
		t.Errorf("DeleteOldEvents(limit 1) = %d, want 1", n)
	}
	if _, err := s.GetEvent(t.Context(), org.ID, finished.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetEvent(oldest finished event) error = %v, want ErrNotFound", err)
	}
	if _, err := s.GetDelivery(t.Context(), org.ID, done.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDelivery(its delivery) error = %v, want ErrNotFound", err)
	}

	n, err = s.DeleteOldEvents(t.Context(), cutoff, 10)
	if err != nil {
		t.Fatalf("DeleteOldEvents(limit 10) error = %v", err)
	}
	if n != 1 {
		t.Errorf("DeleteOldEvents(limit 10) = %d, want 1: the other org's finished event", n)
	}
	if _, err := s.GetEvent(t.Context(), other.ID, otherOrg.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetEvent(other org's old event) error = %v, want ErrNotFound", err)
	}
	for _, kept := range []store.Event{waiting, recent} {
		if _, err := s.GetEvent(t.Context(), org.ID, kept.ID); err != nil {
			t.Errorf("GetEvent(%q) error = %v, want it kept", kept.ID, err)
		}
	}
}
