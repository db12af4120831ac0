package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a local HTTP endpoint that records the requests webhooks send
// and responds to each with the status that respond returns.
type receiver struct {
	server  *httptest.Server
	mu      sync.Mutex
	got     []receivedRequest
	respond func(n int) int
}

type receivedRequest struct {
	path          string
	authorization string
	body          string
	status        int
}

func newReceiver(t *testing.T, respond func(n int) int) *receiver {
	rc := &receiver{respond: respond}
	rc.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		status := rc.respond(len(rc.got) + 1)
		rc.got = append(rc.got, receivedRequest{r.URL.Path, r.Header.Get("Authorization"), string(body), status})
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.server.Close)
	return rc
}

func (rc *receiver) setRespond(respond func(n int) int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = respond
}

func (rc *receiver) requests() []receivedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]receivedRequest(nil), rc.got...)
}

// waitFor polls cond for up to limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", limit, what)
}

// bindDeskWebhook creates a basic-auth service at the receiver, connects
// it and binds a webhook on device.alarm to it.
func bindDeskWebhook(t *testing.T, inst *instance, rc *receiver) {
	t.Helper()
	connectDesk(t, inst, rc)
	mustStatus(t, "create webhook", call(t, "POST", inst.URL+"/v1/webhooks", testAdminToken, map[string]any{
		"name": "Ticket on alarm", "url": "/tickets", "method": "POST",
		"headers":    map[string]string{"Content-Type": "application/json"},
		"body":       `{"subject": "{{.data.device}} alarm"}`,
		"connection": "desk", "events": []string{"device.alarm"},
	}), http.StatusCreated)
}

// connectDesk creates the basic-auth service desk at the receiver and the
// connected connection desk.
func connectDesk(t *testing.T, inst *instance, rc *receiver) {
	t.Helper()
	v1 := inst.URL + "/v1"
	mustStatus(t, "create service", call(t, "POST", v1+"/services", testAdminToken, map[string]any{
		"key": "desk", "name": "Service desk", "auth_type": "basic", "api_base_url": rc.server.URL + "/api",
	}), http.StatusCreated)
	mustStatus(t, "create connection", call(t, "POST", v1+"/connections", testAdminToken,
		map[string]any{"name": "Desk", "service": "desk"}), http.StatusCreated)
	mustStatus(t, "connect", call(t, "POST", v1+"/connections/desk/connect", testAdminToken,
		map[string]any{"credentials": map[string]string{"username": "agent", "password": "pw-0123456789"}}), http.StatusOK)
}

func postAlarm(t *testing.T, inst *instance, device string) {
	t.Helper()
	resp := call(t, "POST", inst.URL+"/v1/events", testAdminToken, map[string]any{
		"type": "device.alarm", "data": map[string]string{"device": device},
	})
	mustStatus(t, "post event", resp, http.StatusAccepted)
	if n, _ := resp.JSON(t)["deliveries"].(float64); n != 1 {
		t.Fatalf("event caused %v deliveries, want 1", resp.JSON(t)["deliveries"])
	}
}

func TestWebhookDeliversThroughConnection(t *testing.T) {
	rc := newReceiver(t, func(int) int { return http.StatusCreated })
	inst := startInstance(t)
	bindDeskWebhook(t, inst, rc)

	resp := call(t, "GET", inst.URL+"/v1/connections/desk", testAdminToken, nil)
	if !strings.Contains(string(resp.Body), `"name":"Ticket on alarm"`) {
		t.Errorf("connection's used_by does not list the webhook: %s", resp.Body)
	}

	postAlarm(t, inst, "pump-7")
	waitFor(t, 10*time.Second, "the delivery", func() bool { return len(rc.requests()) == 1 })
	got := rc.requests()[0]
	if got.path != "/api/tickets" || got.authorization != "Basic YWdlbnQ6cHctMDEyMzQ1Njc4OQ==" {
		t.Errorf("receiver got path %q with Authorization %q, want /api/tickets with agent's basic credentials", got.path, got.authorization)
	}
	if got.body != `{"subject": "pump-7 alarm"}` {
		t.Errorf("receiver got body %q, want the rendered template", got.body)
	}

	// The guard names the webhook when someone tries to delete the connection.
	resp = call(t, "DELETE", inst.URL+"/v1/connections/desk", testAdminToken, nil)
	mustStatus(t, "delete a webhook-bound connection", resp, http.StatusConflict)
	if !strings.Contains(string(resp.Body), "connection_in_use") || !strings.Contains(string(resp.Body), "Ticket on alarm") {
		t.Errorf("refusal = %s, want connection_in_use naming the webhook", resp.Body)
	}
}

func TestWebhookRetriesUntilSuccess(t *testing.T) {
	rc := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	inst := startInstance(t, "--webhook-retry-base", "100ms")
	bindDeskWebhook(t, inst, rc)

	postAlarm(t, inst, "pump-7")
	waitFor(t, 15*time.Second, "three attempts", func() bool { return len(rc.requests()) >= 3 })
	time.Sleep(time.Second) // a fourth attempt would come within this
	var succeeded int
	for _, r := range rc.requests() {
		if r.status == http.StatusOK {
			succeeded++
		}
	}
	if n := len(rc.requests()); n != 3 || succeeded != 1 {
		t.Errorf("receiver got %d requests with %d successes, want 3 with exactly 1", n, succeeded)
	}
}

func TestWebhookDeliveriesSurviveSIGKILL(t *testing.T) {
	rc := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	dataDir := t.TempDir()
	args := []string{"--webhook-retry-base", "200ms", "--webhook-lease", "2s"}
	inst := startInstanceIn(t, dataDir, args...)
	bindDeskWebhook(t, inst, rc)

	devices := []string{"pump-1", "pump-2", "pump-3", "pump-4", "pump-5"}
	for _, d := range devices {
		postAlarm(t, inst, d)
	}
	waitFor(t, 10*time.Second, "failed first attempts", func() bool { return len(rc.requests()) >= len(devices) })
	inst.kill(t)

	rc.setRespond(func(int) int { return http.StatusOK })
	startInstanceIn(t, dataDir, args...)
	delivered := func() map[string]int {
		counts := map[string]int{}
		for _, r := range rc.requests() {
			if r.status != http.StatusOK {
				continue
			}
			var body struct{ Subject string }
			if err := json.Unmarshal([]byte(r.body), &body); err == nil {
				counts[strings.TrimSuffix(body.Subject, " alarm")]++
			}
		}
		return counts
	}
	waitFor(t, 30*time.Second, "every event delivered after the restart", func() bool { return len(delivered()) == len(devices) })
	for _, d := range devices {
		if n := delivered()[d]; n < 1 {
			t.Errorf("event of %s delivered %d times, want at least once", d, n)
		}
	}
}
