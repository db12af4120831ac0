package connections_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// secondInstance returns a Manager on the fixture's store, keyring and
// clock with a refresh group of its own, as another plugboard process on
// the same database would have.
func secondInstance(t *testing.T, f *fixture) *connections.Manager {
	t.Helper()
	key := bytes.Repeat([]byte{7}, secrets.KeySize)
	keyring, err := secrets.NewKeyring("test", map[string][]byte{"test": key})
	if err != nil {
		t.Fatal(err)
	}
	return connections.New(connections.Options{
		Store: f.store, Keyring: keyring, PublicURL: testPublicURL,
		HTTPClient: &http.Client{}, Logger: slog.New(slog.DiscardHandler), Now: f.clock.Now,
	})
}

func TestRefreshAcrossInstancesSendsOneRequest(t *testing.T) {
	f, conn := connectedFixture(t)
	other := secondInstance(t, f)
	f.provider.setTokenDelay(200 * time.Millisecond)
	f.clock.Advance(untilRefresh)

	const callers = 10
	var wg sync.WaitGroup
	errs := make([]error, 2*callers)
	tokens := make([]string, 2*callers)
	for i := range 2 * callers {
		manager := f.manager
		if i%2 == 1 {
			manager = other
		}
		wg.Go(func() {
			token, err := manager.Token(f.ctx, f.developer, conn.LinkName)
			tokens[i], errs[i] = token.Value.Reveal(), err
		})
	}
	wg.Wait()

	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != 1 {
		t.Errorf("provider received %d refresh requests from two instances, want 1", n)
	}
	for i := range tokens {
		if errs[i] != nil {
			t.Errorf("caller %d: Token: %v", i, errs[i])
		} else if tokens[i] != "at-secret-2" {
			t.Errorf("caller %d got token %q, want at-secret-2", i, tokens[i])
		}
	}
	if cred := f.credential(t, conn, f.developer.UserID); cred.RefreshLeaseID != "" {
		t.Errorf("lease %q left on the credential after the refresh", cred.RefreshLeaseID)
	}
}

func TestRefreshLeaseOfDeadProcessLapses(t *testing.T) {
	f, conn := connectedFixture(t)
	f.clock.Advance(untilRefresh)
	// A process claimed the refresh and died before storing the result.
	if _, err := f.store.UpdateCredential(f.ctx, testOrgID, conn.ID, f.developer.UserID, func(c *store.Credential) error {
		c.RefreshLeaseID = "dead-process"
		c.RefreshLeaseUntil = f.clock.Now().Add(-time.Second)
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	token, err := f.manager.Token(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatalf("Token() with a lapsed lease: %v", err)
	}
	if got := token.Value.Reveal(); got != "at-secret-2" {
		t.Errorf("token = %q, want the refreshed at-secret-2", got)
	}
}

func TestRefreshKeepsDatabaseWritable(t *testing.T) {
	f, conn := connectedFixture(t)
	f.provider.setTokenDelay(time.Second)
	f.clock.Advance(untilRefresh)

	done := make(chan error, 1)
	go func() {
		_, err := f.manager.Token(f.ctx, f.developer, conn.LinkName)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)

	// While the token request is in flight, other writes of the org go
	// through at once instead of waiting for the refresh.
	start := time.Now()
	f.createConnection(t, f.otherDeveloper, connectionInput("Other devices", "devices.read"))
	if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
		t.Errorf("creating a connection during a refresh took %v, want well under the 1s token request", elapsed)
	}
	if err := <-done; err != nil {
		t.Fatalf("Token(): %v", err)
	}
}
