package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// Worker defaults.
const (
	DefaultPollInterval  = 500 * time.Millisecond
	DefaultConcurrency   = 4
	DefaultLeaseDuration = 2 * time.Minute
)

// CallPreparer prepares calls through a connection for a member;
// *connections.Manager implements it.
type CallPreparer interface {
	PrepareCall(ctx context.Context, actor connections.Actor, link string) (*connections.Call, error)
}

var _ CallPreparer = (*connections.Manager)(nil)

// Worker sends due deliveries of every org. Several workers, in one
// process or in several instances sharing a database, may run at once: a
// delivery is leased to one worker at a time. Set the fields before Run;
// zero fields get their defaults.
type Worker struct {
	Store   store.Store
	Keyring *secrets.Keyring
	Sender  *egress.Sender
	Calls   CallPreparer
	Logger  *slog.Logger
	Now     func() time.Time

	// PollInterval is the wait between looks for due deliveries when the
	// last look found no backlog.
	PollInterval time.Duration
	// Concurrency is the number of deliveries sent at once.
	Concurrency int
	// LeaseDuration is how long a claimed delivery stays leased. An attempt
	// is cut off after three quarters of it, so its result is stored
	// before another worker may claim the delivery.
	LeaseDuration time.Duration
	// BackoffBase is the wait ceiling after the first failed attempt, and
	// BackoffMax is the largest ceiling. Each further attempt doubles the
	// ceiling, and the wait is a random duration below it.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// Jitter returns a random wait from zero to its argument; nil means a
	// uniform random choice. Tests set it to get fixed waits.
	Jitter func(ceiling time.Duration) time.Duration
}

// workerConfig is a Worker's settings with the defaults filled in.
type workerConfig struct {
	logger        *slog.Logger
	now           func() time.Time
	poll          time.Duration
	concurrency   int
	lease         time.Duration
	backoffBase   time.Duration
	backoffMax    time.Duration
	jitter        func(time.Duration) time.Duration
	owner         string
	attemptLimit  time.Duration
	finishTimeout time.Duration
}

func (w *Worker) config() (*workerConfig, error) {
	if w.Store == nil || w.Sender == nil {
		return nil, errors.New("webhook worker needs a store and a sender")
	}
	c := &workerConfig{
		logger: w.Logger, now: w.Now, poll: w.PollInterval, concurrency: w.Concurrency, lease: w.LeaseDuration,
		backoffBase: w.BackoffBase, backoffMax: w.BackoffMax, jitter: w.Jitter,
	}

	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.poll <= 0 {
		c.poll = DefaultPollInterval
	}
	if c.concurrency <= 0 {
		c.concurrency = DefaultConcurrency
	}
	if c.lease <= 0 {
		c.lease = DefaultLeaseDuration
	}
	if c.backoffBase <= 0 {
		c.backoffBase = DefaultBackoffBase
	}
	if c.backoffMax <= 0 {
		c.backoffMax = DefaultBackoffMax
	}
	if c.jitter == nil {
		c.jitter = fullJitter
	}

	var id [8]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never returns an error.
	c.owner = "worker-" + hex.EncodeToString(id[:])
	c.attemptLimit = c.lease * 3 / 4
	c.finishTimeout = c.lease - c.attemptLimit
	return c, nil
}

// Run claims and sends due deliveries until ctx ends, then waits for the
// sends in flight to finish and store their results, and returns nil. It
// returns an error only when the Worker lacks its store or sender.
func (w *Worker) Run(ctx context.Context) error {
	cfg, err := w.config()
	if err != nil {
		return err
	}
	cfg.logger.InfoContext(ctx, "webhook worker started", "owner", cfg.owner, "concurrency", cfg.concurrency)

	// Sends in flight finish after ctx ends; each is bounded by the
	// attempt limit instead.
	sendCtx := context.WithoutCancel(ctx)
	done := make(chan struct{}, cfg.concurrency)
	running := 0
	ticker := time.NewTicker(cfg.poll)
	defer ticker.Stop()
	claims := claimLog{logger: cfg.logger}

	for {
		backlog := false
		if free := cfg.concurrency - running; free > 0 && ctx.Err() == nil {
			now := cfg.now()
			batch, err := w.Store.ClaimDeliveries(ctx, cfg.owner, now, now.Add(cfg.lease), free)
			claims.result(ctx, err)
			for _, d := range batch {
				running++
				go func() {
					defer func() { done <- struct{}{} }()
					w.deliver(sendCtx, cfg, d)
				}()
			}
			backlog = err == nil && len(batch) == free
		}

		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				for ; running > 0; running-- {
					<-done
				}
				cfg.logger.Info("webhook worker stopped", "owner", cfg.owner)
				return nil
			case <-done:
				running--
				// With a backlog, a free slot is filled at once.
				waiting = !backlog
			case <-ticker.C:
				waiting = false
			}
		}
	}
}

// claimLog logs the first of a run of failed claims as an error and the
// repeats at debug level, so a database outage logs once per outage.
type claimLog struct {
	logger  *slog.Logger
	failing bool
}

func (c *claimLog) result(ctx context.Context, err error) {
	switch {
	case err != nil && ctx.Err() != nil:
		// The worker is stopping.
	case err != nil && !c.failing:
		c.failing = true
		c.logger.ErrorContext(ctx, "claiming webhook deliveries failed; retrying every poll interval", "err", err)
	case err != nil:
		c.logger.DebugContext(ctx, "claiming webhook deliveries failed again", "err", err)
	case c.failing:
		c.failing = false
		c.logger.InfoContext(ctx, "claiming webhook deliveries works again")
	}
}

// deliver makes one attempt at a claimed delivery and stores its outcome.
func (w *Worker) deliver(ctx context.Context, cfg *workerConfig, d store.Delivery) {
	logger := cfg.logger.With("org_id", d.OrgID, "delivery_id", d.ID, "webhook_id", d.WebhookID)

	// A failed read leaves the delivery leased, and a later claim retries
	// it once the lease lapses.
	hook, err := w.Store.GetWebhook(ctx, d.OrgID, d.WebhookID)
	if errors.Is(err, store.ErrNotFound) {
		// The webhook was deleted after the claim, and its deliveries with it.
		logger.InfoContext(ctx, "delivery dropped: its webhook was deleted")
		return
	}
	if err != nil {
		logger.ErrorContext(ctx, "reading webhook of a delivery failed", "err", err)
		return
	}
	event, err := w.Store.GetEvent(ctx, d.OrgID, d.EventID)
	if err != nil {
		logger.ErrorContext(ctx, "reading event of a delivery failed", "event_id", d.EventID, "err", err)
		return
	}

	attemptCtx, cancel := context.WithTimeout(ctx, cfg.attemptLimit)
	out := w.attempt(attemptCtx, cfg, hook, event, d)
	cancel()

	finishCtx, cancel := context.WithTimeout(ctx, cfg.finishTimeout)
	defer cancel()
	w.finish(finishCtx, cfg, logger, hook, d, out)
	// A test send reports its status to the member who sent it and
	// changes nothing.
	if out.err == nil && out.statusCode == http.StatusGone && event.Type != EventTest {
		w.disableGone(finishCtx, logger, hook, cfg.now())
	}
}

// finish stores an attempt's outcome and decides the delivery's next state.
func (w *Worker) finish(ctx context.Context, cfg *workerConfig, logger *slog.Logger, hook store.Webhook, d store.Delivery, out outcome) {
	maxAttempts := hook.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	now := cfg.now()
	stored, err := w.Store.FinishDelivery(ctx, d.OrgID, d.ID, cfg.owner, func(cur *store.Delivery) error {
		cur.Attempts++
		cur.LastStatusCode = out.statusCode
		cur.LastError = out.errorText()
		cur.LastDuration = out.duration
		cur.LastResponse = responseExcerpt(out.body)
		cur.UpdatedAt = now
		switch {
		case out.succeeded():
			cur.Status = store.DeliverySucceeded
			cur.DeliveredAt = now
		case out.retry && cur.Attempts < maxAttempts:
			cur.Status = store.DeliveryPending
			cur.NextAttemptAt = now.Add(out.wait(cur.Attempts, cfg))
		default:
			cur.Status = store.DeliveryFailed
		}
		return nil
	})
	if errors.Is(err, store.ErrLeaseLost) {
		logger.WarnContext(ctx, "delivery result not stored: the lease passed to another worker or the webhook was deleted",
			"status", out.statusCode)
		return
	}
	if err != nil {
		logger.ErrorContext(ctx, "storing delivery result failed", "err", err)
		return
	}

	attrs := []any{"attempts", stored.Attempts, "status", out.statusCode, "duration", out.duration}
	switch stored.Status {
	case store.DeliverySucceeded:
		logger.DebugContext(ctx, "delivery succeeded", attrs...)
	case store.DeliveryPending:
		logger.InfoContext(ctx, "delivery attempt failed; retrying later",
			append(attrs, "next_attempt_at", stored.NextAttemptAt, "err", stored.LastError)...)
	default:
		logger.WarnContext(ctx, "delivery failed", append(attrs, "err", stored.LastError)...)
	}
}

// disableGone disables a webhook whose receiver returned 410 Gone, the
// status for an endpoint removed for good. Its pending deliveries then fail
// without being sent, until a member enables the webhook again.
func (w *Worker) disableGone(ctx context.Context, logger *slog.Logger, hook store.Webhook, now time.Time) {
	reason := "the receiver returned 410 Gone at " + now.UTC().Format(time.RFC3339) + "; enable the webhook again once its URL works"
	_, err := w.Store.UpdateWebhook(ctx, hook.OrgID, hook.ID, func(h *store.Webhook) error {
		if !h.Enabled {
			return errAlreadyDisabled
		}
		h.Enabled, h.DisabledReason, h.UpdatedAt = false, reason, now
		return nil
	})
	switch {
	case errors.Is(err, errAlreadyDisabled), errors.Is(err, store.ErrNotFound):
	case err != nil:
		logger.ErrorContext(ctx, "disabling a gone webhook failed", "org_id", hook.OrgID, "webhook_id", hook.ID, "err", err)
	default:
		logger.WarnContext(ctx, "webhook disabled: its receiver returned 410 Gone", "org_id", hook.OrgID, "webhook_id", hook.ID)
	}
}

// errAlreadyDisabled stops an update of a webhook that is disabled already.
var errAlreadyDisabled = errors.New("webhook already disabled")

// wait returns the wait before the next attempt after attempts failed ones.
func (o outcome) wait(attempts int, cfg *workerConfig) time.Duration {
	if o.hasRetryAfter {
		return o.retryAfter
	}
	return backoff(attempts, cfg.backoffBase, cfg.backoffMax, cfg.jitter)
}

// maxResponseExcerpt is how much of a response body a delivery keeps.
const maxResponseExcerpt = 4 << 10

// responseExcerpt returns the first 4 KiB of a response body as text that
// any database stores: invalid UTF-8 becomes U+FFFD and NUL bytes are
// dropped.
func responseExcerpt(body []byte) string {
	if len(body) > maxResponseExcerpt {
		body = body[:maxResponseExcerpt]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(string(body), "\uFFFD"), "\x00", "")
}
