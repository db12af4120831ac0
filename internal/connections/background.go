package connections

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Defaults of the background refresher.
const (
	DefaultRefreshInterval  = time.Minute
	DefaultRefreshAhead     = 10 * time.Minute
	DefaultRefreshIdleAfter = 30 * 24 * time.Hour
	DefaultServiceRate      = 2 // token requests per second per service
	// refreshBatch is the number of due credentials read at a time.
	refreshBatch = 200
	// transientBackoff is how long a credential whose last refresh failed
	// transiently waits before the background refresher tries again.
	transientBackoff = 5 * time.Minute
)

// Refresher renews credentials in the background: access tokens that expire
// within Ahead, and idle credentials that no call refreshed for IdleAfter,
// before providers end refresh tokens for inactivity. Token requests to one
// service are spaced to at most ServiceRate per second. It uses the same
// lease as calls do, so a background refresh and a call never both spend a
// refresh token, across instances too.
type Refresher struct {
	Manager     *Manager
	Interval    time.Duration
	Ahead       time.Duration
	IdleAfter   time.Duration
	ServiceRate float64
	// Concurrency is how many refreshes of a round run at once; zero means
	// one. Each refresh waits for a token endpoint and two commits, which
	// PostgreSQL runs side by side. SQLite runs one writer at a time, and
	// there more than one only adds lock waits.
	Concurrency int
	Logger      *slog.Logger
}

// Run refreshes due credentials every Interval until ctx ends.
func (r *Refresher) Run(ctx context.Context) error {
	interval := orDefault(r.Interval, DefaultRefreshInterval)
	logger := r.Logger
	if logger == nil {
		logger = r.Manager.logger
	}
	limiter := NewServiceLimiter(r.ServiceRate, r.Manager.now)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		n, err := r.RunOnce(ctx, limiter)
		if err != nil && ctx.Err() == nil {
			logger.Warn("background refresh round failed", "err", err)
		} else if n > 0 {
			logger.Debug("background refresh round", "refreshed", n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// RunOnce refreshes the credentials due now, in batches, and returns how
// many it renewed. A nil limiter spaces nothing. The pass ends when no
// credential is due or when a whole batch was skipped (held back by the
// limiter, backing off after a transient failure, or deleted), so a
// skipped credential waits for the next pass.
func (r *Refresher) RunOnce(ctx context.Context, limiter *ServiceLimiter) (int, error) {
	total := 0
	for {
		n, listed, err := r.runBatch(ctx, limiter)
		total += n
		if err != nil || listed < refreshBatch || n == 0 {
			return total, err
		}
	}
}

// runBatch refreshes one batch of due credentials and returns how many it
// renewed and how many were listed.
func (r *Refresher) runBatch(ctx context.Context, limiter *ServiceLimiter) (int, int, error) {
	m := r.Manager
	now := m.now()
	ahead := orDefault(r.Ahead, DefaultRefreshAhead)
	idleBefore := now.Add(-orDefault(r.IdleAfter, DefaultRefreshIdleAfter))
	due, err := m.store.ListRefreshDue(ctx, now, now.Add(ahead), idleBefore, refreshBatch)
	if err != nil {
		return 0, 0, err
	}
	concurrency := max(r.Concurrency, 1)
	var refreshed atomic.Int64
	work := make(chan store.Credential)
	var wg sync.WaitGroup
	for range min(concurrency, len(due)) {
		wg.Go(func() {
			for cred := range work {
				if r.refreshOne(ctx, cred, now, ahead, idleBefore, limiter) {
					refreshed.Add(1)
				}
			}
		})
	}
	for _, cred := range due {
		if ctx.Err() != nil {
			break
		}
		work <- cred
	}
	close(work)
	wg.Wait()
	return int(refreshed.Load()), len(due), ctx.Err()
}

// refreshOne renews one due credential of a round and reports whether it
// did. It skips a credential that failed transiently within
// transientBackoff, was deleted, or whose service the limiter holds back.
func (r *Refresher) refreshOne(ctx context.Context, cred store.Credential, now time.Time, ahead time.Duration, idleBefore time.Time, limiter *ServiceLimiter) bool {
	m := r.Manager
	if cred.LastErrorClass == ErrorClassTransient && now.Sub(cred.LastErrorAt) < transientBackoff {
		return false
	}
	conn, err := m.store.GetConnectionByID(ctx, cred.OrgID, cred.ConnectionID)
	if err != nil {
		return false // deleted since the list was read
	}
	if limiter != nil && !limiter.allow(conn.ServiceKey) {
		return false // the next round takes it
	}
	svc, err := m.connectionService(ctx, conn)
	if err != nil {
		m.logger.Warn("background refresh skipped: service unavailable", "org_id", conn.OrgID,
			"connection", conn.LinkName, "err", err)
		return false
	}
	_, err = m.refreshFor(ctx, conn, svc, cred.UserID, refreshReason{within: ahead, idleBefore: idleBefore})
	if err != nil {
		var p *problem.Error
		if !errors.As(err, &p) {
			m.logger.Warn("background refresh failed", "org_id", conn.OrgID, "connection", conn.LinkName,
				"user_id", cred.UserID, "err", err)
		}
		return false
	}
	return true
}

func orDefault(d, fallback time.Duration) time.Duration {
	if d <= 0 {
		return fallback
	}
	return d
}

// ServiceLimiter spaces token requests to each service.
type ServiceLimiter struct {
	mu      sync.Mutex
	spacing time.Duration
	next    map[string]time.Time
	now     func() time.Time
}

// NewServiceLimiter returns a limiter of perSecond token requests per
// service; zero or less means DefaultServiceRate.
func NewServiceLimiter(perSecond float64, now func() time.Time) *ServiceLimiter {
	if perSecond <= 0 {
		perSecond = DefaultServiceRate
	}
	return &ServiceLimiter{
		spacing: time.Duration(float64(time.Second) / perSecond),
		next:    map[string]time.Time{},
		now:     now,
	}
}

// allow reports whether a request to service may go now, and if so books
// the next slot.
func (l *ServiceLimiter) allow(service string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Before(l.next[service]) {
		return false
	}
	l.next[service] = now.Add(l.spacing)
	return true
}
