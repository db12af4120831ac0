package webhooks

import (
	"context"
	"log/slog"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// Defaults of a Pruner.
const (
	DefaultEventRetention = 30 * 24 * time.Hour
	DefaultPruneInterval  = time.Hour
	// pruneBatch is the number of events deleted per transaction, so a
	// large backlog never holds a long write lock.
	pruneBatch = 500
)

// Pruner deletes events older than the retention, with their deliveries,
// once they have no pending delivery. Every instance may run one: two
// pruners at once delete each event once.
type Pruner struct {
	Store store.Store
	// Retention is how long events and their delivery log are kept; zero
	// means DefaultEventRetention and a negative value keeps them forever.
	Retention time.Duration
	// Interval is the wait between passes; zero means DefaultPruneInterval.
	Interval time.Duration
	Logger   *slog.Logger
	Now      func() time.Time
}

// Run prunes once at start and then every Interval until ctx ends.
func (p *Pruner) Run(ctx context.Context) {
	if p.Retention < 0 {
		return
	}
	interval := p.Interval
	if interval <= 0 {
		interval = DefaultPruneInterval
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		p.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

// RunOnce deletes every event that is past the retention and has no
// pending delivery, in batches, and returns how many it deleted.
func (p *Pruner) RunOnce(ctx context.Context) int {
	logger, now, retention := p.Logger, p.Now, p.Retention
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	if retention == 0 {
		retention = DefaultEventRetention
	}
	if retention < 0 {
		return 0
	}
	before := now().Add(-retention)
	total := 0
	for ctx.Err() == nil {
		n, err := p.Store.DeleteOldEvents(ctx, before, pruneBatch)
		if err != nil {
			logger.ErrorContext(ctx, "deleting old events failed", "before", before, "err", err)
			break
		}
		total += n
		if n < pruneBatch {
			break
		}
	}
	if total > 0 {
		logger.InfoContext(ctx, "deleted old events", "count", total, "before", before)
	}
	return total
}
