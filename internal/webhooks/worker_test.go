package webhooks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// verifySignature checks a request's Standard Webhooks headers with the
// signing secret, computed here without the package's code: the HMAC-SHA256
// of "id.timestamp.body" under the base64-decoded secret after "whsec_",
// base64 encoded, in a space-separated list of "v1,<signature>" entries.
func verifySignature(t *testing.T, secret secrets.Secret, req received) {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret.Reveal(), "whsec_"))
	if err != nil {
		t.Fatalf("decoding secret: %v", err)
	}
	id, timestamp := req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "." + string(req.Body)))
	want := mac.Sum(nil)

	for _, entry := range strings.Fields(req.Header.Get("webhook-signature")) {
		version, encoded, _ := strings.Cut(entry, ",")
		got, err := base64.StdEncoding.DecodeString(encoded)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return
		}
	}
	t.Errorf("webhook-signature %q does not verify for id %q, timestamp %q and the body",
		req.Header.Get("webhook-signature"), id, timestamp)
}

func TestWorkerSignsUnboundRequest(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	in := unboundInput(rc.server.URL + "/hooks/{{.data.device}}")
	in.Body = ptr(`{"subject": "{{.data.device}} alarm"}`)
	hook, secret := f.createWebhook(t, in)
	d := f.publish(t, hook.ID, "device.alarm", map[string]any{"device": "pump-7"})
	run(t, f.worker())

	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 1)

	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	req := reqs[0]
	if req.Method != http.MethodPost || req.Path != "/hooks/pump-7" {
		t.Errorf("request = %s %s, want POST /hooks/pump-7", req.Method, req.Path)
	}
	if want := `{"subject": "pump-7 alarm"}`; string(req.Body) != want {
		t.Errorf("body = %s, want %s", req.Body, want)
	}
	if got := req.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := req.Header.Get("webhook-id"); got != d.ID {
		t.Errorf("webhook-id = %q, want the delivery ID %q", got, d.ID)
	}
	if got, want := req.Header.Get("webhook-timestamp"), strconv.FormatInt(testStart.Unix(), 10); got != want {
		t.Errorf("webhook-timestamp = %q, want %q", got, want)
	}
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
	verifySignature(t, secret, req)
}

func TestWorkerSendsEventAsDefaultBody(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	hook, secret := f.createWebhook(t, unboundInput(rc.server.URL))
	d := f.publish(t, hook.ID, "device.alarm", map[string]any{"device": "pump-7", "level": 3})
	run(t, f.worker())

	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 1)

	req := rc.requests()[0]
	var body struct {
		ID        string         `json:"id"`
		Type      string         `json:"type"`
		CreatedAt time.Time      `json:"created_at"`
		Data      map[string]any `json:"data"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatalf("decoding body %s: %v", req.Body, err)
	}
	if body.ID != d.EventID || body.Type != "device.alarm" || !body.CreatedAt.Equal(testStart) {
		t.Errorf("event = %s %s at %s, want %s device.alarm at %s", body.ID, body.Type, body.CreatedAt, d.EventID, testStart)
	}
	if body.Data["device"] != "pump-7" || body.Data["level"] != 3.0 {
		t.Errorf("data = %v, want device pump-7 and level 3", body.Data)
	}
	verifySignature(t, secret, req)
}

func TestWorkerRetriesServerErrors(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	rc.statuses(http.StatusInternalServerError, http.StatusBadGateway, http.StatusOK)
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	run(t, f.worker())

	got := f.waitForStatus(t, d.ID, store.DeliveryPending, 1)
	if want := testStart.Add(testBackoffBase); !got.NextAttemptAt.Equal(want) {
		t.Errorf("after attempt 1, next attempt at %s, want %s", got.NextAttemptAt, want)
	}
	if got.LastStatusCode != http.StatusInternalServerError || !strings.Contains(got.LastError, "500") {
		t.Errorf("after attempt 1, last status %d and error %q, want 500", got.LastStatusCode, got.LastError)
	}
	f.clock.Advance(testBackoffBase)
	got = f.waitForStatus(t, d.ID, store.DeliveryPending, 2)
	if want := f.clock.Now().Add(2 * testBackoffBase); !got.NextAttemptAt.Equal(want) {
		t.Errorf("after attempt 2, next attempt at %s, want %s", got.NextAttemptAt, want)
	}
	f.clock.Advance(2 * testBackoffBase)
	got = f.waitForStatus(t, d.ID, store.DeliverySucceeded, 3)
	settle()

	if n := rc.count(); n != 3 {
		t.Errorf("receiver got %d requests, want 3", n)
	}
	if got.LastStatusCode != http.StatusOK || got.LastError != "" || got.LastResponse != "OK" {
		t.Errorf("last status %d, error %q, response %q, want 200, none, OK", got.LastStatusCode, got.LastError, got.LastResponse)
	}
	if !got.DeliveredAt.Equal(f.clock.Now()) {
		t.Errorf("delivered at %s, want %s", got.DeliveredAt, f.clock.Now())
	}
	for i, req := range rc.requests() {
		if id := req.Header.Get("webhook-id"); id != d.ID {
			t.Errorf("request %d has webhook-id %q, want %q on every retry", i+1, id, d.ID)
		}
	}
}

func TestWorkerHonorsRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter func(now time.Time) string
	}{
		{"429 with seconds", http.StatusTooManyRequests, func(time.Time) string { return "120" }},
		{"503 with date", http.StatusServiceUnavailable, func(now time.Time) string {
			return now.Add(120 * time.Second).Format(http.TimeFormat)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			rc := newReceiver(t)
			rc.setRespond(func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 1 {
					w.Header().Set("Retry-After", tt.retryAfter(f.clock.Now()))
					w.WriteHeader(tt.status)
					return
				}
				w.WriteHeader(http.StatusOK)
			})
			hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
			d := f.publish(t, hook.ID, "device.alarm", nil)
			run(t, f.worker())

			got := f.waitForStatus(t, d.ID, store.DeliveryPending, 1)
			if want := testStart.Add(120 * time.Second); !got.NextAttemptAt.Equal(want) {
				t.Errorf("next attempt at %s, want %s", got.NextAttemptAt, want)
			}
			f.clock.Advance(119 * time.Second)
			settle()
			if n := rc.count(); n != 1 {
				t.Fatalf("receiver got %d requests before Retry-After passed, want 1", n)
			}
			f.clock.Advance(time.Second)
			f.waitForStatus(t, d.ID, store.DeliverySucceeded, 2)
		})
	}
}

func TestWorkerFailsClientErrorAtOnce(t *testing.T) {
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusNotFound, http.StatusUnprocessableEntity} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			f := newFixture(t)
			rc := newReceiver(t)
			rc.statuses(status)
			hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
			d := f.publish(t, hook.ID, "device.alarm", nil)
			run(t, f.worker())

			got := f.waitForStatus(t, d.ID, store.DeliveryFailed, 1)
			f.clock.Advance(time.Hour)
			settle()

			if n := rc.count(); n != 1 {
				t.Errorf("receiver got %d requests, want 1", n)
			}
			if got.LastStatusCode != status || !strings.Contains(got.LastError, strconv.Itoa(status)) {
				t.Errorf("last status %d and error %q, want %d", got.LastStatusCode, got.LastError, status)
			}
		})
	}
}

func TestWorkerStopsAtMaxAttempts(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	rc.statuses(500, 500, 500, 500, 500)
	in := unboundInput(rc.server.URL)
	in.MaxAttempts = ptr(3)
	hook, _ := f.createWebhook(t, in)
	d := f.publish(t, hook.ID, "device.alarm", nil)
	run(t, f.worker())

	f.waitForStatus(t, d.ID, store.DeliveryPending, 1)
	f.clock.Advance(testBackoffMax)
	f.waitForStatus(t, d.ID, store.DeliveryPending, 2)
	f.clock.Advance(testBackoffMax)
	f.waitForStatus(t, d.ID, store.DeliveryFailed, 3)
	f.clock.Advance(time.Hour)
	settle()

	if n := rc.count(); n != 3 {
		t.Errorf("receiver got %d requests, want 3", n)
	}
}

func TestTwoWorkersSendEachDeliveryOnce(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	rc.setRespond(func(_ int, w http.ResponseWriter, _ *http.Request) {
		time.Sleep(2 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	})
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
	const events = 40
	for i := range events {
		f.publish(t, hook.ID, "device.alarm", map[string]any{"n": i})
	}
	run(t, f.worker())
	run(t, f.worker())

	waitFor(t, "every delivery to succeed", func() bool {
		for _, d := range f.deliveries(t, hook.ID) {
			if d.Status != store.DeliverySucceeded {
				return false
			}
		}
		return true
	})
	settle()

	sent := map[string]int{}
	for _, req := range rc.requests() {
		sent[req.Header.Get("webhook-id")]++
	}
	if len(sent) != events {
		t.Errorf("receiver got %d distinct deliveries, want %d", len(sent), events)
	}
	for id, n := range sent {
		if n != 1 {
			t.Errorf("delivery %s was sent %d times, want once", id, n)
		}
	}
}

func TestLapsedLeaseIsSentAgain(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	// A worker that died after claiming the delivery leaves its lease.
	now := f.clock.Now()
	claimed, err := f.store.ClaimDeliveries(f.ctx, "dead-worker", now, now.Add(webhooks.DefaultLeaseDuration), 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claiming for the dead worker = %d deliveries, %v; want 1", len(claimed), err)
	}
	run(t, f.worker())

	settle()
	if n := rc.count(); n != 0 {
		t.Fatalf("receiver got %d requests while the lease held, want 0", n)
	}
	f.clock.Advance(webhooks.DefaultLeaseDuration)
	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 1)

	if n := rc.count(); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
}

// connectedService creates the api_key service "desk" whose API base URL
// is the receiver's /api, and the developer's connection to it, connected
// with key when key is not empty.
func connectedService(t *testing.T, f *fixture, rc *receiver, key string) store.Connection {
	t.Helper()
	_, err := f.manager.CreateService(f.ctx, f.admin, catalog.Service{
		Key: "desk", Name: "Desk", AuthType: catalog.AuthAPIKey,
		APIKey:     &catalog.APIKeySettings{Params: []catalog.APIKeyParam{{Name: "X-API-Key", In: "header"}}},
		APIBaseURL: rc.server.URL + "/api",
	})
	if err != nil {
		t.Fatalf("creating service: %v", err)
	}
	conn, err := f.manager.CreateConnection(f.ctx, f.developer, connections.ConnectionInput{Name: ptr("Desk"), Service: "desk"})
	if err != nil {
		t.Fatalf("creating connection: %v", err)
	}
	if key != "" {
		connect(t, f, conn.LinkName, key)
	}
	return conn
}

func connect(t *testing.T, f *fixture, link, key string) {
	t.Helper()
	_, err := f.manager.Connect(f.ctx, f.developer, link, "", map[string]secrets.Secret{"X-API-Key": secrets.Secret(key)})
	if err != nil {
		t.Fatalf("connecting %s: %v", link, err)
	}
}

func TestBoundWebhookSendsCredential(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	conn := connectedService(t, f, rc, "key-123")
	in := webhooks.Input{
		Name: ptr("Ticket"), URL: ptr("/devices/{{.data.device}}?source=plugboard"), Connection: &conn.LinkName,
		Events: &[]string{"device.alarm"}, Body: ptr(`{"subject": "{{.data.device}} alarm"}`),
	}
	hook, secret := f.createWebhook(t, in)
	d := f.publish(t, hook.ID, "device.alarm", map[string]any{"device": "pump-7"})
	run(t, f.worker())

	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 1)

	if secret != "" || hook.HasSecret() {
		t.Errorf("bound webhook has a signing secret (%t)", hook.HasSecret())
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	req := reqs[0]
	if req.Path != "/api/devices/pump-7" || req.Query != "source=plugboard" {
		t.Errorf("request = %s?%s, want /api/devices/pump-7?source=plugboard", req.Path, req.Query)
	}
	if got := req.Header.Get("X-API-Key"); got != "key-123" {
		t.Errorf("X-API-Key = %q, want key-123", got)
	}
	if got := req.Header.Get("webhook-signature"); got != "" {
		t.Errorf("webhook-signature = %q, want none on a bound webhook", got)
	}
}

func TestBoundWebhookWaitsForConnection(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	conn := connectedService(t, f, rc, "")
	in := webhooks.Input{Name: ptr("Ticket"), URL: ptr("/devices"), Connection: &conn.LinkName, Events: &[]string{"device.alarm"}}
	hook, _ := f.createWebhook(t, in)
	d := f.publish(t, hook.ID, "device.alarm", nil)
	run(t, f.worker())

	got := f.waitForStatus(t, d.ID, store.DeliveryPending, 1)
	if !strings.Contains(got.LastError, "not connected") {
		t.Errorf("last error = %q, want it to say the connection is not connected", got.LastError)
	}
	if n := rc.count(); n != 0 {
		t.Errorf("receiver got %d requests before the connection was connected, want 0", n)
	}
	connect(t, f, conn.LinkName, "key-123")
	f.clock.Advance(testBackoffBase)
	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 2)

	if got := rc.requests()[0].Header.Get("X-API-Key"); got != "key-123" {
		t.Errorf("X-API-Key = %q, want key-123", got)
	}
}

func TestRedeliverSendsAgain(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	run(t, f.worker())
	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 1)

	requeued, err := f.service.Redeliver(f.ctx, f.developer, d.ID)
	if err != nil {
		t.Fatalf("Redeliver: %v", err)
	}
	if requeued.Status != store.DeliveryPending || requeued.Attempts != 0 || requeued.EventType != "device.alarm" {
		t.Errorf("requeued = %s with %d attempts of %q, want pending with 0 of device.alarm",
			requeued.Status, requeued.Attempts, requeued.EventType)
	}
	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 1)
	waitFor(t, "the second request", func() bool { return rc.count() == 2 })

	for i, req := range rc.requests() {
		if id := req.Header.Get("webhook-id"); id != d.ID {
			t.Errorf("request %d has webhook-id %q, want %q", i+1, id, d.ID)
		}
	}
}

func TestWorkerFinishesSendsWhenStopped(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseSend := func() { releaseOnce.Do(func() { close(release) }) }
	// A failed check must not leave the handler blocked, or closing the
	// receiver would wait for it.
	t.Cleanup(releaseSend)
	rc.setRespond(func(_ int, w http.ResponseWriter, _ *http.Request) {
		<-release
		w.WriteHeader(http.StatusOK)
	})
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	stop := run(t, f.worker())
	waitFor(t, "the request", func() bool { return rc.count() == 1 })

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	select {
	case err := <-stopped:
		t.Fatalf("Run returned %v while a send was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	releaseSend()

	if err := <-stopped; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if got := f.delivery(t, d.ID); got.Status != store.DeliverySucceeded || got.Attempts != 1 {
		t.Errorf("delivery = %s after %d attempts, want succeeded after 1", got.Status, got.Attempts)
	}
}

func TestDisabledWebhookDeliveryFails(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	hook, _ := f.createWebhook(t, unboundInput(rc.server.URL))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	if _, _, err := f.service.Update(f.ctx, f.developer, hook.ID, webhooks.Input{Enabled: ptr(false)}); err != nil {
		t.Fatalf("disabling webhook: %v", err)
	}
	run(t, f.worker())

	got := f.waitForStatus(t, d.ID, store.DeliveryFailed, 1)

	if !strings.Contains(got.LastError, "disabled") {
		t.Errorf("last error = %q, want it to say the webhook is disabled", got.LastError)
	}
	if n := rc.count(); n != 0 {
		t.Errorf("receiver got %d requests, want 0", n)
	}
}

func TestTestActionSendsToOneWebhook(t *testing.T) {
	f := newFixture(t)
	first, second := newReceiver(t), newReceiver(t)
	hook, _ := f.createWebhook(t, unboundInput(first.server.URL))
	f.createWebhook(t, unboundInput(second.server.URL))
	if _, _, err := f.service.Update(f.ctx, f.developer, hook.ID, webhooks.Input{Enabled: ptr(false)}); err != nil {
		t.Fatalf("disabling webhook: %v", err)
	}

	d, err := f.service.Test(f.ctx, f.developer, hook.ID)
	if err != nil {
		t.Fatalf("Test: %v", err)
	}
	run(t, f.worker())
	f.waitForStatus(t, d.ID, store.DeliverySucceeded, 1)
	settle()

	if d.EventType != webhooks.EventTest || d.WebhookID != hook.ID {
		t.Errorf("test delivery = %s to %s, want %s to %s", d.EventType, d.WebhookID, webhooks.EventTest, hook.ID)
	}
	if n := second.count(); n != 0 {
		t.Errorf("other webhook got %d requests, want 0", n)
	}
	reqs := first.requests()
	if len(reqs) != 1 {
		t.Fatalf("tested webhook got %d requests, want 1", len(reqs))
	}
	var body struct {
		Type string `json:"type"`
		Data struct {
			Webhook struct{ ID string } `json:"webhook"`
		} `json:"data"`
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatalf("decoding body %s: %v", reqs[0].Body, err)
	}
	if body.Type != webhooks.EventTest || body.Data.Webhook.ID != hook.ID {
		t.Errorf("body = %s, want a %s event naming webhook %s", reqs[0].Body, webhooks.EventTest, hook.ID)
	}
}

func TestWorkerFailsOnRenderError(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	in := unboundInput(rc.server.URL)
	in.Body = ptr("{{.data.room}}")
	hook, _ := f.createWebhook(t, in)
	d := f.publish(t, hook.ID, "device.alarm", map[string]any{"device": "pump-7"})
	run(t, f.worker())

	got := f.waitForStatus(t, d.ID, store.DeliveryFailed, 1)

	if !strings.Contains(got.LastError, `"room"`) {
		t.Errorf("last error = %q, want it to name the missing key", got.LastError)
	}
	if n := rc.count(); n != 0 {
		t.Errorf("receiver got %d requests, want 0", n)
	}
}

func TestWorkerRetriesNetworkError(t *testing.T) {
	f := newFixture(t)
	rc := newReceiver(t)
	url := rc.server.URL
	rc.server.Close()
	hook, _ := f.createWebhook(t, unboundInput(url))
	d := f.publish(t, hook.ID, "device.alarm", nil)
	run(t, f.worker())

	got := f.waitForStatus(t, d.ID, store.DeliveryPending, 1)

	if got.LastStatusCode != 0 || got.LastError == "" {
		t.Errorf("last status %d and error %q, want no status and a network error", got.LastStatusCode, got.LastError)
	}
	if want := testStart.Add(testBackoffBase); !got.NextAttemptAt.Equal(want) {
		t.Errorf("next attempt at %s, want %s", got.NextAttemptAt, want)
	}
}
