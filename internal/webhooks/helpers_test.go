package webhooks_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/plugboard/plugboard/internal/testkit"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/sqlite"
	"github.com/plugboard/plugboard/internal/webhooks"
)

const testOrgID = "org-1"

// testStart is the fixture clock's first reading.
var testStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Fixed retry timing of the fixture's workers: the wait ceiling starts at
// testBackoffBase, and the jitter always picks the ceiling.
const (
	testBackoffBase = 10 * time.Second
	testBackoffMax  = 80 * time.Second
	testPoll        = 5 * time.Millisecond
)

// fixture is a webhooks Service on a fresh SQLite database with one org and
// three members, a connections Manager on the same store, and a sender
// that may reach 127.0.0.1.
type fixture struct {
	ctx      context.Context
	store    *sqlite.Store
	keyring  *secrets.Keyring
	clock    *testkit.Clock
	logger   *slog.Logger
	logs     *testkit.LockedBuffer
	manager  *connections.Manager
	service  *webhooks.Service
	sender   *egress.Sender
	recorder *auditRecorder

	admin     connections.Actor
	developer connections.Actor
	viewer    connections.Actor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	logs := &testkit.LockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"), logger)
	if err != nil {
		t.Fatalf("opening store: %v", err)
	}
	t.Cleanup(func() { db.Close() })

	keyring, err := secrets.NewKeyring("test", map[string][]byte{"test": bytes.Repeat([]byte{7}, secrets.KeySize)})
	if err != nil {
		t.Fatalf("building keyring: %v", err)
	}

	sender := egress.NewSender(egress.TransportOptions{AllowPrivate: true}, logger)
	sender.InvokeTimeout = 10 * time.Second
	t.Cleanup(sender.Client.CloseIdleConnections)

	f := &fixture{
		ctx: ctx, store: db, keyring: keyring, clock: testkit.NewClock(testStart), logger: logger, logs: logs,
		sender: sender, recorder: &auditRecorder{},
	}
	f.manager = connections.New(connections.Options{
		Store: db, Keyring: keyring, PublicURL: "http://plugboard.test", HTTPClient: sender.Client,
		Logger: logger, Now: f.clock.Now,
	})
	f.service = webhooks.New(webhooks.Options{
		Store: db, Keyring: keyring, Audit: f.recorder, Logger: logger, Now: f.clock.Now,
	})

	if err := db.CreateOrg(ctx, store.Org{ID: testOrgID, Name: "default", CreatedAt: testStart}); err != nil {
		t.Fatalf("creating org: %v", err)
	}
	f.admin = f.createUser(t, "u-admin", "admin", store.RoleAdmin)
	f.developer = f.createUser(t, "u-dev", "dev", store.RoleDeveloper)
	f.viewer = f.createUser(t, "u-viewer", "viewer", store.RoleViewer)
	return f
}

func (f *fixture) createUser(t *testing.T, id, username, role string) connections.Actor {
	t.Helper()
	err := f.store.CreateUser(f.ctx, store.User{OrgID: testOrgID, ID: id, Username: username, Role: role, CreatedAt: testStart})
	if err != nil {
		t.Fatalf("creating user %s: %v", username, err)
	}
	return connections.Actor{OrgID: testOrgID, UserID: id, Username: username, Role: role}
}

// worker returns a worker on the fixture's store with fast polling and
// fixed retry waits.
func (f *fixture) worker() *webhooks.Worker {
	return &webhooks.Worker{
		Store: f.store, Keyring: f.keyring, Sender: f.sender, Calls: f.manager, Logger: f.logger, Now: f.clock.Now,
		PollInterval: testPoll, Concurrency: 4,
		BackoffBase: testBackoffBase, BackoffMax: testBackoffMax,
		Jitter: func(ceiling time.Duration) time.Duration { return ceiling },
	}
}

// run starts w and stops it when the test ends. The returned function
// stops it earlier and returns Run's result.
func run(t *testing.T, w *webhooks.Worker) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case result = <-done:
			case <-time.After(10 * time.Second):
				result = errors.New("worker did not stop within 10s")
			}
		})
		return result
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("stopping worker: %v", err)
		}
	})
	return stop
}

// received is one request that a receiver got.
type received struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   []byte
}

// receiver is a webhook receiver on 127.0.0.1 that records every request
// and writes the response with respond.
type receiver struct {
	t       *testing.T
	server  *httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int, w http.ResponseWriter, r *http.Request)
}

// newReceiver starts a receiver that returns 204 until setRespond changes
// its response.
func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{t: t, respond: func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }}
	rc.server = httptest.NewServer(http.HandlerFunc(rc.serveHTTP))
	t.Cleanup(rc.server.Close)
	return rc
}

func (rc *receiver) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("receiver reading body: %v", err)
	}
	rc.mu.Lock()
	rc.got = append(rc.got, received{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	n, respond := len(rc.got), rc.respond
	rc.mu.Unlock()

	respond(n, w, r)
}

// setRespond replaces the receiver's response. The function gets the
// request's number n, counted from 1.
func (rc *receiver) setRespond(respond func(n int, w http.ResponseWriter, r *http.Request)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = respond
}

// statuses makes the receiver return statuses[n-1] to the nth request,
// and 200 after the list ends.
func (rc *receiver) statuses(statuses ...int) {
	rc.setRespond(func(n int, w http.ResponseWriter, _ *http.Request) {
		status := http.StatusOK
		if n <= len(statuses) {
			status = statuses[n-1]
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(status)
		io.WriteString(w, http.StatusText(status))
	})
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// waitFor polls cond until it returns true, failing the test after five
// seconds with what.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// settle waits long enough for a polling worker to act on anything due.
func settle() {
	time.Sleep(20 * testPoll)
}

// delivery reads a delivery from the store.
func (f *fixture) delivery(t *testing.T, id string) store.Delivery {
	t.Helper()
	d, err := f.store.GetDelivery(f.ctx, testOrgID, id)
	if err != nil {
		t.Fatalf("reading delivery %s: %v", id, err)
	}
	return d
}

// waitForStatus waits until the delivery has the status and attempt count.
func (f *fixture) waitForStatus(t *testing.T, id, status string, attempts int) store.Delivery {
	t.Helper()
	var d store.Delivery
	waitFor(t, "delivery "+status, func() bool {
		d = f.delivery(t, id)
		return d.Status == status && d.Attempts == attempts && d.LeaseOwner == ""
	})
	return d
}

// deliveries lists a webhook's deliveries, newest first.
func (f *fixture) deliveries(t *testing.T, hookID string) []store.Delivery {
	t.Helper()
	list, err := f.store.ListDeliveries(f.ctx, testOrgID, hookID, "", 0)
	if err != nil {
		t.Fatalf("listing deliveries: %v", err)
	}
	return list
}

// createWebhook creates a webhook as the developer.
func (f *fixture) createWebhook(t *testing.T, in webhooks.Input) (webhooks.Webhook, secrets.Secret) {
	t.Helper()
	hook, secret, err := f.service.Create(f.ctx, f.developer, in)
	if err != nil {
		t.Fatalf("creating webhook: %v", err)
	}
	return hook, secret
}

// publish posts an event as the developer and returns its only delivery.
func (f *fixture) publish(t *testing.T, hookID, eventType string, data map[string]any) store.Delivery {
	t.Helper()
	_, n, err := f.service.PostEvent(f.ctx, f.developer, eventType, data)
	if err != nil {
		t.Fatalf("posting event: %v", err)
	}
	if n != 1 {
		t.Fatalf("event caused %d deliveries, want 1", n)
	}
	list := f.deliveries(t, hookID)
	if len(list) == 0 {
		t.Fatal("webhook has no delivery after the event")
	}
	return list[0]
}

// unboundInput returns the input of an unbound webhook to url for
// device.alarm events.
func unboundInput(url string) webhooks.Input {
	return webhooks.Input{Name: ptr("Alarm hook"), URL: &url, Events: &[]string{"device.alarm"}}
}

func ptr[T any](v T) *T { return &v }

// wantProblem checks that err is a problem with the status and code.
func wantProblem(t *testing.T, err error, status int, code string) *problem.Error {
	t.Helper()
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("error = %v, want a problem with code %s", err, code)
	}
	if p.Status != status || p.Code != code {
		t.Fatalf("problem = %d %s (%s), want %d %s", p.Status, p.Code, p.Detail, status, code)
	}
	return p
}

// auditRecorder keeps the audit entries it gets.
type auditRecorder struct {
	mu      sync.Mutex
	entries []store.AuditEntry
}

func (a *auditRecorder) Record(_ context.Context, entry store.AuditEntry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entries = append(a.entries, entry)
}

func (a *auditRecorder) actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.entries {
		out = append(out, e.Action)
	}
	return out
}
