package storetest

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// createDeliveries stores one event with a pending delivery to hook for
// each time in due, due at that time, and returns the deliveries.
func createDeliveries(t *testing.T, s store.Store, hook store.Webhook, due ...time.Time) []store.Delivery {
	t.Helper()
	event := newEvent(hook.OrgID, hook.CreatedBy)
	deliveries := make([]store.Delivery, len(due))
	for i, next := range due {
		deliveries[i] = newDelivery(event, hook.ID)
		deliveries[i].NextAttemptAt = next
	}
	createEvent(t, s, event, deliveries...)
	return deliveries
}

// claimOwn claims deliveries and returns those of org, in the order the
// store returned them. In a shared database a claim may also lease other
// tests' due deliveries.
func claimOwn(t *testing.T, s store.Store, orgID, owner string, now, leaseUntil time.Time, limit int) []store.Delivery {
	t.Helper()
	claimed, err := s.ClaimDeliveries(t.Context(), owner, now, leaseUntil, limit)
	if err != nil {
		t.Fatalf("ClaimDeliveries(%q) error = %v", owner, err)
	}
	return ofOrg(claimed, orgID)
}

func ofOrg(deliveries []store.Delivery, orgID string) []store.Delivery {
	own := []store.Delivery{}
	for _, d := range deliveries {
		if d.OrgID == orgID {
			own = append(own, d)
		}
	}
	return own
}

func deliveryIDs(deliveries []store.Delivery) []string {
	ids := []string{}
	for _, d := range deliveries {
		ids = append(ids, d.ID)
	}
	return ids
}

func getDelivery(t *testing.T, s store.Store, orgID, id string) store.Delivery {
	t.Helper()
	d, err := s.GetDelivery(t.Context(), orgID, id)
	if err != nil {
		t.Fatalf("GetDelivery(%q) error = %v", id, err)
	}
	return d
}

func testDeliveries(t *testing.T, s store.Store) {
	t.Run("every field round trips", func(t *testing.T) {
		org, user, hook := webhookFixture(t, s)
		event := newEvent(org.ID, user.ID)
		d := newDelivery(event, hook.ID)
		d.Status = store.DeliveryFailed
		d.Attempts = 3
		d.NextAttemptAt = time.Date(2031, 1, 1, 0, 0, 0, 1, time.UTC)
		d.LeaseOwner = "worker-1"
		d.LeaseUntil = at(30 * time.Second)
		d.LastStatusCode = 503
		d.LastError = "upstream returned 503"
		d.LastDuration = 1500*time.Millisecond + 7
		d.LastResponse = `{"error": "busy"}`
		d.UpdatedAt = time.Date(2031, 6, 1, 12, 0, 0, 999999999, time.FixedZone("UTC-7", -7*60*60))
		d.DeliveredAt = at(time.Hour)
		createEvent(t, s, event, d)

		checkEqual(t, "GetDelivery", getDelivery(t, s, org.ID, d.ID), wantDelivery(d))
	})

	t.Run("finish by owner", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		d := createDeliveries(t, s, hook, at(0))[0]
		if got := claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10); len(got) != 1 {
			t.Fatalf("ClaimDeliveries() returned %d deliveries of the org, want 1", len(got))
		}

		got, err := s.FinishDelivery(t.Context(), org.ID, d.ID, "worker-1", func(current *store.Delivery) error {
			if current.LeaseOwner != "worker-1" {
				t.Errorf("LeaseOwner passed to update = %q, want worker-1", current.LeaseOwner)
			}
			current.Status = store.DeliverySucceeded
			current.Attempts = 1
			current.LastStatusCode = 201
			current.LastError = ""
			current.LastDuration = 42 * time.Millisecond
			current.LastResponse = `{"id": 7}`
			current.UpdatedAt = at(2 * time.Second)
			current.DeliveredAt = at(2 * time.Second)
			// Identity and lease fields, which the store must keep or clear.
			current.OrgID = uniqueID("org")
			current.ID = store.NewSortableID(at(0))
			current.WebhookID = uniqueID("hook")
			current.EventID = store.NewSortableID(at(0))
			current.CreatedAt = at(-time.Hour)
			current.LeaseOwner = "worker-2"
			current.LeaseUntil = at(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("FinishDelivery() error = %v", err)
		}

		want := d
		want.Status = store.DeliverySucceeded
		want.Attempts = 1
		want.LastStatusCode = 201
		want.LastDuration = 42 * time.Millisecond
		want.LastResponse = `{"id": 7}`
		want.UpdatedAt = at(2 * time.Second)
		want.DeliveredAt = at(2 * time.Second)
		checkEqual(t, "FinishDelivery result", got, wantDelivery(want))
		checkEqual(t, "GetDelivery after finish", getDelivery(t, s, org.ID, d.ID), got)

		// A second finish finds no lease.
		_, err = s.FinishDelivery(t.Context(), org.ID, d.ID, "worker-1", func(*store.Delivery) error { return nil })
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("FinishDelivery(finished) error = %v, want ErrLeaseLost", err)
		}
	})

	t.Run("finish with a retry", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		d := createDeliveries(t, s, hook, at(0))[0]
		claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10)

		_, err := s.FinishDelivery(t.Context(), org.ID, d.ID, "worker-1", func(current *store.Delivery) error {
			current.Attempts = 1
			current.LastStatusCode = 500
			current.NextAttemptAt = at(time.Hour)
			return nil
		})
		if err != nil {
			t.Fatalf("FinishDelivery() error = %v", err)
		}

		if got := claimOwn(t, s, org.ID, "worker-2", at(time.Hour-1), at(2*time.Hour), 10); len(got) != 0 {
			t.Errorf("ClaimDeliveries(before the retry is due) = %q, want none", deliveryIDs(got))
		}
		got := claimOwn(t, s, org.ID, "worker-2", at(time.Hour), at(2*time.Hour), 10)
		checkEqual(t, "claimed once the retry is due", deliveryIDs(got), []string{d.ID})
	})

	t.Run("finish by another owner", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		d := createDeliveries(t, s, hook, at(0))[0]
		claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10)
		leased := getDelivery(t, s, org.ID, d.ID)
		called := false

		_, err := s.FinishDelivery(t.Context(), org.ID, d.ID, "worker-2", func(*store.Delivery) error { called = true; return nil })
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("FinishDelivery(wrong owner) error = %v, want ErrLeaseLost", err)
		}
		if called {
			t.Errorf("FinishDelivery(wrong owner) ran the update function")
		}
		checkEqual(t, "delivery after a wrong owner's finish", getDelivery(t, s, org.ID, d.ID), leased)
	})

	t.Run("finish unleased", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		d := createDeliveries(t, s, hook, at(0))[0]

		for _, owner := range []string{"worker-1", ""} {
			_, err := s.FinishDelivery(t.Context(), org.ID, d.ID, owner, func(*store.Delivery) error { return nil })
			if !errors.Is(err, store.ErrLeaseLost) {
				t.Errorf("FinishDelivery(unleased, owner %q) error = %v, want ErrLeaseLost", owner, err)
			}
		}
	})

	t.Run("finish after lease passed to another owner", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		d := createDeliveries(t, s, hook, at(0))[0]
		// The first lease ends before the second claim's now.
		claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(2*time.Second), 10)
		if got := claimOwn(t, s, org.ID, "worker-2", at(time.Minute), at(2*time.Minute), 10); len(got) != 1 {
			t.Fatalf("ClaimDeliveries(after the lease lapsed) returned %d deliveries of the org, want 1", len(got))
		}

		_, err := s.FinishDelivery(t.Context(), org.ID, d.ID, "worker-1", func(*store.Delivery) error { return nil })
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("FinishDelivery(first owner) error = %v, want ErrLeaseLost", err)
		}
		got, err := s.FinishDelivery(t.Context(), org.ID, d.ID, "worker-2", func(current *store.Delivery) error {
			current.Status = store.DeliverySucceeded
			return nil
		})
		if err != nil {
			t.Fatalf("FinishDelivery(second owner) error = %v", err)
		}
		if got.Status != store.DeliverySucceeded {
			t.Errorf("Status after finish = %q, want %q", got.Status, store.DeliverySucceeded)
		}
	})

	t.Run("finish deleted delivery", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		d := createDeliveries(t, s, hook, at(0))[0]
		claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10)
		if err := s.DeleteWebhook(t.Context(), org.ID, hook.ID); err != nil {
			t.Fatalf("DeleteWebhook() error = %v", err)
		}

		_, err := s.FinishDelivery(t.Context(), org.ID, d.ID, "worker-1", func(*store.Delivery) error { return nil })
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("FinishDelivery(deleted) error = %v, want ErrLeaseLost", err)
		}
	})

	t.Run("finish error rolls back", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		d := createDeliveries(t, s, hook, at(0))[0]
		claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10)
		leased := getDelivery(t, s, org.ID, d.ID)
		errRejected := errors.New("update rejected by test")

		_, err := s.FinishDelivery(t.Context(), org.ID, d.ID, "worker-1", func(current *store.Delivery) error {
			current.Status = store.DeliveryFailed
			return errRejected
		})
		if !errors.Is(err, errRejected) {
			t.Errorf("FinishDelivery() error = %v, want the update function's error", err)
		}
		checkEqual(t, "delivery after a failed finish", getDelivery(t, s, org.ID, d.ID), leased)
	})

	t.Run("requeue finished delivery", func(t *testing.T) {
		for _, status := range []string{store.DeliveryFailed, store.DeliverySucceeded} {
			t.Run(status, func(t *testing.T) {
				org, _, hook := webhookFixture(t, s)
				d := createDeliveries(t, s, hook, at(0))[0]
				claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10)
				finished, err := s.FinishDelivery(t.Context(), org.ID, d.ID, "worker-1", func(current *store.Delivery) error {
					current.Status = status
					current.Attempts = 5
					current.LastStatusCode = 400
					return nil
				})
				if err != nil {
					t.Fatalf("FinishDelivery() error = %v", err)
				}

				now := at(time.Hour)
				got, err := s.RequeueDelivery(t.Context(), org.ID, d.ID, now)
				if err != nil {
					t.Fatalf("RequeueDelivery() error = %v", err)
				}
				checkEqual(t, "Status", got.Status, store.DeliveryPending)
				checkEqual(t, "Attempts", got.Attempts, 0)
				checkEqual(t, "NextAttemptAt", got.NextAttemptAt, inUTC(now))
				checkEqual(t, "LeaseOwner", got.LeaseOwner, "")
				checkEqual(t, "LeaseUntil", got.LeaseUntil, time.Time{})
				checkEqual(t, "identity", [5]any{got.OrgID, got.ID, got.WebhookID, got.EventID, got.CreatedAt},
					[5]any{finished.OrgID, finished.ID, finished.WebhookID, finished.EventID, finished.CreatedAt})
				checkEqual(t, "GetDelivery after requeue", getDelivery(t, s, org.ID, d.ID), got)

				if claimed := claimOwn(t, s, org.ID, "worker-2", now.Add(-1), now.Add(time.Minute), 10); len(claimed) != 0 {
					t.Errorf("ClaimDeliveries(before now) = %q, want none", deliveryIDs(claimed))
				}
				claimed := claimOwn(t, s, org.ID, "worker-2", now, now.Add(time.Minute), 10)
				checkEqual(t, "claimed after requeue", deliveryIDs(claimed), []string{d.ID})
			})
		}
	})

	t.Run("requeue pending delivery", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		deliveries := createDeliveries(t, s, hook, at(0), at(time.Hour))
		claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10)
		leased := getDelivery(t, s, org.ID, deliveries[0].ID)
		waiting := getDelivery(t, s, org.ID, deliveries[1].ID)
		if leased.LeaseOwner != "worker-1" || waiting.LeaseOwner != "" {
			t.Fatalf("lease owners = %q and %q, want worker-1 and none", leased.LeaseOwner, waiting.LeaseOwner)
		}

		for _, want := range []store.Delivery{leased, waiting} {
			got, err := s.RequeueDelivery(t.Context(), org.ID, want.ID, at(2*time.Hour))
			if err != nil {
				t.Fatalf("RequeueDelivery(%q) error = %v", want.ID, err)
			}
			checkEqual(t, "RequeueDelivery(pending) result", got, want)
			checkEqual(t, "GetDelivery after requeue", getDelivery(t, s, org.ID, want.ID), want)
		}
		if _, err := s.FinishDelivery(t.Context(), org.ID, leased.ID, "worker-1", func(*store.Delivery) error { return nil }); err != nil {
			t.Errorf("FinishDelivery() after requeue of a leased delivery error = %v, want nil", err)
		}
	})

	t.Run("list newest first with cursor", func(t *testing.T) {
		org, user, hook := webhookFixture(t, s)
		otherHook := createWebhook(t, s, newWebhook(org.ID, user.ID))
		event := newEvent(org.ID, user.ID)
		// IDs made at increasing times, stored in shuffled order.
		var newestFirst []store.Delivery
		for i := range 7 {
			d := newDelivery(event, hook.ID)
			d.ID = store.NewSortableID(at(time.Duration(i) * time.Millisecond))
			newestFirst = append([]store.Delivery{d}, newestFirst...)
		}
		stored := append([]store.Delivery{newDelivery(event, otherHook.ID)}, newestFirst...)
		rand.Shuffle(len(stored), func(i, j int) { stored[i], stored[j] = stored[j], stored[i] })
		createEvent(t, s, event, stored...)

		all, err := s.ListDeliveries(t.Context(), org.ID, hook.ID, "", 0)
		if err != nil {
			t.Fatalf("ListDeliveries() error = %v", err)
		}
		if len(all) != len(newestFirst) {
			t.Fatalf("ListDeliveries() = %q, want %q", deliveryIDs(all), deliveryIDs(newestFirst))
		}
		for i := range all {
			checkEqual(t, "ListDeliveries item", all[i], wantDelivery(newestFirst[i]))
		}

		pages := [][]store.Delivery{newestFirst[0:3], newestFirst[3:6], newestFirst[6:7], nil}
		before := ""
		for i, want := range pages {
			page, err := s.ListDeliveries(t.Context(), org.ID, hook.ID, before, 3)
			if err != nil {
				t.Fatalf("ListDeliveries(page %d) error = %v", i, err)
			}
			checkEqual(t, "page of delivery IDs", deliveryIDs(page), deliveryIDs(want))
			if len(page) > 0 {
				before = page[len(page)-1].ID
			}
		}
	})

	t.Run("unknown delivery", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		id := store.NewSortableID(at(0))

		if _, err := s.GetDelivery(t.Context(), org.ID, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetDelivery(unknown) error = %v, want ErrNotFound", err)
		}
		if _, err := s.RequeueDelivery(t.Context(), org.ID, id, at(0)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RequeueDelivery(unknown) error = %v, want ErrNotFound", err)
		}
		_, err := s.FinishDelivery(t.Context(), org.ID, id, "worker-1", func(*store.Delivery) error { return nil })
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("FinishDelivery(unknown) error = %v, want ErrLeaseLost", err)
		}
		deliveries, err := s.ListDeliveries(t.Context(), org.ID, hook.ID, "", 0)
		if err != nil {
			t.Fatalf("ListDeliveries() error = %v", err)
		}
		if len(deliveries) != 0 {
			t.Errorf("ListDeliveries(webhook without deliveries) returned %d deliveries, want 0", len(deliveries))
		}
	})

	t.Run("other org", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		failed := createDeliveries(t, s, hook, at(0))[0]
		claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10)
		failed, err := s.FinishDelivery(t.Context(), org.ID, failed.ID, "worker-1", func(current *store.Delivery) error {
			current.Status = store.DeliveryFailed
			return nil
		})
		if err != nil {
			t.Fatalf("FinishDelivery() error = %v", err)
		}
		leased := createDeliveries(t, s, hook, at(0))[0]
		claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10)
		leased = getDelivery(t, s, org.ID, leased.ID)
		other := createOrg(t, s)
		called := false

		if _, err := s.GetDelivery(t.Context(), other.ID, failed.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetDelivery() error = %v, want ErrNotFound", err)
		}
		if _, err := s.RequeueDelivery(t.Context(), other.ID, failed.ID, at(time.Hour)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("RequeueDelivery() error = %v, want ErrNotFound", err)
		}
		_, err = s.FinishDelivery(t.Context(), other.ID, leased.ID, "worker-1", func(*store.Delivery) error { called = true; return nil })
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Errorf("FinishDelivery() error = %v, want ErrLeaseLost", err)
		}
		if called {
			t.Errorf("FinishDelivery() ran the update function for a delivery of another org")
		}
		deliveries, err := s.ListDeliveries(t.Context(), other.ID, hook.ID, "", 0)
		if err != nil {
			t.Fatalf("ListDeliveries() error = %v", err)
		}
		if len(deliveries) != 0 {
			t.Errorf("ListDeliveries() returned %d deliveries, want 0", len(deliveries))
		}

		checkEqual(t, "failed delivery", getDelivery(t, s, org.ID, failed.ID), failed)
		checkEqual(t, "leased delivery", getDelivery(t, s, org.ID, leased.ID), leased)
	})
}
