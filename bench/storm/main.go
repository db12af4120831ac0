// Command storm measures a refresh storm: many callers fetch one expired
// OAuth credential at once through GET /v1/connections/{link}/credential.
// It counts the refresh requests that reach the token endpoint, which must
// be 1, and the time until every caller has the new access token.
//
// Run it from the module root:
//
//	go run ./bench/storm
//
// It builds cmd/plugboard and starts a counting token endpoint that rotates
// refresh tokens, as strict providers do. Then it runs the storm on three
// setups: one plugboard on SQLite, one on PostgreSQL, and three on one
// PostgreSQL database with the callers spread over them. Each PostgreSQL
// setup gets a new database on the -postgres-url server, dropped at the
// end. Every child is stopped by its PID before the program exits.
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/plugboard/plugboard/bench/internal/benchkit"
)

const (
	adminToken   = "pb_bench_admin_token_0123456789abcdef"
	clientID     = "bench-client"
	clientSecret = "bench-client-secret"
	// authCode is the only authorization code the token endpoint accepts.
	authCode = "bench-authorization-code"
	// initialLifetime is the lifetime of the access token that the code
	// exchange returns, in seconds. It is within plugboard's default
	// refresh skew of 60 s, so the credential is due at once.
	initialLifetime = 1
)

func main() {
	role := flag.String("role", "", "internal: run as a child server role (oauth)")
	addr := flag.String("addr", "127.0.0.1:0", "internal: address a child role listens on")
	delay := flag.Duration("token-delay", 50*time.Millisecond, "how long the token endpoint takes to answer a refresh, as a provider's round trip")
	callers := flag.Int("callers", 1000, "concurrent callers of the one credential")
	rounds := flag.Int("rounds", 3, "storms per setup, each on a new connection")
	postgresURL := flag.String("postgres-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
		"PostgreSQL server on which each PostgreSQL setup creates and drops its own database; empty skips those setups")
	flag.Parse()

	switch *role {
	case "oauth":
		log.Fatal(benchkit.Serve(*addr, newTokenEndpoint(*delay).handler()))
	case "":
	default:
		log.Fatalf("unknown -role %q; use oauth", *role)
	}
	if *callers < 1 || *rounds < 1 {
		log.Fatalf("-callers %d and -rounds %d must both be at least 1", *callers, *rounds)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *callers, *rounds, *delay, *postgresURL); err != nil {
		log.Fatal(err)
	}
}

// setup is one way of running plugboard for the storm.
type setup struct {
	name      string
	instances int
	postgres  bool
}

// outcome is one storm's result.
type outcome struct {
	setup           string
	round           int
	refreshRequests int
	errors          int
	staleTokens     int
	firstError      string
	allDone         time.Duration
	p50, p99        time.Duration
}

func run(ctx context.Context, callers, rounds int, delay time.Duration, postgresURL string) error {
	dir, err := os.MkdirTemp("", "plugboard-bench-storm-")
	if err != nil {
		return fmt.Errorf("creating work folder: %w", err)
	}
	defer os.RemoveAll(dir)

	oauth, err := benchkit.StartRole(ctx, "token endpoint", filepath.Join(dir, "oauth.log"),
		"-role", "oauth", "-token-delay", delay.String())
	if err != nil {
		return err
	}
	defer oauth.Stop()
	fmt.Fprintf(os.Stderr, "%s: pid %d at %s\n", oauth.Name, oauth.PID(), oauth.Addr)
	binary, err := benchkit.BuildPlugboard(ctx, dir)
	if err != nil {
		return err
	}

	setups := []setup{{name: "1 instance, SQLite", instances: 1}}
	if postgresURL != "" {
		setups = append(setups,
			setup{name: "1 instance, PostgreSQL", instances: 1, postgres: true},
			setup{name: "3 instances, PostgreSQL", instances: 3, postgres: true})
	}
	var outcomes []outcome
	for i, s := range setups {
		results, err := runSetup(ctx, binary, filepath.Join(dir, fmt.Sprintf("setup%d", i+1)), s, oauth.Addr, postgresURL, callers, rounds)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		outcomes = append(outcomes, results...)
	}

	fmt.Printf("## Refresh storm: %d callers, token endpoint answering refreshes after %s\n\n", callers, delay)
	fmt.Println("| setup | round | refresh requests | errors | stale tokens | all callers done | p50 | p99 |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, o := range outcomes {
		fmt.Printf("| %s | %d | %d | %d | %d | %s | %s | %s |\n", o.setup, o.round, o.refreshRequests, o.errors,
			o.staleTokens, millis(o.allDone), millis(o.p50), millis(o.p99))
		if o.firstError != "" {
			fmt.Fprintf(os.Stderr, "%s round %d: first error: %s\n", o.setup, o.round, o.firstError)
		}
	}
	return nil
}

func millis(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// runSetup starts the setup's instances, creates the OAuth service once and
// runs one storm per round, each on a new connection.
func runSetup(ctx context.Context, binary, dir string, s setup, oauthAddr, postgresURL string, callers, rounds int) ([]outcome, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	opts := benchkit.PlugboardOptions{Dir: dir, AdminToken: adminToken}
	if s.postgres {
		databaseURL, drop, err := benchkit.CreatePostgresDatabase(ctx, postgresURL)
		if err != nil {
			return nil, err
		}
		defer drop()
		opts.Args = []string{"--database-url", databaseURL}
		// Every instance needs the same master key to open the others'
		// secrets.
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		opts.Env = []string{"PLUGBOARD_MASTER_KEY=" + base64.StdEncoding.EncodeToString(key)}
	}
	var instances []*benchkit.Process
	defer func() {
		for _, p := range instances {
			p.Stop()
		}
	}()
	for i := range s.instances {
		opts.Name = fmt.Sprintf("plugboard%d", i+1)
		p, err := benchkit.StartPlugboardBinary(binary, opts)
		if err != nil {
			return nil, err
		}
		instances = append(instances, p)
		fmt.Fprintf(os.Stderr, "%s: %s pid %d at %s\n", s.name, p.Name, p.PID(), p.Addr)
	}

	api := &benchkit.API{BaseURL: "http://" + instances[0].Addr, Token: adminToken}
	readToken, err := createService(ctx, api, "http://"+oauthAddr)
	if err != nil {
		return nil, err
	}
	var outcomes []outcome
	for round := 1; round <= rounds; round++ {
		link, err := connect(ctx, api, fmt.Sprintf("Storm %d", round))
		if err != nil {
			return nil, err
		}
		before, err := refreshCount(ctx, oauthAddr)
		if err != nil {
			return nil, err
		}
		o, err := storm(ctx, instances, link, readToken, callers)
		if err != nil {
			return nil, err
		}
		after, err := refreshCount(ctx, oauthAddr)
		if err != nil {
			return nil, err
		}
		o.setup, o.round, o.refreshRequests = s.name, round, after-before
		fmt.Fprintf(os.Stderr, "%s round %d: %d refresh requests, %d errors, all done in %s\n",
			s.name, round, o.refreshRequests, o.errors, millis(o.allDone))
		outcomes = append(outcomes, o)
	}
	return outcomes, nil
}

// storm opens one keep-alive connection per caller, spread over the
// instances in turn, then releases every caller at once and waits for all.
func storm(ctx context.Context, instances []*benchkit.Process, link, readToken string, callers int) (outcome, error) {
	clients := make([]*http.Client, callers)
	targets := make([]string, callers)
	for i := range callers {
		clients[i] = &http.Client{
			Timeout:   2 * time.Minute,
			Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1},
		}
		targets[i] = "http://" + instances[i%len(instances)].Addr
		resp, err := clients[i].Get(targets[i] + "/healthz")
		if err != nil {
			return outcome{}, fmt.Errorf("opening caller connection %d: %w", i, err)
		}
		resp.Body.Close()
	}
	defer func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}()

	type answer struct {
		token string
		err   error
		took  time.Duration
	}
	answers := make([]answer, callers)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			<-release
			start := time.Now()
			token, err := fetchToken(ctx, clients[i], targets[i]+"/v1/connections/"+link+"/credential", readToken)
			answers[i] = answer{token: token, err: err, took: time.Since(start)}
		})
	}
	start := time.Now()
	close(release)
	wg.Wait()
	o := outcome{allDone: time.Since(start)}

	var durations []time.Duration
	for _, a := range answers {
		durations = append(durations, a.took)
		switch {
		case a.err != nil:
			o.errors++
			if o.firstError == "" {
				o.firstError = a.err.Error()
			}
		case !strings.HasPrefix(a.token, "refreshed-"):
			o.staleTokens++
		}
	}
	slices.Sort(durations)
	o.p50 = durations[len(durations)/2]
	o.p99 = durations[(len(durations)*99+99)/100-1]
	return o, nil
}

func fetchToken(ctx context.Context, client *http.Client, target, readToken string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+readToken)
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return "", fmt.Errorf("decoding credential: %w", err)
	}
	return body.AccessToken, nil
}

// createService creates the oauth2 service and its application, and an API
// token with credentials:read, which it returns.
func createService(ctx context.Context, api *benchkit.API, oauthURL string) (string, error) {
	service := map[string]any{
		"key": "bench_storm", "name": "Bench storm", "auth_type": "oauth2",
		"oauth2": map[string]any{
			"authorization_url": oauthURL + "/authorize", "token_url": oauthURL + "/token",
			"token_auth_method": "client_secret_post",
		},
		"scopes":       []map[string]string{{"name": "read"}},
		"api_base_url": oauthURL + "/api",
	}
	if err := api.Do(ctx, "POST", "/v1/services", service, http.StatusCreated, nil); err != nil {
		return "", err
	}
	app := map[string]any{"service": "bench_storm", "name": "Bench", "client_id": clientID, "client_secret": clientSecret}
	if err := api.Do(ctx, "POST", "/v1/applications", app, http.StatusCreated, nil); err != nil {
		return "", err
	}
	var created struct {
		Token string `json:"token"`
	}
	tokenInput := map[string]any{"name": "bench storm reader", "permissions": []string{"credentials:read"}}
	if err := api.Do(ctx, "POST", "/v1/tokens", tokenInput, http.StatusCreated, &created); err != nil {
		return "", err
	}
	return created.Token, nil
}

// connect creates a connection and completes its authorization code flow,
// which leaves it with an access token that is due for refresh. It returns
// the link name.
func connect(ctx context.Context, api *benchkit.API, name string) (string, error) {
	var conn struct {
		LinkName string `json:"link_name"`
	}
	if err := api.Do(ctx, "POST", "/v1/connections",
		map[string]any{"name": name, "service": "bench_storm", "scopes": []string{"read"}},
		http.StatusCreated, &conn); err != nil {
		return "", err
	}
	if err := benchkit.Authorize(ctx, api, conn.LinkName, authCode); err != nil {
		return "", err
	}
	return conn.LinkName, nil
}

func refreshCount(ctx context.Context, oauthAddr string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+oauthAddr+"/stats", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading token endpoint stats: %w", err)
	}
	defer resp.Body.Close()
	var stats struct {
		Refresh int `json:"refresh"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return 0, fmt.Errorf("decoding token endpoint stats: %w", err)
	}
	return stats.Refresh, nil
}
