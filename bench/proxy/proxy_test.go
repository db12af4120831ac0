package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/plugboard/plugboard/bench/internal/benchkit"
	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/cached"
	"github.com/plugboard/plugboard/internal/store/sqlite"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// newPlugboardHandler wires plugboard's API handler as cmd/plugboard
// serve does, with SQLite in a temporary folder and logs at info level
// formatted and discarded, and connects an api_key connection to
// upstreamURL. With withCache unset, the store has no cache, as before
// the cache existed. It returns the handler, the connection's link name
// and an API token from POST /v1/tokens.
func newPlugboardHandler(b *testing.B, upstreamURL string, withCache bool) (http.Handler, string, string) {
	b.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	backend, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "plugboard.db"), logger)
	if err != nil {
		b.Fatalf("opening sqlite: %v", err)
	}
	b.Cleanup(func() { _ = backend.Close() })
	var st store.Store = backend
	if withCache {
		st = cached.New(backend, cached.Options{Staleness: cached.DefaultStaleness})
	}
	key, err := secrets.GenerateKey()
	if err != nil {
		b.Fatalf("generating master key: %v", err)
	}
	keyring, err := secrets.NewKeyring("bench", map[string][]byte{"bench": key})
	if err != nil {
		b.Fatalf("building keyring: %v", err)
	}
	if _, err := members.Bootstrap(ctx, st, adminToken, "", time.Now()); err != nil {
		b.Fatalf("bootstrapping: %v", err)
	}

	transport := egress.TransportOptions{AllowPrivate: true}
	auditLog := audit.New(st, logger, time.Now)
	manager := connections.New(connections.Options{
		Store: st, Keyring: keyring, PublicURL: "http://127.0.0.1:8080",
		HTTPClient: &http.Client{Transport: egress.NewTransport(transport)},
		Logger:     logger, RefreshSkew: connections.DefaultRefreshSkew, Audit: auditLog,
	})
	server := api.New(api.Options{
		Store: st, Connections: manager, Sender: egress.NewSender(transport, logger), Logger: logger,
		Members:  members.NewManager(members.Options{Store: st, Audit: auditLog, Credentials: manager, Logger: logger}),
		Audit:    auditLog,
		Webhooks: webhooks.New(webhooks.Options{Store: st, Keyring: keyring, Audit: auditLog, Logger: logger}),
	})
	handler := server.Handler()

	// The connection is created through the API on a loopback test server,
	// as the command does against the real binary.
	setup := httptest.NewServer(handler)
	defer setup.Close()
	host := setup.Listener.Addr().String()
	link, token, err := createConnection(ctx, host, upstreamURL)
	if err != nil {
		b.Fatalf("creating connection: %v", err)
	}
	return handler, link, token
}

// benchmarkHandler calls h in parallel with requests for target and fails
// on any status other than 200 or a body of the wrong size.
func benchmarkHandler(b *testing.B, h http.Handler, target string, header http.Header) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.RemoteAddr = "127.0.0.1:40000"
			for name, values := range header {
				req.Header[name] = values
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Body.Len() != bodySize {
				b.Errorf("status %d with %d bytes, expected 200 with %d", rec.Code, rec.Body.Len(), bodySize)
				return
			}
		}
	})
}

// BenchmarkPlugboardProxy drives plugboard's proxy handler in-process in
// front of a loopback upstream, with the store's cache as serve has it
// ("cached") and without ("uncached"); profile one with -cpuprofile.
func BenchmarkPlugboardProxy(b *testing.B) {
	for _, variant := range []struct {
		name      string
		withCache bool
	}{{"cached", true}, {"uncached", false}} {
		b.Run(variant.name, func(b *testing.B) {
			upstream := httptest.NewServer(upstreamHandler())
			defer upstream.Close()
			handler, link, token := newPlugboardHandler(b, upstream.URL, variant.withCache)
			benchmarkHandler(b, handler, "http://plugboard.test/v1/connections/"+link+"/proxy"+upstreamDoc,
				http.Header{"Authorization": {"Bearer " + token}})
		})
	}
}

// BenchmarkBareProxy drives the bare reverse proxy in-process in front of
// the same kind of upstream, for comparison.
func BenchmarkBareProxy(b *testing.B) {
	upstream := httptest.NewServer(upstreamHandler())
	defer upstream.Close()
	benchmarkHandler(b, bareProxy(upstream.URL, nil), "http://bare.test"+upstreamDoc, nil)
}

func TestJSONBodySize(t *testing.T) {
	body := jsonBody(bodySize)
	if got := len(body); got != bodySize {
		t.Errorf("len(jsonBody(%d)) = %d, want %d", bodySize, got, bodySize)
	}
}

func TestParseConnsRejectsZero(t *testing.T) {
	if _, err := benchkit.ParseConns("1,0"); err == nil {
		t.Error("ParseConns(\"1,0\") returned no error, want one for a zero count")
	}
}

// benchmarkOneConnection sends b.N requests for path to h, served on
// loopback TCP, one after another over one keep-alive connection, as the
// load generator's single-connection runs do.
func benchmarkOneConnection(b *testing.B, h http.Handler, path string, header http.Header) {
	server := httptest.NewServer(h)
	defer server.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req, _ := http.NewRequest(http.MethodGet, server.URL+path, nil)
		for name, values := range header {
			req.Header[name] = values
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatalf("request failed: %v", err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || n != bodySize {
			b.Fatalf("status %d with %d bytes, expected 200 with %d", resp.StatusCode, n, bodySize)
		}
	}
}

// BenchmarkOneConnection compares plugboard's proxy and the bare proxy
// over one loopback TCP connection, where per-request latency decides
// throughput.
func BenchmarkOneConnection(b *testing.B) {
	upstream := httptest.NewServer(upstreamHandler())
	defer upstream.Close()
	b.Run("plugboard", func(b *testing.B) {
		handler, link, token := newPlugboardHandler(b, upstream.URL, true)
		benchmarkOneConnection(b, handler, "/v1/connections/"+link+"/proxy"+upstreamDoc,
			http.Header{"Authorization": {"Bearer " + token}})
	})
	b.Run("bare", func(b *testing.B) {
		benchmarkOneConnection(b, bareProxy(upstream.URL, nil), upstreamDoc, nil)
	})
}
