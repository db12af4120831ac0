// Command credential measures plugboard's credential fetch
// (GET /v1/connections/{link}/credential) for a connected OAuth
// connection, against a static handler that only checks the API token's
// SHA-256 and returns a fixed token.
//
// Run it from the module root:
//
//	go run ./bench/credential
//
// It builds cmd/plugboard, starts a fake OAuth token endpoint, the static
// handler and plugboard as child processes on 127.0.0.1, creates a custom
// oauth2 service, an application and a connection through plugboard's
// API, completes the authorization code flow through /oauth/callback, and
// creates an API token with the credentials:read permission. It then
// loads both endpoints in turn, round after round, and prints Markdown
// tables. Every child is stopped by its PID before the program exits.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/plugboard/plugboard/bench/internal/benchkit"
)

const (
	adminToken   = "pb_bench_admin_token_0123456789abcdef"
	clientID     = "bench-client"
	clientSecret = "bench-client-secret"
	// authCode is the only authorization code the fake token endpoint
	// accepts.
	authCode    = "bench-authorization-code"
	accessToken = "bench-access-token-0123456789abcdef"
	// staticToken is the API token the static handler accepts.
	staticToken = "pb_bench_static_token_0123456789abcdef"
)

func main() {
	role := flag.String("role", "", "internal: run as a child server role (oauth or static)")
	addr := flag.String("addr", "127.0.0.1:0", "internal: address a child role listens on")
	roundFlags := benchkit.DefineRoundFlags()
	serveFlags := benchkit.DefineServeFlags()
	flag.Parse()

	switch *role {
	case "oauth":
		log.Fatal(benchkit.Serve(*addr, tokenEndpoint()))
	case "static":
		log.Fatal(benchkit.Serve(*addr, staticCredential()))
	case "":
	default:
		log.Fatalf("unknown -role %q; use oauth or static", *role)
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

// tokenEndpoint is a fake OAuth 2.0 token endpoint: it exchanges authCode
// for an access token valid for a day, so no refresh happens during a run.
func tokenEndpoint() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "invalid form", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("grant_type") != "authorization_code" || r.PostForm.Get("code") != authCode ||
			r.PostForm.Get("client_id") != clientID || r.PostForm.Get("client_secret") != clientSecret {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": accessToken, "token_type": "Bearer", "expires_in": 86400,
			"refresh_token": "bench-refresh-token", "scope": "read",
		})
	})
	return mux
}

// staticCredential is the reference: it checks the bearer token against a
// stored SHA-256, as an API token check does, and returns a fixed
// credential document.
func staticCredential() http.Handler {
	want := sha256.Sum256([]byte(staticToken))
	expiresAt := time.Now().Add(24 * time.Hour).UTC()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		got := sha256.Sum256([]byte(token))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			http.Error(w, "invalid token", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": accessToken, "token_type": "Bearer", "scopes": []string{"read"}, "expires_at": expiresAt,
		})
	})
}

func run(ctx context.Context, rounds benchkit.Rounds, serveArgs []string) error {
	dir, err := os.MkdirTemp("", "plugboard-bench-credential-")
	if err != nil {
		return fmt.Errorf("creating work folder: %w", err)
	}
	defer os.RemoveAll(dir)

	oauth, err := benchkit.StartRole(ctx, "oauth token endpoint", filepath.Join(dir, "oauth.log"), "-role", "oauth")
	if err != nil {
		return err
	}
	defer oauth.Stop()
	static, err := benchkit.StartRole(ctx, "static handler", filepath.Join(dir, "static.log"), "-role", "static")
	if err != nil {
		return err
	}
	defer static.Stop()
	pb, err := benchkit.StartPlugboard(ctx, dir, adminToken, serveArgs)
	if err != nil {
		return err
	}
	defer pb.Stop()
	benchkit.LogProcesses(oauth, static, pb)

	link, readToken, err := connectOAuth(ctx, pb.Addr, "http://"+oauth.Addr)
	if err != nil {
		return err
	}

	configs := []benchkit.Config{
		{Name: "static", Load: benchkit.Load{
			URL:        "http://" + static.Addr + "/v1/connections/" + link + "/credential",
			Header:     http.Header{"Authorization": {"Bearer " + staticToken}},
			WantStatus: http.StatusOK,
		}},
		{Name: "plugboard", Load: benchkit.Load{
			URL:        "http://" + pb.Addr + "/v1/connections/" + link + "/credential",
			Header:     http.Header{"Authorization": {"Bearer " + readToken}},
			WantStatus: http.StatusOK,
		}},
	}
	samples, err := benchkit.RunRounds(ctx, rounds, configs)
	if err != nil {
		return err
	}
	benchkit.WriteReport(os.Stdout, "Credential fetch", rounds, configs, samples, []string{"static"})
	return nil
}

// connectOAuth creates an oauth2 service whose token endpoint is the fake
// one, an application and a connection, completes the authorization code
// flow, and creates an API token with the credentials:read permission. It
// returns the link name and that token.
func connectOAuth(ctx context.Context, pbAddr, oauthURL string) (link, token string, err error) {
	api := &benchkit.API{BaseURL: "http://" + pbAddr, Token: adminToken}
	service := map[string]any{
		"key": "bench_oauth", "name": "Bench OAuth", "auth_type": "oauth2",
		"oauth2": map[string]any{
			"authorization_url": oauthURL + "/authorize", "token_url": oauthURL + "/token",
			"token_auth_method": "client_secret_post", "pkce": true,
		},
		"scopes":       []map[string]string{{"name": "read"}},
		"api_base_url": oauthURL + "/api",
	}
	if err := api.Do(ctx, "POST", "/v1/services", service, http.StatusCreated, nil); err != nil {
		return "", "", err
	}
	app := map[string]any{"service": "bench_oauth", "name": "Bench", "client_id": clientID, "client_secret": clientSecret}
	if err := api.Do(ctx, "POST", "/v1/applications", app, http.StatusCreated, nil); err != nil {
		return "", "", err
	}
	var conn struct {
		LinkName string `json:"link_name"`
		Status   string `json:"status"`
	}
	if err := api.Do(ctx, "POST", "/v1/connections",
		map[string]any{"name": "Bench OAuth", "service": "bench_oauth", "scopes": []string{"read"}},
		http.StatusCreated, &conn); err != nil {
		return "", "", err
	}
	if err := benchkit.Authorize(ctx, api, conn.LinkName, authCode); err != nil {
		return "", "", err
	}
	if err := api.Do(ctx, "GET", "/v1/connections/"+conn.LinkName, nil, http.StatusOK, &conn); err != nil {
		return "", "", err
	}
	if conn.Status != "connected" {
		return "", "", fmt.Errorf("connection %q is %q after the callback, expected connected", conn.LinkName, conn.Status)
	}

	var created struct {
		Token string `json:"token"`
	}
	tokenInput := map[string]any{"name": "bench credential reader", "permissions": []string{"credentials:read"}}
	if err := api.Do(ctx, "POST", "/v1/tokens", tokenInput, http.StatusCreated, &created); err != nil {
		return "", "", err
	}
	return conn.LinkName, created.Token, nil
}
