// Command proxy measures plugboard's proxy against a direct call and a bare
// httputil.ReverseProxy, all in front of one local upstream that returns
// 1 KiB of JSON.
//
// Run it from the module root:
//
//	go run ./bench/proxy
//
// It builds cmd/plugboard, starts the upstream, the bare proxy and
// plugboard as child processes on 127.0.0.1, creates an api_key
// connection through plugboard's API, then loads the three paths in
// turn, round after round, and prints Markdown tables. Every child is
// stopped by its PID before the program exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/plugboard/plugboard/bench/internal/benchkit"
)

const (
	// apiKey is the key the upstream accepts in X-API-Key; every path must
	// deliver it.
	apiKey      = "bench-upstream-key-0123456789"
	apiKeyName  = "X-API-Key"
	adminToken  = "pb_bench_admin_token_0123456789abcdef"
	upstreamDoc = "/items"
	bodySize    = 1024
)

func main() {
	role := flag.String("role", "", "internal: run as a child server role (upstream, bare or bare-pooled)")
	addr := flag.String("addr", "127.0.0.1:0", "internal: address a child role listens on")
	upstream := flag.String("upstream", "", "internal: upstream base URL of the bare proxy role")
	roundFlags := benchkit.DefineRoundFlags()
	serveFlags := benchkit.DefineServeFlags()
	flag.Parse()

	switch *role {
	case "upstream":
		log.Fatal(benchkit.Serve(*addr, upstreamHandler()))
	case "bare":
		log.Fatal(benchkit.Serve(*addr, bareProxy(*upstream, nil)))
	case "bare-pooled":
		log.Fatal(benchkit.Serve(*addr, bareProxy(*upstream, pooledTransport())))
	case "":
	default:
		log.Fatalf("unknown -role %q; use upstream, bare or bare-pooled", *role)
	}

	rounds, err := roundFlags.Rounds()
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, rounds, strings.Fields(*serveFlags)); err != nil {
		log.Fatal(err)
	}
}

// upstreamHandler returns 1 KiB of JSON to requests that carry the API
// key, and 401 to others.
func upstreamHandler() http.Handler {
	body := jsonBody(bodySize)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(apiKeyName) != apiKey {
			http.Error(w, "missing or wrong API key", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
}

// jsonBody returns a JSON object of exactly size bytes.
func jsonBody(size int) []byte {
	const head, tail = `{"padding":"`, `"}`
	return []byte(head + strings.Repeat("x", size-len(head)-len(tail)) + tail)
}

// bareProxy is the reference: an httputil.ReverseProxy that injects the
// API key header and nothing else. A nil transport means
// http.DefaultTransport, which keeps at most 2 idle connections per host,
// as plugboard's egress transport does.
func bareProxy(upstream string, transport http.RoundTripper) http.Handler {
	target, err := url.Parse(upstream)
	if err != nil {
		log.Fatalf("invalid -upstream %q: %v", upstream, err)
	}
	return &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Header.Set(apiKeyName, apiKey)
		},
	}
}

// pooledTransport is http.DefaultTransport keeping up to 100 idle
// connections per host, so 50 concurrent requests reuse their upstream
// connections.
func pooledTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 100
	return t
}

func run(ctx context.Context, rounds benchkit.Rounds, serveArgs []string) error {
	dir, err := os.MkdirTemp("", "plugboard-bench-proxy-")
	if err != nil {
		return fmt.Errorf("creating work folder: %w", err)
	}
	defer os.RemoveAll(dir)

	upstream, err := benchkit.StartRole(ctx, "upstream", filepath.Join(dir, "upstream.log"), "-role", "upstream")
	if err != nil {
		return err
	}
	defer upstream.Stop()
	upstreamURL := "http://" + upstream.Addr
	bare, err := benchkit.StartRole(ctx, "bare proxy", filepath.Join(dir, "bare.log"), "-role", "bare", "-upstream", upstreamURL)
	if err != nil {
		return err
	}
	defer bare.Stop()
	pooled, err := benchkit.StartRole(ctx, "pooled bare proxy", filepath.Join(dir, "bare-pooled.log"),
		"-role", "bare-pooled", "-upstream", upstreamURL)
	if err != nil {
		return err
	}
	defer pooled.Stop()
	pb, err := benchkit.StartPlugboard(ctx, dir, adminToken, serveArgs)
	if err != nil {
		return err
	}
	defer pb.Stop()
	benchkit.LogProcesses(upstream, bare, pooled, pb)

	link, callerToken, err := createConnection(ctx, pb.Addr, upstreamURL)
	if err != nil {
		return err
	}

	configs := []benchkit.Config{
		{Name: "direct", Load: benchkit.Load{URL: upstreamURL + upstreamDoc, Header: http.Header{apiKeyName: {apiKey}}}},
		{Name: "bare", Load: benchkit.Load{URL: "http://" + bare.Addr + upstreamDoc}},
		{Name: "bare-pooled", Load: benchkit.Load{URL: "http://" + pooled.Addr + upstreamDoc}},
		{Name: "plugboard", Load: benchkit.Load{
			URL:    "http://" + pb.Addr + "/v1/connections/" + link + "/proxy" + upstreamDoc,
			Header: http.Header{"Authorization": {"Bearer " + callerToken}},
		}},
	}
	for i := range configs {
		configs[i].Load.WantStatus, configs[i].Load.WantBytes = http.StatusOK, bodySize
	}
	samples, err := benchkit.RunRounds(ctx, rounds, configs)
	if err != nil {
		return err
	}
	benchkit.WriteReport(os.Stdout, "Proxy", rounds, configs, samples, []string{"bare", "direct"})
	return nil
}

// createConnection creates an api_key service for the upstream, a
// connection to it, connects it with the key, and creates an API token
// for the admin, all through the API. It returns the connection's link
// name and the token. The load uses that token, not the admin token set
// through PLUGBOARD_ADMIN_TOKEN, because a token from POST /v1/tokens is
// what callers normally hold and it is found with one query fewer.
func createConnection(ctx context.Context, pbAddr, upstreamURL string) (link, token string, err error) {
	api := &benchkit.API{BaseURL: "http://" + pbAddr, Token: adminToken}
	service := map[string]any{
		"key": "bench_upstream", "name": "Bench upstream", "auth_type": "api_key",
		"api_key":      map[string]any{"params": []map[string]string{{"name": apiKeyName, "in": "header"}}},
		"api_base_url": upstreamURL,
	}
	if err := api.Do(ctx, "POST", "/v1/services", service, http.StatusCreated, nil); err != nil {
		return "", "", err
	}
	var conn struct {
		LinkName string `json:"link_name"`
	}
	if err := api.Do(ctx, "POST", "/v1/connections", map[string]any{"name": "Bench upstream", "service": "bench_upstream"},
		http.StatusCreated, &conn); err != nil {
		return "", "", err
	}
	connect := map[string]any{"credentials": map[string]string{apiKeyName: apiKey}}
	if err := api.Do(ctx, "POST", "/v1/connections/"+conn.LinkName+"/connect", connect, http.StatusOK, nil); err != nil {
		return "", "", err
	}
	var created struct {
		Token string `json:"token"`
	}
	if err := api.Do(ctx, "POST", "/v1/tokens", map[string]any{"name": "bench proxy caller"}, http.StatusCreated, &created); err != nil {
		return "", "", err
	}
	return conn.LinkName, created.Token, nil
}
