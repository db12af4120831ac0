// Package audit keeps an org's audit log: who did what to which record,
// when and from which address. The members, connections and webhooks code
// record entries through a Log; admins read the log through
// GET /v1/audit. Only admins may read it, because entries name members,
// connections, tokens and addresses across the whole org.
package audit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// Actions recorded in the audit log. Connection and webhook entries are
// recorded by the connections and webhooks packages with these names.
const (
	ActionUserCreated = "user.created"
	ActionUserUpdated = "user.updated"
	ActionUserDeleted = "user.deleted"
	// ActionUserPasswordSet records that an admin set a member's password.
	ActionUserPasswordSet = "user.password_set"
	ActionTokenCreated    = "token.created"
	ActionTokenDeleted    = "token.deleted"

	ActionConnectionCreated   = "connection.created"
	ActionConnectionUpdated   = "connection.updated"
	ActionConnectionConnected = "connection.connected"
	ActionConnectionRevoked   = "connection.revoked"
	ActionConnectionDeleted   = "connection.deleted"
	ActionCredentialRead      = "credential.read"

	ActionWebhookCreated = "webhook.created"
	ActionWebhookUpdated = "webhook.updated"
	ActionWebhookDeleted = "webhook.deleted"

	// A member's Accept or Deny on the consent page of plugboard's own
	// authorization server, recorded by the authz package.
	ActionConsentAccepted = "oauth2.consent_accepted"
	ActionConsentDenied   = "oauth2.consent_denied"
)

// maxBatch bounds the entries that one append stores.
const maxBatch = 256

// Log appends entries to the audit log and reads them back.
type Log struct {
	store  store.Store
	logger *slog.Logger
	now    func() time.Time

	mu      sync.Mutex
	queue   []pending
	writing bool
}

// pending is an entry that waits to be stored, and where its outcome goes.
type pending struct {
	entry store.AuditEntry
	done  chan error
}

// New returns a Log. A nil logger discards, and a nil now means time.Now.
func New(st store.Store, logger *slog.Logger, now func() time.Time) *Log {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Log{store: st, logger: logger, now: now}
}

// Record appends an entry, filling its ID, its time and, when they are
// empty, its remote address from ctx (see WithRemoteAddr). It never fails
// the caller: the action has happened, so an append error is logged at
// Error level with the action and the org. The append outlives the
// cancellation of ctx, so a client that hangs up does not erase its trace.
func (l *Log) Record(ctx context.Context, entry store.AuditEntry) {
	now := l.now().UTC()
	if entry.ID == "" {
		entry.ID = store.NewSortableID(now)
	}
	if entry.At.IsZero() {
		entry.At = now
	}
	if entry.RemoteAddr == "" {
		entry.RemoteAddr = RemoteAddr(ctx)
	}
	if err := l.append(context.WithoutCancel(ctx), entry); err != nil {
		l.logger.Error("recording audit entry failed", "org_id", entry.OrgID, "action", entry.Action,
			"user_id", entry.ActorID, "err", err)
	}
}

// append stores entry and returns once it is stored. Concurrent callers
// share transactions (group commit): the caller that finds no append
// running stores every entry queued meanwhile, in batches of up to
// maxBatch, until the queue is empty. The others wait for their batch. A
// batch that fails is stored again entry by entry, so one bad entry fails
// only its own caller.
func (l *Log) append(ctx context.Context, entry store.AuditEntry) error {
	done := make(chan error, 1)
	l.mu.Lock()
	l.queue = append(l.queue, pending{entry: entry, done: done})
	if l.writing {
		l.mu.Unlock()
		return <-done
	}
	l.writing = true
	for len(l.queue) > 0 {
		batch := l.queue[:min(len(l.queue), maxBatch)]
		l.queue = l.queue[len(batch):]
		l.mu.Unlock()
		l.storeBatch(ctx, batch)
		l.mu.Lock()
	}
	l.queue = nil
	l.writing = false
	l.mu.Unlock()
	return <-done
}

func (l *Log) storeBatch(ctx context.Context, batch []pending) {
	entries := make([]store.AuditEntry, len(batch))
	for i, p := range batch {
		entries[i] = p.entry
	}
	err := l.store.AppendAudit(ctx, entries...)
	if err == nil || len(batch) == 1 {
		for _, p := range batch {
			p.done <- err
		}
		return
	}
	for _, p := range batch {
		p.done <- l.store.AppendAudit(ctx, p.entry)
	}
}

// List returns an org's audit entries, newest first, filtered and paged by
// opts.
func (l *Log) List(ctx context.Context, orgID string, opts store.ListAuditOptions) ([]store.AuditEntry, error) {
	entries, err := l.store.ListAudit(ctx, orgID, opts)
	if err != nil {
		return nil, fmt.Errorf("listing audit entries: %w", err)
	}
	return entries, nil
}

type remoteAddrKey struct{}

// WithRemoteAddr returns a context that carries the address of the client
// whose request is being served, for Record to store.
func WithRemoteAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, remoteAddrKey{}, addr)
}

// RemoteAddr returns the client address stored by WithRemoteAddr, or ""
// when there is none.
func RemoteAddr(ctx context.Context) string {
	addr, _ := ctx.Value(remoteAddrKey{}).(string)
	return addr
}
