package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// testClaimDeliveries checks the delivery worker's claim. ClaimDeliveries
// spans orgs, so every check looks only at the test's own org, and every
// webhook is deleted with its deliveries when its test ends.
func testClaimDeliveries(t *testing.T, s store.Store) {
	t.Run("due deliveries in order", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		deliveries := createDeliveries(t, s, hook, at(3*time.Second), at(time.Second), at(2*time.Second), at(time.Second), at(time.Hour))
		finished := createDeliveries(t, s, hook, at(0), at(0))
		claimOwn(t, s, org.ID, "setup", at(0), at(time.Minute), 10)
		for i, status := range []string{store.DeliverySucceeded, store.DeliveryFailed} {
			_, err := s.FinishDelivery(t.Context(), org.ID, finished[i].ID, "setup", func(current *store.Delivery) error {
				current.Status = status
				return nil
			})
			if err != nil {
				t.Fatalf("FinishDelivery() error = %v", err)
			}
		}

		// Due deliveries come by NextAttemptAt, then by ID for the two due
		// at the same time. The one due in an hour is not due yet.
		due := slices.Clone(deliveries[:4])
		slices.SortFunc(due, func(a, b store.Delivery) int {
			if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		// The leases outlast the last claim, so it takes only the delivery
		// that became due.
		now, leaseUntil := at(10*time.Second), at(3*time.Hour)

		first := claimOwn(t, s, org.ID, "worker-1", now, leaseUntil, 3)
		if len(first) != 3 {
			t.Fatalf("ClaimDeliveries(limit 3) = %q, want %q", deliveryIDs(first), deliveryIDs(due[:3]))
		}
		for i, got := range first {
			want := due[i]
			want.LeaseOwner = "worker-1"
			want.LeaseUntil = leaseUntil
			checkEqual(t, "claimed delivery", got, wantDelivery(want))
			checkEqual(t, "GetDelivery after claim", getDelivery(t, s, org.ID, got.ID), got)
		}

		second := claimOwn(t, s, org.ID, "worker-2", now, leaseUntil, 10)
		checkEqual(t, "second claim", deliveryIDs(second), deliveryIDs(due[3:]))
		if third := claimOwn(t, s, org.ID, "worker-3", now, leaseUntil, 10); len(third) != 0 {
			t.Errorf("ClaimDeliveries() with every due delivery leased = %q, want none", deliveryIDs(third))
		}
		later := claimOwn(t, s, org.ID, "worker-3", at(time.Hour), at(2*time.Hour), 10)
		checkEqual(t, "claim once the last delivery is due", deliveryIDs(later), []string{deliveries[4].ID})
	})

	t.Run("orgs take turns", func(t *testing.T) {
		busy, _, busyHook := webhookFixture(t, s)
		quiet, _, quietHook := webhookFixture(t, s)
		backlog := createDeliveries(t, s, busyHook, at(time.Second), at(2*time.Second), at(3*time.Second), at(4*time.Second))
		single := createDeliveries(t, s, quietHook, at(9*time.Second))

		claimed, err := s.ClaimDeliveries(t.Context(), "fair", at(10*time.Second), at(time.Minute), 2)
		if err != nil {
			t.Fatalf("ClaimDeliveries() error = %v", err)
		}
		checkEqual(t, "busy org's claimed deliveries", deliveryIDs(ofOrg(claimed, busy.ID)), []string{backlog[0].ID})
		checkEqual(t, "quiet org's claimed deliveries", deliveryIDs(ofOrg(claimed, quiet.ID)), []string{single[0].ID})
	})

	t.Run("limit zero claims nothing", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		d := createDeliveries(t, s, hook, at(0))[0]

		if got := claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 0); len(got) != 0 {
			t.Errorf("ClaimDeliveries(limit 0) = %q, want none", deliveryIDs(got))
		}
		checkEqual(t, "lease owner", getDelivery(t, s, org.ID, d.ID).LeaseOwner, "")
	})

	t.Run("lapsed lease", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		d := createDeliveries(t, s, hook, at(0))[0]
		// A lease that ends before now is lapsed as soon as it is taken.
		if got := claimOwn(t, s, org.ID, "worker-1", at(time.Minute), at(time.Second), 10); len(got) != 1 {
			t.Fatalf("ClaimDeliveries() returned %d deliveries of the org, want 1", len(got))
		}

		got := claimOwn(t, s, org.ID, "worker-2", at(time.Minute), at(2*time.Minute), 10)
		checkEqual(t, "claimed after the lease lapsed", deliveryIDs(got), []string{d.ID})
		stored := getDelivery(t, s, org.ID, d.ID)
		checkEqual(t, "lease owner", stored.LeaseOwner, "worker-2")
		checkEqual(t, "lease end", stored.LeaseUntil, inUTC(at(2*time.Minute)))
	})

	t.Run("held lease", func(t *testing.T) {
		org, _, hook := webhookFixture(t, s)
		createDeliveries(t, s, hook, at(0))
		claimOwn(t, s, org.ID, "worker-1", at(time.Second), at(time.Minute), 10)

		if got := claimOwn(t, s, org.ID, "worker-2", at(time.Minute-1), at(2*time.Minute), 10); len(got) != 0 {
			t.Errorf("ClaimDeliveries() before the lease ends = %q, want none", deliveryIDs(got))
		}
	})

	t.Run("every org", func(t *testing.T) {
		first, _, firstHook := webhookFixture(t, s)
		second, _, secondHook := webhookFixture(t, s)
		firstDelivery := createDeliveries(t, s, firstHook, at(0))[0]
		secondDelivery := createDeliveries(t, s, secondHook, at(0))[0]

		claimed, err := s.ClaimDeliveries(t.Context(), "worker-1", at(time.Second), at(time.Minute), 100)
		if err != nil {
			t.Fatalf("ClaimDeliveries() error = %v", err)
		}
		checkEqual(t, "first org's claim", deliveryIDs(ofOrg(claimed, first.ID)), []string{firstDelivery.ID})
		checkEqual(t, "second org's claim", deliveryIDs(ofOrg(claimed, second.ID)), []string{secondDelivery.ID})
	})

	t.Run("concurrent claims", func(t *testing.T) {
		const (
			deliveryCount = 40
			workers       = 8
			limit         = 5
		)
		org, _, hook := webhookFixture(t, s)
		due := make([]time.Time, deliveryCount)
		for i := range due {
			due[i] = at(time.Duration(i) * time.Millisecond)
		}
		deliveries := createDeliveries(t, s, hook, due...)

		var mu sync.Mutex
		claimedBy := map[string][]string{}
		var wg sync.WaitGroup
		errs := make(chan error, deliveryCount+workers)
		for w := range workers {
			owner := fmt.Sprintf("worker-%d", w)
			wg.Go(func() {
				// A store that leased a delivery twice could hand out
				// deliveries forever, so the rounds are bounded.
				for round := 0; ; round++ {
					if round > deliveryCount {
						errs <- fmt.Errorf("ClaimDeliveries(%q) still returned deliveries after %d rounds", owner, round)
						return
					}
					claimed, err := s.ClaimDeliveries(t.Context(), owner, at(time.Minute), at(time.Hour), limit)
					if err != nil {
						errs <- fmt.Errorf("ClaimDeliveries(%q) error = %w", owner, err)
						return
					}
					if len(claimed) == 0 {
						return
					}
					if len(claimed) > limit {
						errs <- fmt.Errorf("ClaimDeliveries(%q) returned %d deliveries, want at most %d", owner, len(claimed), limit)
						return
					}
					mu.Lock()
					for _, d := range ofOrg(claimed, org.ID) {
						claimedBy[d.ID] = append(claimedBy[d.ID], owner)
						if d.LeaseOwner != owner {
							errs <- fmt.Errorf("delivery claimed by %q has LeaseOwner %q", owner, d.LeaseOwner)
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}

		for _, d := range deliveries {
			owners := claimedBy[d.ID]
			if len(owners) != 1 {
				t.Errorf("delivery %q claimed by %q, want exactly one owner", d.ID, owners)
				continue
			}
			if got := getDelivery(t, s, org.ID, d.ID).LeaseOwner; got != owners[0] {
				t.Errorf("stored LeaseOwner of delivery %q = %q, want %q", d.ID, got, owners[0])
			}
		}
		if len(claimedBy) != deliveryCount {
			t.Errorf("%d deliveries claimed, want %d", len(claimedBy), deliveryCount)
		}
	})
}
