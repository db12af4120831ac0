package connections_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

func TestBackgroundRefreshAheadOfExpiry(t *testing.T) {
	f, conn := connectedFixture(t)
	r := &connections.Refresher{Manager: f.manager, Ahead: 10 * time.Minute}

	// 30 minutes before expiry nothing is due.
	f.clock.Advance(30 * time.Minute)
	if n, err := r.RunOnce(f.ctx, nil); err != nil || n != 0 {
		t.Fatalf("RunOnce() 30 min before expiry = %d, %v; want 0 refreshed", n, err)
	}
	// 5 minutes before expiry the token is renewed without any call.
	f.clock.Advance(25 * time.Minute)
	if n, err := r.RunOnce(f.ctx, nil); err != nil || n != 1 {
		t.Fatalf("RunOnce() 5 min before expiry = %d, %v; want 1 refreshed", n, err)
	}
	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != 1 {
		t.Errorf("provider received %d refresh requests, want 1", n)
	}
	if cred := f.credential(t, conn, f.developer.UserID); !cred.Expiry.Equal(f.clock.Now().Add(time.Hour)) {
		t.Errorf("expiry after the background refresh = %v, want an hour from now", cred.Expiry)
	}
	// The renewed token is not due again.
	if n, _ := r.RunOnce(f.ctx, nil); n != 0 {
		t.Errorf("a second round refreshed %d credentials, want 0", n)
	}
}

func TestBackgroundRefreshTouchesIdleCredentials(t *testing.T) {
	f := newFixture(t)
	f.provider.setRespond(func(_ url.Values, n int) providerResponse {
		// A token without expires_in, as some providers issue.
		return providerResponse{status: http.StatusOK, body: map[string]any{
			"access_token": fmt.Sprintf("at-secret-%d", n), "refresh_token": fmt.Sprintf("rt-secret-%d", n),
			"token_type": "Bearer",
		}}
	})
	conn := f.createConnection(t, f.developer, connectionInput("Idle devices", "devices.read"))
	f.connect(t, f.developer, conn.LinkName)
	r := &connections.Refresher{Manager: f.manager, IdleAfter: 30 * 24 * time.Hour}

	f.clock.Advance(29 * 24 * time.Hour)
	if n, _ := r.RunOnce(f.ctx, nil); n != 0 {
		t.Fatalf("RunOnce() after 29 idle days refreshed %d, want 0", n)
	}
	f.clock.Advance(2 * 24 * time.Hour)
	if n, err := r.RunOnce(f.ctx, nil); err != nil || n != 1 {
		t.Fatalf("RunOnce() after 31 idle days = %d, %v; want 1 refreshed", n, err)
	}
	if cred := f.credential(t, conn, f.developer.UserID); !cred.RefreshedAt.Equal(f.clock.Now()) {
		t.Errorf("refreshed_at = %v, want now", cred.RefreshedAt)
	}
}

func TestBackgroundRefreshSpacesRequestsPerService(t *testing.T) {
	f := newFixture(t)
	for _, name := range []string{"First devices", "Second devices"} {
		conn := f.createConnection(t, f.developer, connectionInput(name, "devices.read"))
		f.connect(t, f.developer, conn.LinkName)
	}
	f.clock.Advance(55 * time.Minute)
	r := &connections.Refresher{Manager: f.manager, Ahead: 10 * time.Minute}
	limiter := connections.NewServiceLimiter(1, f.clock.Now)

	if n, _ := r.RunOnce(f.ctx, limiter); n != 1 {
		t.Fatalf("first round refreshed %d credentials of one service, want 1 at 1 request per second", n)
	}
	f.clock.Advance(time.Second)
	if n, _ := r.RunOnce(f.ctx, limiter); n != 1 {
		t.Fatalf("second round refreshed %d, want the other 1", n)
	}
}

func TestBackgroundRefreshFailures(t *testing.T) {
	f, conn := connectedFixture(t)
	r := &connections.Refresher{Manager: f.manager, Ahead: 10 * time.Minute}
	f.clock.Advance(55 * time.Minute)

	// A transient failure keeps the token, is recorded, and waits.
	f.provider.setRespond(func(url.Values, int) providerResponse {
		return providerResponse{status: http.StatusServiceUnavailable, body: map[string]any{"error": "temporarily_unavailable"}}
	})
	r.RunOnce(f.ctx, nil)
	cred := f.credential(t, conn, f.developer.UserID)
	if cred.Status != store.StatusConnected || cred.LastErrorClass != connections.ErrorClassTransient {
		t.Fatalf("after a 503: status %s, error class %q; want connected and transient", cred.Status, cred.LastErrorClass)
	}
	before := len(f.provider.tokenRequestsOf("refresh_token"))
	r.RunOnce(f.ctx, nil)
	if after := len(f.provider.tokenRequestsOf("refresh_token")); after != before {
		t.Errorf("a round right after a transient failure sent %d more requests, want 0", after-before)
	}

	// A permanent failure ends the credential and raises the event.
	f.clock.Advance(6 * time.Minute)
	f.provider.setRespond(func(url.Values, int) providerResponse {
		return providerResponse{status: http.StatusBadRequest, body: map[string]any{"error": "invalid_grant"}}
	})
	r.RunOnce(f.ctx, nil)
	if cred := f.credential(t, conn, f.developer.UserID); cred.Status != store.StatusNeedsReauth || cred.LastErrorClass != connections.ErrorClassPermanent {
		t.Errorf("after invalid_grant: status %s, class %q; want needs_reauth and permanent", cred.Status, cred.LastErrorClass)
	}
	if !slices.Contains(f.events.types(), connections.EventNeedsReauth) {
		t.Errorf("events = %v, want %s", f.events.types(), connections.EventNeedsReauth)
	}
}

func TestBackgroundRefreshConcurrently(t *testing.T) {
	f := newFixture(t)
	const count = 6
	for i := range count {
		conn := f.createConnection(t, f.developer, connectionInput(fmt.Sprintf("Devices %d", i), "devices.read"))
		f.connect(t, f.developer, conn.LinkName)
	}
	f.clock.Advance(55 * time.Minute)
	r := &connections.Refresher{Manager: f.manager, Ahead: 10 * time.Minute, Concurrency: 4}

	if n, err := r.RunOnce(f.ctx, nil); err != nil || n != count {
		t.Fatalf("RunOnce() = %d, %v; want %d refreshed", n, err, count)
	}
	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != count {
		t.Errorf("provider received %d refresh requests, want %d", n, count)
	}
	if n, _ := r.RunOnce(f.ctx, nil); n != 0 {
		t.Errorf("a second round refreshed %d credentials, want 0", n)
	}
}

// TestBackgroundRefreshPassReadsEveryBatch checks that one pass renews
// every due credential, also when there are more than one read fetches.
func TestBackgroundRefreshPassReadsEveryBatch(t *testing.T) {
	f := newFixture(t)
	const count = 230 // more than one batch of 200
	for i := range count {
		conn := f.createConnection(t, f.developer, connectionInput(fmt.Sprintf("Devices %d", i), "devices.read"))
		f.connect(t, f.developer, conn.LinkName)
	}
	f.clock.Advance(55 * time.Minute)
	r := &connections.Refresher{Manager: f.manager, Ahead: 10 * time.Minute}

	if n, err := r.RunOnce(f.ctx, nil); err != nil || n != count {
		t.Fatalf("RunOnce() = %d, %v; want %d refreshed in one pass", n, err, count)
	}
	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != count {
		t.Errorf("provider received %d refresh requests, want %d", n, count)
	}
}
