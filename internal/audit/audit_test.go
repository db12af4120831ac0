package audit_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/plugboard/plugboard/internal/testkit"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

var _ connections.AuditRecorder = (*audit.Log)(nil)

var testStart = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// clock is a time source that moves one second forward on every reading,
// so entries recorded one after another get increasing IDs.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

type fixture struct {
	store store.Store
	log   *audit.Log
	logs  *testkit.LockedBuffer
	// admin, dev and viewer are members of org "one"; other is the admin
	// of org "two".
	admin, dev, viewer, other connections.Actor
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "plugboard.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logs := &testkit.LockedBuffer{}
	f := &fixture{
		store: st,
		log:   audit.New(st, slog.New(slog.NewTextHandler(logs, nil)), (&clock{now: testStart}).Now),
		logs:  logs,
	}
	f.admin = f.addMember(t, "org-one", "alice", store.RoleAdmin)
	f.dev = f.addMember(t, "org-one", "dan", store.RoleDeveloper)
	f.viewer = f.addMember(t, "org-one", "vera", store.RoleViewer)
	f.other = f.addMember(t, "org-two", "olga", store.RoleAdmin)
	return f
}

func (f *fixture) addMember(t *testing.T, orgID, username, role string) connections.Actor {
	t.Helper()
	ctx := t.Context()
	if _, err := f.store.GetOrg(ctx, orgID); errors.Is(err, store.ErrNotFound) {
		if err := f.store.CreateOrg(ctx, store.Org{ID: orgID, Name: orgID, CreatedAt: testStart}); err != nil {
			t.Fatal(err)
		}
	}
	user := store.User{OrgID: orgID, ID: "id-" + username, Username: username, Role: role, CreatedAt: testStart}
	if err := f.store.CreateUser(ctx, user); err != nil {
		t.Fatal(err)
	}
	return connections.Actor{OrgID: orgID, UserID: user.ID, Username: username, Role: role}
}

// record appends an entry by actor about the connection link ("" for none).
func (f *fixture) record(ctx context.Context, actor connections.Actor, action, link string) {
	f.log.Record(ctx, store.AuditEntry{
		OrgID: actor.OrgID, ActorID: actor.UserID, ActorName: actor.Username, Action: action, LinkName: link,
	})
}

func actions(entries []store.AuditEntry) string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return strings.Join(out, " ")
}

func wantProblem(t *testing.T, err error, status int, code string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("error = %v, want a problem with code %s", err, code)
	}
	if p.Status != status || p.Code != code {
		t.Errorf("problem = %d %s (%s), want %d %s", p.Status, p.Code, p.Detail, status, code)
	}
}

func TestRecordFillsIDTimeAndAddress(t *testing.T) {
	f := newFixture(t)
	ctx := audit.WithRemoteAddr(t.Context(), "192.0.2.7")
	f.log.Record(ctx, store.AuditEntry{
		OrgID: f.admin.OrgID, ActorID: f.admin.UserID, ActorName: "alice", Action: audit.ActionUserCreated,
		TargetType: "user", TargetID: "id-bob", Detail: map[string]any{"username": "bob"},
	})

	got, err := f.log.List(t.Context(), f.admin.OrgID, store.ListAuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("List returned %d entries, want 1", len(got))
	}
	e := got[0]
	if len(e.ID) != 32 {
		t.Errorf("ID = %q, want a 32-character sortable ID", e.ID)
	}
	if want := testStart.Add(time.Second); !e.At.Equal(want) {
		t.Errorf("At = %v, want the clock's %v", e.At, want)
	}
	if e.RemoteAddr != "192.0.2.7" {
		t.Errorf("RemoteAddr = %q, want the context's 192.0.2.7", e.RemoteAddr)
	}
	if e.ActorName != "alice" || e.TargetID != "id-bob" || e.Detail["username"] != "bob" {
		t.Errorf("entry = %+v, want actor alice, target id-bob and detail username bob", e)
	}
}

func TestRecordKeepsGivenAddressAndTime(t *testing.T) {
	f := newFixture(t)
	at := testStart.Add(-time.Hour)
	ctx := audit.WithRemoteAddr(t.Context(), "192.0.2.7")
	f.log.Record(ctx, store.AuditEntry{OrgID: f.admin.OrgID, Action: "connection.connected", At: at, RemoteAddr: "198.51.100.1"})

	got, err := f.log.List(t.Context(), f.admin.OrgID, store.ListAuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("List returned %d entries, want 1", len(got))
	}
	if got[0].RemoteAddr != "198.51.100.1" {
		t.Errorf("RemoteAddr = %q, want the given 198.51.100.1", got[0].RemoteAddr)
	}
	if !got[0].At.Equal(at) {
		t.Errorf("At = %v, want the given %v", got[0].At, at)
	}
}

func TestRemoteAddrWithoutValue(t *testing.T) {
	if got := audit.RemoteAddr(t.Context()); got != "" {
		t.Errorf("RemoteAddr(plain context) = %q, want empty", got)
	}
}

func TestRecordOutlivesCanceledContext(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f.record(ctx, f.admin, audit.ActionTokenDeleted, "")

	got, err := f.log.List(t.Context(), f.admin.OrgID, store.ListAuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if actions(got) != audit.ActionTokenDeleted {
		t.Errorf("entries = %q, want the entry recorded with a canceled context", actions(got))
	}
}

func TestRecordLogsStoreFailure(t *testing.T) {
	f := newFixture(t)
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	f.record(t.Context(), f.admin, audit.ActionUserDeleted, "")

	logs := f.logs.String()
	if !strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "action="+audit.ActionUserDeleted) {
		t.Errorf("log = %q, want an ERROR line naming action %s", logs, audit.ActionUserDeleted)
	}
}

func TestListFiltersAndPages(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.record(ctx, f.admin, "connection.created", "crm")  // 1
	f.record(ctx, f.dev, "connection.connected", "crm")  // 2
	f.record(ctx, f.dev, "credential.read", "crm")       // 3
	f.record(ctx, f.admin, audit.ActionUserCreated, "")  // 4
	f.record(ctx, f.dev, "connection.created", "drive")  // 5
	f.record(ctx, f.other, "connection.created", "crm")  // another org
	f.record(ctx, f.admin, audit.ActionTokenCreated, "") // 6

	tests := []struct {
		name string
		opts store.ListAuditOptions
		want string
	}{
		{name: "all", opts: store.ListAuditOptions{},
			want: "token.created connection.created user.created credential.read connection.connected connection.created"},
		{name: "connection", opts: store.ListAuditOptions{LinkName: "crm"},
			want: "credential.read connection.connected connection.created"},
		{name: "actor", opts: store.ListAuditOptions{ActorID: f.dev.UserID},
			want: "connection.created credential.read connection.connected"},
		{name: "connection and actor", opts: store.ListAuditOptions{LinkName: "crm", ActorID: f.dev.UserID},
			want: "credential.read connection.connected"},
		{name: "limit", opts: store.ListAuditOptions{Limit: 2},
			want: "token.created connection.created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.log.List(ctx, f.admin.OrgID, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if actions(got) != tt.want {
				t.Errorf("actions = %q, want %q", actions(got), tt.want)
			}
		})
	}

	// Paging by the last ID of each page visits every entry once.
	var pages []string
	before := ""
	for range 10 {
		got, err := f.log.List(ctx, f.admin.OrgID, store.ListAuditOptions{Before: before, Limit: 4})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		pages = append(pages, actions(got))
		before = got[len(got)-1].ID
	}
	want := []string{"token.created connection.created user.created credential.read", "connection.connected connection.created"}
	if fmt.Sprint(pages) != fmt.Sprint(want) {
		t.Errorf("pages = %q, want %q", pages, want)
	}
}

func TestReadAdminsOnly(t *testing.T) {
	f := newFixture(t)
	f.record(t.Context(), f.admin, audit.ActionUserCreated, "")
	for _, actor := range []connections.Actor{f.dev, f.viewer} {
		t.Run(actor.Role, func(t *testing.T) {
			got, err := f.log.Read(t.Context(), actor, audit.Query{})
			wantProblem(t, err, http.StatusForbidden, "forbidden")
			if len(got) != 0 {
				t.Errorf("Read returned %d entries to a %s, want none", len(got), actor.Role)
			}
		})
	}
}

func TestReadFiltersByMemberAndConnection(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.record(ctx, f.admin, "connection.created", "crm")
	f.record(ctx, f.dev, "connection.connected", "crm")
	f.record(ctx, f.dev, "connection.created", "drive")

	tests := []struct {
		name  string
		query audit.Query
		want  string
	}{
		{name: "member", query: audit.Query{Member: "dan"}, want: "connection.created connection.connected"},
		{name: "connection", query: audit.Query{Connection: "crm"}, want: "connection.connected connection.created"},
		{name: "both", query: audit.Query{Member: "alice", Connection: "crm"}, want: "connection.created"},
		{name: "limit", query: audit.Query{Limit: 1}, want: "connection.created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.log.Read(ctx, f.admin, tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if actions(got) != tt.want {
				t.Errorf("actions = %q, want %q", actions(got), tt.want)
			}
		})
	}

	_, err := f.log.Read(ctx, f.admin, audit.Query{Member: "nobody"})
	wantProblem(t, err, http.StatusNotFound, "user_not_found")
}

func TestReadStaysInOrg(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.record(ctx, f.admin, "connection.created", "crm")
	f.record(ctx, f.other, "connection.deleted", "crm")

	got, err := f.log.Read(ctx, f.other, audit.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if actions(got) != "connection.deleted" {
		t.Errorf("org two reads %q, want only its own connection.deleted", actions(got))
	}
	// A member of org one is unknown in org two.
	_, err = f.log.Read(ctx, f.other, audit.Query{Member: "alice"})
	wantProblem(t, err, http.StatusNotFound, "user_not_found")
}

// TestConcurrentRecordsAllStored records entries from many goroutines at
// once, one of them with an ID that is taken: every other entry is stored
// once, and the taken one fails alone with an error in the log.
func TestConcurrentRecordsAllStored(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	takenEntry := store.AuditEntry{OrgID: f.admin.OrgID, ID: "entry-taken", ActorID: f.admin.UserID, Action: audit.ActionUserCreated}
	f.log.Record(ctx, takenEntry)

	const count = 200
	var wg sync.WaitGroup
	for i := range count {
		wg.Go(func() {
			f.record(ctx, f.admin, fmt.Sprintf("test.concurrent_%d", i), "")
		})
	}
	wg.Go(func() {
		dup := takenEntry
		dup.Action = audit.ActionUserDeleted
		f.log.Record(ctx, dup)
	})
	wg.Wait()

	entries, err := f.store.ListAudit(ctx, f.admin.OrgID, store.ListAuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != count+1 {
		t.Errorf("stored %d entries, want %d", len(entries), count+1)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if seen[e.Action] {
			t.Errorf("action %s stored twice", e.Action)
		}
		seen[e.Action] = true
	}
	if seen[audit.ActionUserDeleted] {
		t.Error("the entry with the taken ID was stored")
	}
	if n := strings.Count(f.logs.String(), "recording audit entry failed"); n != 1 {
		t.Errorf("log has %d failed appends, want 1", n)
	}
}
