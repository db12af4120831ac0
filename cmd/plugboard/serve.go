package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/api"
	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/cached"
	"github.com/plugboard/plugboard/internal/store/postgres"
	"github.com/plugboard/plugboard/internal/store/sqlite"
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
	// generation once per request.
	st := cached.New(backend, cached.Options{})

	keyring, _, err := secrets.LoadKeyring(secrets.LoadOptions{
		Key: c.MasterKey, KeyFile: c.MasterKeyFile, DataDir: c.DataDir, Logger: logger,
	})
	if err != nil {
		return err
	}

	boot, err := members.Bootstrap(ctx, st, c.AdminToken, time.Now())
	if err != nil {
		return err
	}
	if boot.Created {
		logger.Info("created org and admin user", "org", members.DefaultOrg, "user", members.AdminUsername)
		if boot.Token != "" {
			// Printed, not logged, so the token does not reach log storage.
			fmt.Fprintf(stderr, "\nThe admin's API token, shown only this once:\n\n    %s\n\n"+
				"Keep it safe. Set PLUGBOARD_ADMIN_TOKEN before the first start to choose it yourself.\n\n", boot.Token)
		}
	}

	transport := egress.TransportOptions{AllowPrivate: c.AllowPrivateEgress}
	if c.AllowPrivateEgress {
		logger.Warn("private egress is allowed: credentials may be sent to loopback and private addresses; use this only in development")
	}
	sender := egress.NewSender(transport, logger)
	skew := c.RefreshSkew
	if skew == 0 {
		skew = connections.NoRefreshSkew
	}
	auditLog := audit.New(st, logger, time.Now)
	hooks := webhooks.New(webhooks.Options{Store: st, Keyring: keyring, Audit: auditLog, Logger: logger})
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
	memberManager := members.NewManager(members.Options{Store: st, Audit: auditLog, Credentials: manager, Logger: logger})
	server := api.New(api.Options{
		Store: st, Connections: manager, Sender: sender, Logger: logger, Members: memberManager, Audit: auditLog,
		Webhooks: hooks,
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
		Handler:           server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go sweepStates(ctx, st, logger)
	workerDone := make(chan error, 1)
	go func() { workerDone <- worker.Run(ctx) }()
	refresher := &connections.Refresher{Manager: manager, Logger: logger}
	if usesPostgres(c) {
		refresher.Concurrency = postgresRefreshConcurrency
	}
	go func() { _ = refresher.Run(ctx) }()

	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(listener) }()
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
	// The worker stops with ctx once its in-flight deliveries are stored;
	// a delivery still running after the grace period is left to its lease.
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

// sweepStates deletes expired OAuth states every minute until ctx ends.
func sweepStates(ctx context.Context, st store.Store, logger *slog.Logger) {
	ticker := time.NewTicker(time.Minute)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			n, err := st.DeleteExpiredOAuthStates(ctx, time.Now())
			if err != nil && ctx.Err() == nil {
				logger.Warn("deleting expired oauth states failed", "err", err)
			} else if n > 0 {
				logger.Debug("deleted expired oauth states", "count", n)
			}
		}
	}
}
