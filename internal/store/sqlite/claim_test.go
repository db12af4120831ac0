package sqlite_test

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

// claimHelperEnv names the database file a claim helper process opens, and
// claimOwnerEnv the lease owner it claims as. The test binary runs
// TestClaimHelperProcess as that helper when claimHelperEnv is set.
const (
	claimHelperEnv = "PLUGBOARD_CLAIM_HELPER_DB"
	claimOwnerEnv  = "PLUGBOARD_CLAIM_HELPER_OWNER"
)

// TestClaimDeliveriesAcrossProcesses starts several processes that claim
// from one database file until nothing is due, and checks that each
// delivery went to exactly one of them. Unlike goroutines, which share one
// connection pool, separate processes coordinate only through SQLite's file
// locks.
func TestClaimDeliveriesAcrossProcesses(t *testing.T) {
	const (
		processes     = 4
		deliveryCount = 60
	)
	path := filepath.Join(t.TempDir(), "plugboard.db")
	s, err := sqlite.Open(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open(%q) error = %v", path, err)
	}
	defer s.Close()
	want := seedDeliveries(t, s, deliveryCount)

	outputs := make([]bytes.Buffer, processes)
	errs := make([]error, processes)
	var wg sync.WaitGroup
	for i := range processes {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestClaimHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), claimHelperEnv+"="+path, claimOwnerEnv+"="+fmt.Sprintf("process-%d", i))
		cmd.Stdout = &outputs[i]
		cmd.Stderr = &outputs[i]
		wg.Go(func() { errs[i] = cmd.Run() })
	}
	wg.Wait()

	claimedBy := map[string][]int{}
	for i, out := range outputs {
		if errs[i] != nil {
			t.Fatalf("claim helper process %d error = %v, output:\n%s", i, errs[i], out.String())
		}
		scanner := bufio.NewScanner(&out)
		for scanner.Scan() {
			if id, ok := strings.CutPrefix(scanner.Text(), "claimed "); ok {
				claimedBy[id] = append(claimedBy[id], i)
			}
		}
	}
	for _, id := range want {
		if got := claimedBy[id]; len(got) != 1 {
			t.Errorf("delivery %q claimed by processes %v, want exactly one", id, got)
		}
	}
	if len(claimedBy) != deliveryCount {
		t.Errorf("%d deliveries claimed, want %d", len(claimedBy), deliveryCount)
	}
}

// seedDeliveries stores an org, a webhook and one event with n due
// deliveries, and returns the delivery IDs.
func seedDeliveries(t *testing.T, s *sqlite.Store, n int) []string {
	t.Helper()
	ctx := t.Context()
	created := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	org := store.Org{ID: "org-1", Name: "default", CreatedAt: created}
	if err := s.CreateOrg(ctx, org); err != nil {
		t.Fatalf("CreateOrg() error = %v", err)
	}
	user := store.User{OrgID: org.ID, ID: "user-1", Username: "alice", Role: store.RoleDeveloper, CreatedAt: created}
	if err := s.CreateUser(ctx, user); err != nil {
		t.Fatalf("CreateUser() error = %v", err)
	}
	hook := store.Webhook{OrgID: org.ID, ID: "hook-1", Name: "hook", URL: "https://desk.example/", Method: "POST",
		Enabled: true, CreatedBy: "user-1", CreatedAt: created, UpdatedAt: created}
	if err := s.CreateWebhook(ctx, hook); err != nil {
		t.Fatalf("CreateWebhook() error = %v", err)
	}
	event := store.Event{OrgID: org.ID, ID: store.NewSortableID(created), Type: "device.alarm", Source: "api", CreatedAt: created}
	deliveries := make([]store.Delivery, n)
	ids := make([]string, n)
	for i := range deliveries {
		due := created.Add(time.Duration(i) * time.Millisecond)
		deliveries[i] = store.Delivery{OrgID: org.ID, ID: store.NewSortableID(due), WebhookID: hook.ID, EventID: event.ID,
			Status: store.DeliveryPending, NextAttemptAt: due, CreatedAt: created, UpdatedAt: created}
		ids[i] = deliveries[i].ID
	}
	if err := s.CreateEvent(ctx, event, deliveries); err != nil {
		t.Fatalf("CreateEvent() error = %v", err)
	}
	return ids
}

// TestClaimHelperProcess is the child of TestClaimDeliveriesAcrossProcesses.
// It claims three deliveries at a time until none is due and prints each
// claimed ID on its own line.
func TestClaimHelperProcess(t *testing.T) {
	path := os.Getenv(claimHelperEnv)
	if path == "" {
		t.Skip("runs only as the helper process of TestClaimDeliveriesAcrossProcesses")
	}
	owner := os.Getenv(claimOwnerEnv)
	s, err := sqlite.Open(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open(%q) error = %v", path, err)
	}
	defer s.Close()

	now := time.Date(2030, 1, 2, 0, 0, 0, 0, time.UTC)
	for round := 0; ; round++ {
		if round > 100 {
			t.Fatalf("ClaimDeliveries() still returned deliveries after %d rounds", round)
		}
		claimed, err := s.ClaimDeliveries(t.Context(), owner, now, now.Add(time.Hour), 3)
		if err != nil {
			t.Fatalf("ClaimDeliveries(%q) error = %v", owner, err)
		}
		if len(claimed) == 0 {
			return
		}
		for _, d := range claimed {
			fmt.Println("claimed", d.ID)
		}
	}
}
