package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/authz"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/functions"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/cached"
	"github.com/plugboard/plugboard/internal/store/postgres"
	"github.com/plugboard/plugboard/internal/store/sqlite"
	"github.com/plugboard/plugboard/internal/web"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// shutdownTimeout bounds how long in-flight requests may finish after
// SIGTERM.
const shutdownTimeout = 30 * time.Second

// postgresRefreshConcurrency is how many background refreshes run at once
// on PostgreSQL. In one round of 200 due credentials on the scale
// benchmark's machine, 8 at once doubled the refreshes per second.
const postgresRefreshConcurrency = 8

func usesPostgres(c config) bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

func openStore(ctx context.Context, c config, logger *slog.Logger) (store.Store, error) {
	if usesPostgres(c) {
		return postgres.Open(ctx, c.DatabaseURL, logger)
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data folder %q: %w", c.DataDir, err)
	}
	path := c.DatabaseURL
	if path == "" {
		path = filepath.Join(c.DataDir, "plugboard.db")
	}
	return sqlite.Open(ctx, path, logger)
}

func migrate(ctx context.Context, args []string, stderr io.Writer) error {
	c, logger, err := commandSetup("migrate", args, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c, logger)
	if err != nil {
		return err
	}
	logger.Info("database is up to date")
	return st.Close()
}

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	c, logger, err := commandSetup("serve", args, stderr)
	if err != nil {
		return err
	}

	backend, err := openStore(ctx, c, logger)
	if err != nil {
		return err
	}
	defer backend.Close()
	// API requests read tokens, users, connections, services and
	// credentials from memory, checked against the database's cache
	// generation at most once per request.
	st := cached.New(backend, cached.Options{Staleness: c.CacheStaleness})

	keyring, _, err := secrets.LoadKeyring(secrets.LoadOptions{
		Key: c.MasterKey, KeyFile: c.MasterKeyFile, DataDir: c.DataDir, Logger: logger,
	})
	if err != nil {
		return err
	}

	boot, err := members.Bootstrap(ctx, st, c.AdminToken, c.AdminPassword, time.Now())
	if err != nil {
		return err
	}
	if boot.Created {
		logger.Info("created org and admin user", "org", members.DefaultOrg, "user", members.AdminUsername)
		// Printed, not logged, so the token and password do not reach log
		// storage.
		if boot.Token != "" {
			fmt.Fprintf(stderr, "\nThe admin's API token, shown only this once:\n\n    %s\n\n"+
				"Keep it safe. Set PLUGBOARD_ADMIN_TOKEN before the first start to choose it yourself.\n\n", boot.Token)
		}
		if boot.Password != "" {
			fmt.Fprintf(stderr, "\nThe admin's password for the web UI (user %s), shown only this once:\n\n    %s\n\n"+
				"Keep it safe. Set PLUGBOARD_ADMIN_PASSWORD before the first start to choose it yourself.\n\n",
				members.AdminUsername, boot.Password)
		}
	}

	// Calls through the plugboard service go to the instance itself,
	// whose public URL is usually a loopback or private address.
	selfHost, err := egress.SelfHostPort(c.PublicURL)
	if err != nil {
		return fmt.Errorf("--public-url: %w", err)
	}
	transport := egress.TransportOptions{AllowPrivate: c.AllowPrivateEgress, SelfHost: selfHost}
	if c.AllowPrivateEgress {
		logger.Warn("private egress is allowed: credentials may be sent to loopback and private addresses; use this only in development")
	}
	sender := egress.NewSender(transport, logger)
	skew := c.RefreshSkew
	if skew == 0 {
		skew = connections.NoRefreshSkew
	}
	auditLog := audit.New(st, logger, time.Now)
	hooks := webhooks.New(webhooks.Options{Store: st, Keyring: keyring, Audit: auditLog, Logger: logger, PublicURL: c.PublicURL})
	manager := connections.New(connections.Options{
		Store:       st,
		Keyring:     keyring,
		PublicURL:   c.PublicURL,
		HTTPClient:  &http.Client{Transport: egress.NewTransport(transport)},
		Logger:      logger,
		RefreshSkew: skew,
		Audit:       auditLog,
		Events:      hooks.Publisher(),
	})
	// The op package of zitadel/oidc logs its protocol errors through
	// slog's default logger, so those lines join plugboard's log.
	slog.SetDefault(logger)
	memberManager := members.NewManager(members.Options{Store: st, Audit: auditLog, Credentials: manager, Logger: logger})
	fns := functions.New(functions.Options{
		Store: st, Connections: manager, Sender: sender, Audit: auditLog, Logger: logger, Now: time.Now,
	})
	ui, err := web.New(web.Options{
		Store: st, Connections: manager, Members: memberManager, Webhooks: hooks, Functions: fns, Audit: auditLog,
		Keyring: keyring, Logger: logger, PublicURL: c.PublicURL,
	})
	if err != nil {
		return err
	}
	authServer, err := authz.New(authz.Options{
		Store: st, Keyring: keyring, Applications: manager, PublicURL: c.PublicURL, Logger: logger,
		AccessTokenLifetime: c.AccessTokenTTL, RefreshTokenLifetime: c.RefreshTokenTTL,
		Hooks: consentHooks(ui), Audit: auditLog,
	})
	if err != nil {
		return err
	}
	if err := authServer.EnsureBuiltinClients(ctx); err != nil {
		return fmt.Errorf("registering the plugboard service's built-in clients: %w", err)
	}
	server := api.New(api.Options{
		Store: st, Connections: manager, Sender: sender, Logger: logger, Members: memberManager, Audit: auditLog,
		Webhooks: hooks, Functions: fns, Access: authServer, BrowserUser: ui.BrowserUser,
	})
	worker := &webhooks.Worker{
		Store: st, Keyring: keyring, Sender: sender, Calls: manager, Logger: logger,
		LeaseDuration: c.WebhookLease, BackoffBase: c.WebhookRetryBase,
	}

	listener, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", c.Addr, err)
	}
	httpServer := &http.Server{
		Handler:           mount(server.Handler(), authServer.Handler(), ui.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go sweepExpired(ctx, st, authServer, logger)
	workerDone := make(chan error, 1)
	go func() { workerDone <- worker.Run(ctx) }()
	// A retention of 0s keeps events forever, which a negative Retention
	// means to the pruner.
	pruner := &webhooks.Pruner{Store: st, Retention: c.EventRetention, Logger: logger}
	if c.EventRetention == 0 {
		pruner.Retention = -1
	}
	go pruner.Run(ctx)
	refresher := &connections.Refresher{Manager: manager, Logger: logger}
	if usesPostgres(c) {
		refresher.Concurrency = postgresRefreshConcurrency
	}
	go func() { _ = refresher.Run(ctx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(listener) }()
	if c.DebugAddr != "" {
		debugServer, err := startDebugServer(c.DebugAddr, logger)
		if err != nil {
			return err
		}
		defer debugServer.Close()
	}
	logger.Info("plugboard listening", "addr", listener.Addr().String(), "public_url", c.PublicURL,
		"redirect_uri", manager.RedirectURI())

	select {
	case err := <-serveErr:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := httpServer.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down: %w", err)
	}
	// The worker stops with ctx once its in-flight deliveries are stored.
	// A delivery still running after the grace period is left to its lease.
	select {
	case err := <-workerDone:
		if err != nil && !errors.Is(err, context.Canceled) {
			logger.Warn("webhook worker stopped with an error", "err", err)
		}
	case <-shutdownCtx.Done():
		logger.Warn("webhook deliveries still running at shutdown; another start sends them again after their lease")
	}
	logger.Info("stopped")
	return nil
}

// startDebugServer serves Go's profiler on addr until the returned server is
// closed.
func startDebugServer(addr string, logger *slog.Logger) (*http.Server, error) {
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--debug-addr: listening on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = server.Serve(listener) }()
	logger.Info("profiler listening", "addr", listener.Addr().String(), "path", "/debug/pprof/")
	return server, nil
}

// mount sends the API's paths (/v1/, the OAuth callback and the operations
// endpoints) to the API handler, the authorization server's paths to it,
// and every other path to the web UI.
func mount(apiHandler, authzHandler, webHandler http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, pattern := range []string{"/v1/", "/oauth/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(pattern, apiHandler)
	}
	mux.Handle(authz.PathPrefix+"/", authzHandler)
	mux.Handle(authz.MetadataPath, authzHandler)
	mux.Handle("/", webHandler)
	return mux
}

// sweepExpired deletes expired OAuth states, web sessions, secrets
// waiting for their one display, and authorization server requests and
// tokens, and sign-in failures older than the rate limit's window, every
// minute until ctx ends. It also
// registers the built-in client of orgs created since the start.
func sweepExpired(ctx context.Context, st store.Store, authServer *authz.Server, logger *slog.Logger) {
	ticker := time.NewTicker(time.Minute)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			now := time.Now()
			sweeps := []struct {
				rows string
				run  func() (int, error)
			}{
				{"expired oauth states", func() (int, error) { return st.DeleteExpiredOAuthStates(ctx, now) }},
				{"expired web sessions", func() (int, error) { return st.DeleteExpiredWebSessions(ctx, now) }},
				{"expired pending secrets", func() (int, error) { return st.DeleteExpiredPendingSecrets(ctx, now) }},
				{"old login failures", func() (int, error) { return st.DeleteLoginFailuresBefore(ctx, now.Add(-web.LoginFailureWindow)) }},
				{"expired authorization requests and tokens", func() (int, error) { return authServer.DeleteExpired(ctx) }},
			}
			for _, sweep := range sweeps {
				n, err := sweep.run()
				if err != nil && ctx.Err() == nil {
					logger.Warn("deleting "+sweep.rows+" failed", "err", err)
				} else if n > 0 {
					logger.Debug("deleted "+sweep.rows, "count", n)
				}
			}
			if err := authServer.EnsureBuiltinClients(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("registering built-in clients failed", "err", err)
			}
		}
	}
}
