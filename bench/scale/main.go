// Command scale measures plugboard with many connections. It seeds
// -connections connections with bulk SQL. Then it times the first and a
// deep page of GET /v1/connections and a lookup by link name, and reads the
// resident memory of the idle server. Last, it times one pass of the
// background refresher (connections.Refresher.RunOnce) over -due
// credentials that are due.
//
// Run it from the module root:
//
//	go run ./bench/scale
//
// It runs on SQLite in a temporary folder and on a new database on the
// -postgres-url server, dropped at the end. The server is cmd/plugboard,
// built and started as a child process on 127.0.0.1 and stopped by its PID.
// The refresher runs in this process against a token endpoint on 127.0.0.1.
package main

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/plugboard/plugboard/bench/internal/benchkit"
	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/postgres"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

const (
	adminToken = "pb_bench_admin_token_0123456789abcdef"
	serviceKey = "bench_scale"
	// pageSize is the limit of the list requests.
	pageSize = 50
)

func main() {
	count := flag.Int("connections", 1_000_000, "connections to seed")
	due := flag.Int("due", 100_000, "connected credentials, due for refresh, on the first connections")
	repeat := flag.Int("repeat", 20, "timed requests of each kind")
	postgresURL := flag.String("postgres-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL server on which the run creates and drops its own database; empty skips PostgreSQL")
	flag.Parse()
	if *count < 1 || *due < 0 || *due > *count || *repeat < 1 {
		log.Fatalf("invalid flags: -connections %d, -due %d, -repeat %d; use -connections >= 1, 0 <= -due <= -connections, -repeat >= 1",
			*count, *due, *repeat)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *count, *due, *repeat, *postgresURL); err != nil {
		log.Fatal(err)
	}
}

// report is one backend's figures.
type report struct {
	backend                 string
	concurrency             int // refreshes at once in the refresher pass
	seedConnections         time.Duration
	seedCredentials         time.Duration
	firstPage, deepPage     timing
	lookup                  timing
	rssIdle, rssAfter       int64 // kB
	listDue                 time.Duration
	dueAtPass               int
	refreshed               int
	pass                    time.Duration
	passAlloc, passHeapPeak uint64
}

// timing is the median and the maximum of repeated requests.
type timing struct {
	median, max time.Duration
}

func run(ctx context.Context, count, due, repeat int, postgresURL string) error {
	dir, err := os.MkdirTemp("", "plugboard-bench-scale-")
	if err != nil {
		return fmt.Errorf("creating work folder: %w", err)
	}
	defer os.RemoveAll(dir)
	binary, err := benchkit.BuildPlugboard(ctx, dir)
	if err != nil {
		return err
	}
	tokens := &tokenEndpoint{}
	endpoint := httptest.NewServer(tokens)
	defer endpoint.Close()

	var reports []report
	sqliteDir := filepath.Join(dir, "sqlite")
	rep, err := runBackend(ctx, "SQLite", binary, sqliteDir, "", endpoint.URL, count, due, repeat)
	if err != nil {
		return fmt.Errorf("SQLite: %w", err)
	}
	reports = append(reports, rep)
	if postgresURL != "" {
		databaseURL, drop, err := benchkit.CreatePostgresDatabase(ctx, postgresURL)
		if err != nil {
			return err
		}
		rep, err := runBackend(ctx, "PostgreSQL", binary, filepath.Join(dir, "postgres"), databaseURL, endpoint.URL, count, due, repeat)
		drop()
		if err != nil {
			return fmt.Errorf("PostgreSQL: %w", err)
		}
		reports = append(reports, rep)
	}
	writeReports(reports, count, due, repeat)
	return nil
}

// runBackend seeds one database, measures the server on it, then runs one
// refresher pass in this process. An empty databaseURL means SQLite in
// dir.
func runBackend(ctx context.Context, backend, binary, dir, databaseURL, tokenURL string, count, due, repeat int) (report, error) {
	rep := report{backend: backend, concurrency: 1}
	if databaseURL != "" {
		rep.concurrency = 8
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return rep, fmt.Errorf("creating %s: %w", dir, err)
	}
	key, err := secrets.GenerateKey()
	if err != nil {
		return rep, err
	}
	masterKey := base64.StdEncoding.EncodeToString(key)
	keyring, _, err := secrets.LoadKeyring(secrets.LoadOptions{Key: masterKey})
	if err != nil {
		return rep, err
	}

	logger := slog.New(slog.DiscardHandler)
	var st store.Store
	var seeder seeder
	args := []string{"--database-url", databaseURL}
	if databaseURL == "" {
		dataDir := filepath.Join(dir, "plugboard-data")
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return rep, err
		}
		path := filepath.Join(dataDir, "plugboard.db")
		s, err := sqlite.Open(ctx, path, logger)
		if err != nil {
			return rep, err
		}
		st = s
		if seeder, err = openSQLiteSeeder(path); err != nil {
			return rep, err
		}
		args = []string{"--data-dir", dataDir}
	} else {
		s, err := postgres.Open(ctx, databaseURL, logger)
		if err != nil {
			return rep, err
		}
		st = s
		if seeder, err = openPostgresSeeder(ctx, databaseURL); err != nil {
			return rep, err
		}
	}
	defer st.Close()
	defer seeder.Close()

	boot, err := members.Bootstrap(ctx, st, adminToken, "", time.Now())
	if err != nil {
		return rep, err
	}
	admin, err := st.GetUserByUsername(ctx, boot.OrgID, members.AdminUsername)
	if err != nil {
		return rep, fmt.Errorf("reading the admin: %w", err)
	}
	manager := connections.New(connections.Options{
		Store: st, Keyring: keyring, PublicURL: "http://127.0.0.1:1", HTTPClient: &http.Client{Timeout: 30 * time.Second},
		Logger: logger,
	})
	actor := connections.Actor{OrgID: admin.OrgID, UserID: admin.ID, Username: admin.Username, Role: admin.Role}
	app, err := createService(ctx, manager, actor, tokenURL)
	if err != nil {
		return rep, err
	}

	fmt.Fprintf(os.Stderr, "%s: seeding %d connections\n", backend, count)
	start := time.Now()
	if err := seeder.SeedConnections(ctx, admin, app.ID, count); err != nil {
		return rep, err
	}
	rep.seedConnections = time.Since(start)
	fmt.Fprintf(os.Stderr, "%s: seeded connections in %s; sealing and seeding %d credentials\n", backend, rep.seedConnections, due)
	start = time.Now()
	if err := seeder.SeedCredentials(ctx, keyring, admin, due); err != nil {
		return rep, err
	}
	rep.seedCredentials = time.Since(start)
	fmt.Fprintf(os.Stderr, "%s: seeded credentials in %s\n", backend, rep.seedCredentials)

	if err := measureServer(ctx, &rep, binary, dir, args, masterKey, count, repeat); err != nil {
		return rep, err
	}
	return rep, measureRefresher(ctx, &rep, st, manager)
}

func createService(ctx context.Context, m *connections.Manager, actor connections.Actor, tokenURL string) (store.Application, error) {
	svc := catalog.Service{
		Key: serviceKey, Name: "Bench scale", AuthType: catalog.AuthOAuth2,
		OAuth2: &catalog.OAuth2Settings{
			AuthorizationURL: tokenURL + "/authorize", TokenURL: tokenURL + "/token",
			TokenAuthMethod: catalog.ClientSecretPost,
		},
		Scopes:     []catalog.Scope{{Name: "read"}},
		APIBaseURL: tokenURL + "/api",
	}
	if _, err := m.CreateService(ctx, actor, svc); err != nil {
		return store.Application{}, fmt.Errorf("creating service: %w", err)
	}
	name, clientID, secret, isDefault := "Bench", "bench-client", secrets.Secret("bench-client-secret"), true
	app, err := m.CreateApplication(ctx, actor, connections.ApplicationInput{
		Service: serviceKey, Name: &name, ClientID: &clientID, ClientSecret: &secret, Default: &isDefault,
	})
	if err != nil {
		return store.Application{}, fmt.Errorf("creating application: %w", err)
	}
	return app, nil
}

// measureServer starts plugboard on the seeded database and times the list
// and the lookup, reading the server's resident memory before and after.
func measureServer(ctx context.Context, rep *report, binary, dir string, args []string, masterKey string, count, repeat int) error {
	pb, err := benchkit.StartPlugboardBinary(binary, benchkit.PlugboardOptions{
		Dir: dir, AdminToken: adminToken, Args: args, Env: []string{"PLUGBOARD_MASTER_KEY=" + masterKey},
	})
	if err != nil {
		return err
	}
	defer pb.Stop()
	fmt.Fprintf(os.Stderr, "%s: plugboard pid %d at %s\n", rep.backend, pb.PID(), pb.Addr)

	// The server settles first: its background refresher starts at once.
	time.Sleep(3 * time.Second)
	if rep.rssIdle, err = residentKB(pb.PID()); err != nil {
		return err
	}

	client := &http.Client{Timeout: time.Minute}
	base := "http://" + pb.Addr
	deepAfter := linkName(count - pageSize)
	// The list's cursor is the base64url of the last link name of the
	// page before, as the API encodes it.
	deepCursor := base64.RawURLEncoding.EncodeToString([]byte(linkName(count - pageSize - 1)))
	requests := []struct {
		out       *timing
		path      string
		wantFirst string
	}{
		{&rep.firstPage, fmt.Sprintf("/v1/connections?limit=%d", pageSize), linkName(1)},
		{&rep.deepPage, fmt.Sprintf("/v1/connections?limit=%d&cursor=%s", pageSize, deepCursor), deepAfter},
		{&rep.lookup, "/v1/connections/" + linkName(count/2), linkName(count / 2)},
	}
	for _, r := range requests {
		t, err := timeRequests(ctx, client, base+r.path, r.wantFirst, repeat)
		if err != nil {
			return err
		}
		*r.out = t
	}
	rep.rssAfter, err = residentKB(pb.PID())
	return err
}

// timeRequests sends one request that is not timed, then repeat timed ones,
// each of which must return 200 and name wantLink first.
func timeRequests(ctx context.Context, client *http.Client, target, wantLink string, repeat int) (timing, error) {
	var durations []time.Duration
	for i := range repeat + 1 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return timing{}, err
		}
		req.Header.Set("Authorization", "Bearer "+adminToken)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return timing{}, fmt.Errorf("GET %s: %w", target, err)
		}
		body := new(strings.Builder)
		_, err = copyBody(body, resp)
		took := time.Since(start)
		if err != nil {
			return timing{}, err
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(body.String(), `"link_name":"`+wantLink+`"`) {
			return timing{}, fmt.Errorf("GET %s: status %d without link name %s: %.300s", target, resp.StatusCode, wantLink, body.String())
		}
		if i > 0 {
			durations = append(durations, took)
		}
	}
	slices.Sort(durations)
	return timing{median: durations[len(durations)/2], max: durations[len(durations)-1]}, nil
}

// measureRefresher times ListRefreshDue alone, then one RunOnce pass
// without a rate limit, and records the pass's allocations and peak heap.
func measureRefresher(ctx context.Context, rep *report, st store.Store, m *connections.Manager) error {
	now := time.Now()
	start := time.Now()
	if _, err := st.ListRefreshDue(ctx, now, now.Add(connections.DefaultRefreshAhead), now.Add(-connections.DefaultRefreshIdleAfter), 200); err != nil {
		return err
	}
	rep.listDue = time.Since(start)
	// The server started above ran its own background refresher, which
	// may have refreshed some credentials, so count what is due now.
	due, err := countDue(ctx, st, now)
	if err != nil {
		return err
	}
	rep.dueAtPass = due

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	sampling, stopSampling := context.WithCancel(ctx)
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		sampleHeap(sampling, &peak)
	}()
	// The concurrency is the one cmd/plugboard serve gives the backend.
	refresher := &connections.Refresher{Manager: m, Concurrency: rep.concurrency}
	start = time.Now()
	n, err := refresher.RunOnce(ctx, nil)
	rep.pass = time.Since(start)
	stopSampling()
	<-sampled
	if err != nil {
		return fmt.Errorf("refresher pass: %w", err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	rep.refreshed = n
	rep.passAlloc = after.TotalAlloc - before.TotalAlloc
	rep.passHeapPeak = peak.Load()
	return nil
}

// countDue returns how many credentials are due for refresh at now.
func countDue(ctx context.Context, st store.Store, now time.Time) (int, error) {
	all, err := st.ListRefreshDue(ctx, now, now.Add(connections.DefaultRefreshAhead), now.Add(-connections.DefaultRefreshIdleAfter), -1)
	return len(all), err
}

// sampleHeap records the largest HeapInuse seen every 10 ms until ctx ends.
func sampleHeap(ctx context.Context, peak *atomic.Uint64) {
	ticker := time.NewTicker(10 * time.Millisecond)
	defer ticker.Stop()
	for {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > peak.Load() {
			peak.Store(ms.HeapInuse)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// residentKB returns VmRSS of a process from /proc, in kB.
func residentKB(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading memory of pid %d: %w", pid, err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				return 0, fmt.Errorf("parsing VmRSS %q: %w", rest, err)
			}
			return kb, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS line in /proc/%d/status", pid)
}

// linkName returns the link name of the nth seeded connection, counting
// from 1.
func linkName(n int) string {
	return fmt.Sprintf("conn_%07d", n)
}

func writeReports(reports []report, count, due, repeat int) {
	fmt.Printf("## Scale: %d connections, %d credentials due\n\n", count, due)
	fmt.Printf("Request times are the median and the maximum of %d requests after one untimed request.\n\n", repeat)
	fmt.Println("| backend | seed connections | seed credentials | first page (50) | deep page (50) | lookup | idle RSS | RSS after requests |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, r := range reports {
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %d MB | %d MB |\n", r.backend, r.seedConnections.Round(time.Millisecond),
			r.seedCredentials.Round(time.Millisecond), r.firstPage, r.deepPage, r.lookup, r.rssIdle/1024, r.rssAfter/1024)
	}
	fmt.Printf("\n## Refresher: one RunOnce pass over %d due credentials, no rate limit\n\n", due)
	fmt.Println("| backend | ListRefreshDue (200) | concurrency | due when the pass started | refreshed in the pass | pass time | refreshes/s | allocated | peak heap in use |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range reports {
		rate := float64(r.refreshed) / r.pass.Seconds()
		fmt.Printf("| %s | %s | %d | %d | %d | %s | %.0f | %.1f MB | %.1f MB |\n", r.backend, r.listDue.Round(time.Microsecond), r.concurrency, r.dueAtPass, r.refreshed,
			r.pass.Round(time.Millisecond), rate, float64(r.passAlloc)/(1<<20), float64(r.passHeapPeak)/(1<<20))
	}
}

func (t timing) String() string {
	return fmt.Sprintf("%.2f ms (max %.2f)", float64(t.median)/float64(time.Millisecond), float64(t.max)/float64(time.Millisecond))
}
