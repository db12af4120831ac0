package webhooks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// TestPrunerDeletesEventsPastRetention checks that a pass deletes a
// delivered event once it is older than the retention, and keeps it before.
func TestPrunerDeletesEventsPastRetention(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	stop := run(t, f.worker())
	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 1)
	if err := stop(); err != nil {
		t.Fatalf("stopping the worker: %v", err)
	}
	pruner := &webhooks.Pruner{Store: f.store, Retention: 48 * time.Hour, Logger: f.logger, Now: f.clock.Now}

	f.clock.Advance(47 * time.Hour)
	if n := pruner.RunOnce(f.ctx); n != 0 {
		t.Errorf("pass within the retention deleted %d events, want 0", n)
	}
	f.clock.Advance(2 * time.Hour)
	if n := pruner.RunOnce(f.ctx); n != 1 {
		t.Errorf("pass after the retention deleted %d events, want 1", n)
	}
	if _, err := f.store.GetDelivery(f.ctx, d.OrgID, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDelivery after pruning: error = %v, want ErrNotFound", err)
	}
}
