package webhooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// TestRotatedSecretSignsDuringGrace checks that after a rotation requests
// carry signatures of the new and the previous secret until the grace
// ends, and of the new one only afterwards.
func TestRotatedSecretSignsDuringGrace(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	hook, old := f.createWebhook(t, unboundInput(rc.server.URL))
	_, fresh, err := f.service.RotateSecret(f.ctx, f.admin, hook.ID)
	if err != nil {
		t.Fatalf("RotateSecret: %v", err)
	}
	run(t, f.worker())

	first := f.publish(t, hook.ID, "device.alarm", nil)
	f.waitForStatus(t, first.ID, store.DeliverySucceeded, 1)
	f.clock.Advance(webhooks.SecretGrace + time.Second)
	second := f.publish(t, hook.ID, "device.alarm", nil)
	f.waitForStatus(t, second.ID, store.DeliverySucceeded, 1)

	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(reqs))
	}
	if n := len(strings.Fields(reqs[0].Header.Get("webhook-signature"))); n != 2 {
		t.Errorf("request during the grace has %d signatures, want 2", n)
	}
	verifySignature(t, fresh, reqs[0])
	verifySignature(t, old, reqs[0])
	if n := len(strings.Fields(reqs[1].Header.Get("webhook-signature"))); n != 1 {
		t.Errorf("request after the grace has %d signatures, want 1", n)
	}
	verifySignature(t, fresh, reqs[1])
}

// TestGoneReceiverDisablesWebhook checks that a 410 Gone response fails the
// delivery at once and disables the webhook with a reason, and that
// enabling it again clears the reason.
func TestGoneReceiverDisablesWebhook(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	rc.statuses(http.StatusGone)
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	run(t, f.worker())

	f.waitForStatus(t, d.ID, store.DeliveryFailed, 1)
	var got webhooks.Webhook
	waitFor(t, "the webhook to be disabled", func() bool {
		var err error
		got, err = f.service.Get(f.ctx, f.admin, hook.ID)
		return err == nil && !got.Enabled
	})
	if !strings.Contains(got.DisabledReason, "410") {
		t.Errorf("disabled reason = %q, want it to name the 410 answer", got.DisabledReason)
	}

	enabled, _, err := f.service.Update(f.ctx, f.admin, hook.ID, webhooks.Input{Enabled: ptr(true)})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if !enabled.Enabled || enabled.DisabledReason != "" {
		t.Errorf("after enabling: enabled %v, reason %q; want true and no reason", enabled.Enabled, enabled.DisabledReason)
	}
}
