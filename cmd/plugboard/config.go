package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/authz"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store/cached"
	"github.com/plugboard/plugboard/internal/webhooks"
)

// config is the server configuration. Every flag has an environment twin,
// which gives the default; a flag on the command line wins.
type config struct {
	Addr               string
	DataDir            string
	PublicURL          string
	DatabaseURL        string
	AllowPrivateEgress bool
	RefreshSkew        time.Duration
	WebhookRetryBase   time.Duration
	WebhookLease       time.Duration
	EventRetention     time.Duration
	AccessTokenTTL     time.Duration
	RefreshTokenTTL    time.Duration
	LogLevel           string
	LogFormat          string
	CacheStaleness     time.Duration
	DebugAddr          string
	MasterKey          string
	MasterKeyFile      string
	AdminToken         string
	AdminPassword      string
}

func parseConfig(name string, args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", envOr("PLUGBOARD_ADDR", "127.0.0.1:8080"),
		"address to listen on, host:port (env PLUGBOARD_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", envOr("PLUGBOARD_DATA_DIR", "./plugboard-data"),
		"folder for the SQLite database and the generated master key (env PLUGBOARD_DATA_DIR)")
	fs.StringVar(&c.PublicURL, "public-url", os.Getenv("PLUGBOARD_PUBLIC_URL"),
		"external base URL of this instance; the OAuth redirect URI is this plus /oauth/callback (env PLUGBOARD_PUBLIC_URL, default http:// + addr)")
	fs.StringVar(&c.DatabaseURL, "database-url", os.Getenv("PLUGBOARD_DATABASE_URL"),
		"database: a postgres:// URL selects PostgreSQL, anything else is a SQLite file path; empty means plugboard.db in the data folder (env PLUGBOARD_DATABASE_URL)")
	allowPrivate, err := envBool("PLUGBOARD_ALLOW_PRIVATE_EGRESS")
	if err != nil {
		return config{}, err
	}
	fs.BoolVar(&c.AllowPrivateEgress, "allow-private-egress", allowPrivate,
		"allow outgoing requests to loopback, private and link-local addresses, for development and tests (env PLUGBOARD_ALLOW_PRIVATE_EGRESS=true)")
	skew, err := envDuration("PLUGBOARD_REFRESH_SKEW", connections.DefaultRefreshSkew)
	if err != nil {
		return config{}, err
	}
	fs.DurationVar(&c.RefreshSkew, "refresh-skew", skew,
		"refresh an access token when it expires within this duration, such as 60s (env PLUGBOARD_REFRESH_SKEW)")
	retryBase, err := envDuration("PLUGBOARD_WEBHOOK_RETRY_BASE", 5*time.Second)
	if err != nil {
		return config{}, err
	}
	fs.DurationVar(&c.WebhookRetryBase, "webhook-retry-base", retryBase,
		"wait ceiling after a webhook delivery's first failed attempt; it doubles with each attempt up to one hour (env PLUGBOARD_WEBHOOK_RETRY_BASE)")
	lease, err := envDuration("PLUGBOARD_WEBHOOK_LEASE", 2*time.Minute)
	if err != nil {
		return config{}, err
	}
	fs.DurationVar(&c.WebhookLease, "webhook-lease", lease,
		"how long an instance holds a webhook delivery it is sending; a delivery of an instance that died is sent again after it (env PLUGBOARD_WEBHOOK_LEASE)")
	retention, err := envDuration("PLUGBOARD_EVENT_RETENTION", webhooks.DefaultEventRetention)
	if err != nil {
		return config{}, err
	}
	fs.DurationVar(&c.EventRetention, "event-retention", retention,
		"how long events and their delivery log are kept once no delivery is pending, such as 720h; 0s keeps them forever (env PLUGBOARD_EVENT_RETENTION)")
	accessTTL, err := envDuration("PLUGBOARD_OAUTH2_ACCESS_TOKEN_LIFETIME", authz.DefaultAccessTokenLifetime)
	if err != nil {
		return config{}, err
	}
	fs.DurationVar(&c.AccessTokenTTL, "oauth2-access-token-lifetime", accessTTL,
		"lifetime of the access tokens that plugboard's own authorization server issues, such as 1h (env PLUGBOARD_OAUTH2_ACCESS_TOKEN_LIFETIME)")
	refreshTTL, err := envDuration("PLUGBOARD_OAUTH2_REFRESH_TOKEN_LIFETIME", authz.DefaultRefreshTokenLifetime)
	if err != nil {
		return config{}, err
	}
	fs.DurationVar(&c.RefreshTokenTTL, "oauth2-refresh-token-lifetime", refreshTTL,
		"lifetime of the refresh tokens that plugboard's own authorization server issues, such as 720h (env PLUGBOARD_OAUTH2_REFRESH_TOKEN_LIFETIME)")
	staleness, err := envDuration("PLUGBOARD_CACHE_STALENESS", cached.DefaultStaleness)
	if err != nil {
		return config{}, err
	}
	fs.DurationVar(&c.CacheStaleness, "cache-staleness", staleness,
		"how long a change committed by another instance may take to reach this instance's in-memory copies, such as 10ms; 0s checks the database on every request (env PLUGBOARD_CACHE_STALENESS)")
	fs.StringVar(&c.DebugAddr, "debug-addr", os.Getenv("PLUGBOARD_DEBUG_ADDR"),
		"loopback host:port that serves Go's profiler under /debug/pprof/, such as 127.0.0.1:6060; empty serves none (env PLUGBOARD_DEBUG_ADDR)")
	fs.StringVar(&c.LogLevel, "log-level", envOr("PLUGBOARD_LOG_LEVEL", "info"),
		"log level: debug, info, warn or error (env PLUGBOARD_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", envOr("PLUGBOARD_LOG_FORMAT", "text"),
		"log format: text or json (env PLUGBOARD_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, errHelp
		}
		return config{}, errUsage
	}
	if c.WebhookRetryBase <= 0 || c.WebhookLease <= 0 {
		return config{}, fmt.Errorf("--webhook-retry-base and --webhook-lease must be positive durations such as 5s")
	}
	if c.EventRetention < 0 {
		return config{}, fmt.Errorf("--event-retention %s is negative; use 0s to keep events forever, or a duration such as 720h", c.EventRetention)
	}
	if c.AccessTokenTTL <= 0 || c.RefreshTokenTTL <= 0 {
		return config{}, fmt.Errorf("--oauth2-access-token-lifetime and --oauth2-refresh-token-lifetime must be positive durations such as 1h")
	}
	if c.CacheStaleness < 0 {
		return config{}, fmt.Errorf("--cache-staleness %s is negative; use 0s to check the database on every request, or a duration such as 10ms", c.CacheStaleness)
	}
	if c.DebugAddr != "" {
		if err := checkDebugAddr(c.DebugAddr); err != nil {
			return config{}, err
		}
	}
	if c.RefreshSkew < 0 {
		return config{}, fmt.Errorf("--refresh-skew %s is negative; use 0s or more", c.RefreshSkew)
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q; %s takes only flags", fs.Arg(0), name)
	}

	c.MasterKey = os.Getenv("PLUGBOARD_MASTER_KEY")
	c.MasterKeyFile = os.Getenv("PLUGBOARD_MASTER_KEY_FILE")
	c.AdminToken = os.Getenv("PLUGBOARD_ADMIN_TOKEN")
	c.AdminPassword = os.Getenv("PLUGBOARD_ADMIN_PASSWORD")
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return config{}, fmt.Errorf("--addr %q is not host:port; give one such as 127.0.0.1:8080, or :8080 for every interface", c.Addr)
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.Addr
	}
	c.PublicURL = strings.TrimSuffix(c.PublicURL, "/")
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config{}, fmt.Errorf("--public-url %q is not an absolute http or https URL; give the address browsers use, such as http://127.0.0.1:8080", c.PublicURL)
	}
	return c, nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func envBool(name string) (bool, error) {
	v := os.Getenv(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a boolean; use true or false", name, v)
	}
	return b, nil
}

func envDuration(name string, fallback time.Duration) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return fallback, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q is not a duration; use a value such as 60s", name, v)
	}
	return d, nil
}

func newLogger(c config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level %q is not valid; use debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q is not valid; use text or json", c.LogFormat)
}

// checkDebugAddr accepts only a loopback address, because the profiler
// shows memory and goroutine stacks that may hold secrets.
func checkDebugAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--debug-addr %q is not host:port; give a loopback address such as 127.0.0.1:6060", addr)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("--debug-addr %q is not a loopback address; the profiler may show secrets, so give one such as 127.0.0.1:6060", addr)
	}
	return nil
}
