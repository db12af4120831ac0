package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// newWebhook returns an unbound webhook with every field set. Callers bind
// it to a connection by setting ConnectionID.
func newWebhook(orgID, createdBy string) store.Webhook {
	id := uniqueID("hook")
	return store.Webhook{
		OrgID:        orgID,
		ID:           id,
		Name:         "Ticket on alarm",
		URL:          "https://desk.example/api/tickets",
		Method:       "POST",
		Headers:      map[string]string{"Content-Type": "application/json", "X-Device": "{{.data.device}}"},
		Body:         `{"subject": "{{.data.device}} alarm"}`,
		Events:       []string{"device.alarm", "device.cleared"},
		Enabled:      true,
		MaxAttempts:  5,
		SecretSealed: "sealed-signing-secret-" + id,
		CreatedBy:    createdBy,
		CreatedAt:    at(0),
		UpdatedAt:    at(time.Minute),
	}
}

// createWebhook stores hook and deletes it, with its deliveries, when the
// test ends. Deliveries are claimed across orgs, so a pending delivery left
// behind in a shared database could be claimed by a later test.
func createWebhook(t *testing.T, s store.Store, hook store.Webhook) store.Webhook {
	t.Helper()
	if err := s.CreateWebhook(t.Context(), hook); err != nil {
		t.Fatalf("CreateWebhook(%q) error = %v", hook.ID, err)
	}
	t.Cleanup(func() {
		// t.Context() is canceled before cleanup functions run.
		err := s.DeleteWebhook(context.Background(), hook.OrgID, hook.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteWebhook(%q) in cleanup error = %v", hook.ID, err)
		}
	})
	return hook
}

// webhookFixture creates an org, a user and an unbound webhook the user
// created.
func webhookFixture(t *testing.T, s store.Store) (store.Org, store.User, store.Webhook) {
	t.Helper()
	org := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")
	hook := createWebhook(t, s, newWebhook(org.ID, user.ID))
	return org, user, hook
}

// canonWebhook treats nil and empty header maps and event lists as equal.
func canonWebhook(hook store.Webhook) store.Webhook {
	if len(hook.Headers) == 0 {
		hook.Headers = nil
	}
	if len(hook.Events) == 0 {
		hook.Events = nil
	}
	return hook
}

func wantWebhook(hook store.Webhook) store.Webhook {
	hook = canonWebhook(hook)
	hook.CreatedAt = inUTC(hook.CreatedAt)
	hook.UpdatedAt = inUTC(hook.UpdatedAt)
	if !hook.PreviousSecretUntil.IsZero() {
		hook.PreviousSecretUntil = inUTC(hook.PreviousSecretUntil)
	}
	return hook
}

func webhookIDs(hooks []store.Webhook) []string {
	ids := []string{}
	for _, hook := range hooks {
		ids = append(ids, hook.ID)
	}
	return ids
}

func testWebhooks(t *testing.T, s store.Store) {
	t.Run("create and get", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		hook := newWebhook(org.ID, user.ID)
		hook.ConnectionID = conn.ID
		createWebhook(t, s, hook)

		got, err := s.GetWebhook(t.Context(), org.ID, hook.ID)
		if err != nil {
			t.Fatalf("GetWebhook() error = %v", err)
		}
		checkEqual(t, "GetWebhook", canonWebhook(got), wantWebhook(hook))
	})

	t.Run("empty headers and events", func(t *testing.T) {
		org := createOrg(t, s)
		hook := newWebhook(org.ID, createUser(t, s, org.ID, "alice").ID)
		hook.Headers = nil
		hook.Events = nil
		hook.Body = ""
		hook.Enabled = false
		hook.MaxAttempts = 0
		hook.SecretSealed = ""
		createWebhook(t, s, hook)

		got, err := s.GetWebhook(t.Context(), org.ID, hook.ID)
		if err != nil {
			t.Fatalf("GetWebhook() error = %v", err)
		}
		checkEqual(t, "GetWebhook", canonWebhook(got), wantWebhook(hook))
	})

	t.Run("id conflict", func(t *testing.T) {
		org, user, hook := webhookFixture(t, s)

		dup := newWebhook(org.ID, user.ID)
		dup.ID = hook.ID
		if err := s.CreateWebhook(t.Context(), dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("CreateWebhook(taken ID) error = %v, want ErrConflict", err)
		}
	})

	t.Run("update", func(t *testing.T) {
		org, user, conn := connectionFixture(t, s)
		hook := createWebhook(t, s, newWebhook(org.ID, user.ID))

		got, err := s.UpdateWebhook(t.Context(), org.ID, hook.ID, func(current *store.Webhook) error {
			checkEqual(t, "webhook passed to update", canonWebhook(*current), wantWebhook(hook))
			current.Name = "Renamed"
			current.URL = "/tickets"
			current.Method = "PUT"
			current.Headers = map[string]string{"Accept": "application/json"}
			current.Body = "{}"
			current.ConnectionID = conn.ID
			current.Events = []string{"connection.needs_reauth"}
			current.Enabled = false
			current.MaxAttempts = 9
			current.SecretSealed = ""
			current.PreviousSecretSealed = "sealed-previous"
			current.PreviousSecretUntil = at(25 * time.Hour)
			current.DisabledReason = "the receiver answered 410 Gone"
			current.UpdatedAt = at(time.Hour)
			// Identity fields, which the store must keep.
			current.OrgID = uniqueID("org")
			current.ID = uniqueID("hook")
			current.CreatedBy = "someone-else"
			current.CreatedAt = at(-time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("UpdateWebhook() error = %v", err)
		}

		want := hook
		want.Name = "Renamed"
		want.URL = "/tickets"
		want.Method = "PUT"
		want.Headers = map[string]string{"Accept": "application/json"}
		want.Body = "{}"
		want.ConnectionID = conn.ID
		want.Events = []string{"connection.needs_reauth"}
		want.Enabled = false
		want.MaxAttempts = 9
		want.SecretSealed = ""
		want.PreviousSecretSealed = "sealed-previous"
		want.PreviousSecretUntil = at(25 * time.Hour)
		want.DisabledReason = "the receiver answered 410 Gone"
		want.UpdatedAt = at(time.Hour)
		checkEqual(t, "UpdateWebhook result", canonWebhook(got), wantWebhook(want))

		stored, err := s.GetWebhook(t.Context(), org.ID, hook.ID)
		if err != nil {
			t.Fatalf("GetWebhook() error = %v", err)
		}
		checkEqual(t, "GetWebhook after update", stored, got)
	})

	t.Run("update error rolls back", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		errRejected := errors.New("update rejected by test")

		_, err := s.UpdateWebhook(t.Context(), org.ID, hook.ID, func(current *store.Webhook) error {
			current.Name = "Changed"
			current.Enabled = false
			return errRejected
		})
		if !errors.Is(err, errRejected) {
			t.Errorf("UpdateWebhook() error = %v, want the update function's error", err)
		}

		got, err := s.GetWebhook(t.Context(), org.ID, hook.ID)
		if err != nil {
			t.Fatalf("GetWebhook() error = %v", err)
		}
		checkEqual(t, "GetWebhook after failed update", canonWebhook(got), wantWebhook(hook))
	})

	t.Run("delete removes deliveries", func(t *testing.T) {
		org, user, hook := webhookFixture(t, s)
		otherHook := createWebhook(t, s, newWebhook(org.ID, user.ID))
		event := newEvent(org.ID, user.ID)
		first := newDelivery(event, hook.ID)
		second := newDelivery(event, hook.ID)
		other := newDelivery(event, otherHook.ID)
		createEvent(t, s, event, first, second, other)

		if err := s.DeleteWebhook(t.Context(), org.ID, hook.ID); err != nil {
			t.Fatalf("DeleteWebhook() error = %v", err)
		}

		if _, err := s.GetWebhook(t.Context(), org.ID, hook.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetWebhook(deleted) error = %v, want ErrNotFound", err)
		}
		for _, d := range []store.Delivery{first, second} {
			if _, err := s.GetDelivery(t.Context(), org.ID, d.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetDelivery(delivery of deleted webhook) error = %v, want ErrNotFound", err)
			}
		}
		deliveries, err := s.ListDeliveries(t.Context(), org.ID, hook.ID, "", 0)
		if err != nil {
			t.Fatalf("ListDeliveries() error = %v", err)
		}
		if len(deliveries) != 0 {
			t.Errorf("ListDeliveries(deleted webhook) returned %d deliveries, want 0", len(deliveries))
		}
		got, err := s.GetDelivery(t.Context(), org.ID, other.ID)
		if err != nil {
			t.Fatalf("GetDelivery(delivery of other webhook) error = %v", err)
		}
		checkEqual(t, "delivery of other webhook", got, wantDelivery(other))
		if _, err := s.GetEvent(t.Context(), org.ID, event.ID); err != nil {
			t.Errorf("GetEvent() after deleting one of its webhooks error = %v, want nil", err)
		}
		if err := s.DeleteWebhook(t.Context(), org.ID, hook.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteWebhook(deleted) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("unknown webhook", func(t *testing.T) {
		org := createOrg(t, s)
		id := uniqueID("hook")
		called := false

		if _, err := s.GetWebhook(t.Context(), org.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetWebhook(unknown) error = %v, want ErrNotFound", err)
		}
		_, err := s.UpdateWebhook(t.Context(), org.ID, id, func(*store.Webhook) error { called = true; return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateWebhook(unknown) error = %v, want ErrNotFound", err)
		}
		if called {
			t.Errorf("UpdateWebhook(unknown) ran the update function")
		}
		if err := s.DeleteWebhook(t.Context(), org.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteWebhook(unknown) error = %v, want ErrNotFound", err)
		}
	})

	t.Run("other org", func(t *testing.T) {
		org, user, hook := webhookFixture(t, s)
		other := createOrg(t, s)
		createUserWithID(t, s, other.ID, user.ID, user.Username)
		createWebhook(t, s, newWebhook(other.ID, user.ID))
		called := false

		if _, err := s.GetWebhook(t.Context(), other.ID, hook.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetWebhook() error = %v, want ErrNotFound", err)
		}
		_, err := s.UpdateWebhook(t.Context(), other.ID, hook.ID, func(*store.Webhook) error { called = true; return nil })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UpdateWebhook() error = %v, want ErrNotFound", err)
		}
		if called {
			t.Errorf("UpdateWebhook() ran the update function for a webhook of another org")
		}
		if err := s.DeleteWebhook(t.Context(), other.ID, hook.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("DeleteWebhook() error = %v, want ErrNotFound", err)
		}
		for _, opts := range []store.ListWebhooksOptions{{}, {EventType: "device.alarm"}, {EnabledOnly: true}} {
			hooks, err := s.ListWebhooks(t.Context(), other.ID, opts)
			if err != nil {
				t.Fatalf("ListWebhooks(%+v) error = %v", opts, err)
			}
			if slices.Contains(webhookIDs(hooks), hook.ID) || len(hooks) != 1 {
				t.Errorf("ListWebhooks(other org, %+v) = %q, want only the other org's webhook", opts, webhookIDs(hooks))
			}
		}

		got, err := s.GetWebhook(t.Context(), org.ID, hook.ID)
		if err != nil {
			t.Fatalf("GetWebhook() error = %v", err)
		}
		checkEqual(t, "webhook after calls through another org", canonWebhook(got), wantWebhook(hook))
	})
}

func testListWebhooks(t *testing.T, s store.Store) {
	org, user, conn := connectionFixture(t, s)
	otherConn := createConnection(t, s, newConnection(org.ID, "desk", "acme_desk", user.ID))

	// Two webhooks share the name "a", so ID order decides between them.
	// "device.alarm.extra" checks that the event filter matches whole
	// event types, not prefixes or substrings.
	hook := func(name, connectionID string, enabled bool, events ...string) store.Webhook {
		h := newWebhook(org.ID, user.ID)
		h.Name = name
		h.ConnectionID = connectionID
		h.Enabled = enabled
		h.Events = events
		return createWebhook(t, s, h)
	}
	boundB := hook("b", conn.ID, true, "device.alarm", "device.ok")
	disabledA := hook("a", "", false, "device.alarm")
	enabledA := hook("a", "", true, "connection.connected")
	boundC := hook("c", otherConn.ID, true, "device.alarm.extra")
	// inOrder sorts webhooks by name, then ID, as ListWebhooks must.
	inOrder := func(hooks ...store.Webhook) []store.Webhook {
		slices.SortFunc(hooks, func(a, b store.Webhook) int {
			if c := strings.Compare(a.Name, b.Name); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		return hooks
	}

	t.Run("every webhook", func(t *testing.T) {
		hooks, err := s.ListWebhooks(t.Context(), org.ID, store.ListWebhooksOptions{})
		if err != nil {
			t.Fatalf("ListWebhooks() error = %v", err)
		}
		want := inOrder(boundC, boundB, enabledA, disabledA)
		if len(hooks) != len(want) {
			t.Fatalf("ListWebhooks() = %q, want %q", webhookIDs(hooks), webhookIDs(want))
		}
		for i := range want {
			checkEqual(t, "ListWebhooks item", canonWebhook(hooks[i]), wantWebhook(want[i]))
		}
	})

	tests := []struct {
		name string
		opts store.ListWebhooksOptions
		want []store.Webhook
	}{
		{"by connection", store.ListWebhooksOptions{ConnectionID: conn.ID}, []store.Webhook{boundB}},
		{"by other connection", store.ListWebhooksOptions{ConnectionID: otherConn.ID}, []store.Webhook{boundC}},
		{"by unknown connection", store.ListWebhooksOptions{ConnectionID: uniqueID("conn")}, nil},
		{"by event type", store.ListWebhooksOptions{EventType: "device.alarm"}, inOrder(boundB, disabledA)},
		{"by second event type", store.ListWebhooksOptions{EventType: "device.ok"}, []store.Webhook{boundB}},
		{"by prefix of event type", store.ListWebhooksOptions{EventType: "device"}, nil},
		{"enabled only", store.ListWebhooksOptions{EnabledOnly: true}, inOrder(boundC, boundB, enabledA)},
		{"enabled by event type", store.ListWebhooksOptions{EventType: "device.alarm", EnabledOnly: true}, []store.Webhook{boundB}},
		{
			"enabled by connection and event type",
			store.ListWebhooksOptions{ConnectionID: conn.ID, EventType: "device.ok", EnabledOnly: true},
			[]store.Webhook{boundB},
		},
		{"by connection and other event type", store.ListWebhooksOptions{ConnectionID: conn.ID, EventType: "device.alarm.extra"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hooks, err := s.ListWebhooks(t.Context(), org.ID, tt.opts)
			if err != nil {
				t.Fatalf("ListWebhooks(%+v) error = %v", tt.opts, err)
			}
			checkEqual(t, "webhook IDs", webhookIDs(hooks), webhookIDs(tt.want))
		})
	}
}

// testDeleteConnectionWithWebhook checks that a bound webhook keeps its
// connection.
func testDeleteConnectionWithWebhook(t *testing.T, s store.Store) {
	org, user, conn := connectionFixture(t, s)
	hook := store.Webhook{
		OrgID: org.ID, ID: uniqueID("wh"), Name: "Ticket on alarm", URL: "/tickets", Method: "POST",
		ConnectionID: conn.ID, Events: []string{"device.alarm"}, Enabled: true, MaxAttempts: 3,
		CreatedBy: user.ID, CreatedAt: at(0), UpdatedAt: at(0),
	}
	if err := s.CreateWebhook(t.Context(), hook); err != nil {
		t.Fatalf("CreateWebhook() error = %v", err)
	}
	if err := s.DeleteConnection(t.Context(), org.ID, conn.LinkName); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("DeleteConnection() with a bound webhook error = %v, want ErrInUse", err)
	}
	if _, err := s.GetConnection(t.Context(), org.ID, conn.LinkName); err != nil {
		t.Errorf("GetConnection() after a refused delete error = %v, want the connection kept", err)
	}
	if err := s.DeleteWebhook(t.Context(), org.ID, hook.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteConnection(t.Context(), org.ID, conn.LinkName); err != nil {
		t.Errorf("DeleteConnection() after the webhook went error = %v, want nil", err)
	}
}
