// Package cached keeps in-memory copies of the records that every API
// request reads: API tokens, users, connections, custom services and
// credentials. The copies are checked against the org's cache generation in
// the database, so several instances on one database stay correct. A change
// committed by any instance raises the generation, and each instance drops
// its copies the next time it reads the new value.
//
// Store caches only for contexts made by WithScope. A scope reads each org's
// generation once, at its first cached read, and reuses it for the rest of
// the scope, so a request costs at most one small query instead of one per
// record. Concurrent requests of one org share that query, but only one that
// started after they arrived (see generationReader). With Options.Staleness
// set, a request also takes the result of a read that started at most that
// long before it arrived, so a change committed by another instance reaches
// this one's copies within Staleness. A write through the Store drops this
// instance's copies of the org and its recent generation read at once, so
// the next request reads the generation that the write raised.
// Without a scope, every call goes to the backend, so background work such as
// refreshes and webhook deliveries always reads the database.
//
// Credentials are cached as stored: their tokens stay sealed in memory and
// are opened for each use. A copy's refresh lease may be out of date,
// because claiming a lease does not raise the generation. Refreshes decide
// on leases through UpdateCredential, which reads the database.
package cached

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// DefaultMaxEntries bounds how many records of one kind one org's cache
// holds, so that a large org cannot grow an instance's memory without
// limit. When a kind is full, its copies are dropped and it fills again.
const DefaultMaxEntries = 10000

// DefaultStaleness is the Staleness of plugboard serve unless set. With it,
// an instance reads an org's generation at most about 100 times a second,
// so at 1,000 requests a second about one request in ten reads it.
const DefaultStaleness = 10 * time.Millisecond

// Options configure a Store.
type Options struct {
	// MaxEntries bounds the copies of one kind of record kept per org. Zero
	// means DefaultMaxEntries.
	MaxEntries int
	// Staleness is the longest time between the start of a generation
	// read and a request's first cached read of the org for which the
	// request reuses that read's result. It bounds the delay before this
	// instance drops copies that another instance changed. Zero reads the
	// generation for every request.
	Staleness time.Duration
}

// Store is a store.Store that caches the reads of the API's hot path. Every
// method it does not define passes through to the backend.
type Store struct {
	store.Store
	maxEntries int
	staleness  time.Duration

	mu      sync.Mutex
	orgs    map[string]*orgCache
	readers map[string]*generationReader
	// orgsByName contains the orgs found by name for the life of the Store,
	// because no store method renames or deletes an org.
	orgsByName sync.Map // name -> store.Org
}

var _ store.Store = (*Store)(nil)

// New returns a Store that caches reads of backend.
func New(backend store.Store, opts Options) *Store {
	s := &Store{Store: backend, maxEntries: opts.MaxEntries, staleness: opts.Staleness, orgs: map[string]*orgCache{},
		readers: map[string]*generationReader{}}
	if s.maxEntries <= 0 {
		s.maxEntries = DefaultMaxEntries
	}
	return s
}

type scopeKey struct{}

// scope stores the cache generation of each org that a request has read.
type scope struct {
	mu          sync.Mutex
	generations map[string]int64
}

// WithScope returns a context under which the Store may serve reads from
// its copies. Give each request its own scope, because the org generations
// it reads are reused by every read made with the returned context or one
// derived from it.
func WithScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, &scope{generations: map[string]int64{}})
}

func scopeOf(ctx context.Context) *scope {
	sc, _ := ctx.Value(scopeKey{}).(*scope)
	return sc
}

// generation returns the org's generation as the scope first read it.
func (s *Store) generation(ctx context.Context, sc *scope, orgID string) (int64, error) {
	sc.mu.Lock()
	g, ok := sc.generations[orgID]
	sc.mu.Unlock()
	if ok {
		return g, nil
	}
	g, err := s.readGeneration(ctx, orgID)
	if err != nil {
		return 0, err
	}
	sc.mu.Lock()
	sc.generations[orgID] = g
	sc.mu.Unlock()
	return g, nil
}

// changed records a write to the org made with ctx. The scope then reads
// the generation again, and this instance drops the org's copies at once
// instead of at the next generation read.
func (s *Store) changed(ctx context.Context, orgID string) {
	if sc := scopeOf(ctx); sc != nil {
		sc.mu.Lock()
		delete(sc.generations, orgID)
		sc.mu.Unlock()
	}
	s.generationReader(orgID).forget()
	s.mu.Lock()
	delete(s.orgs, orgID)
	s.mu.Unlock()
}

// changedAll is changed for a write that may touch every org.
func (s *Store) changedAll(ctx context.Context) {
	if sc := scopeOf(ctx); sc != nil {
		sc.mu.Lock()
		clear(sc.generations)
		sc.mu.Unlock()
	}
	s.mu.Lock()
	readers := slices.Collect(maps.Values(s.readers))
	clear(s.orgs)
	s.mu.Unlock()
	for _, reader := range readers {
		reader.forget()
	}
}

func (s *Store) orgCache(orgID string) *orgCache {
	s.mu.Lock()
	defer s.mu.Unlock()
	oc, ok := s.orgs[orgID]
	if !ok {
		oc = &orgCache{generation: -1}
		s.orgs[orgID] = oc
	}
	return oc
}

// credentialKey names one credential within an org.
type credentialKey struct{ connectionID, userID string }

// orgCache is the set of one org's copies, all read at generation or later.
type orgCache struct {
	mu          sync.Mutex
	generation  int64
	tokens      map[string]result[store.APIToken]
	users       map[string]result[store.User]
	connections map[string]result[store.Connection]
	services    map[string]result[store.CustomService]
	credentials map[credentialKey]result[store.Credential]
}

// result is a record as a get returned it, or the not-found error it
// returned instead.
type result[T any] struct {
	value T
	err   error
}

// advance drops the copies when g is newer than the generation they were
// read at. A scope that read an older generation than the copies' may still
// use them, because they are newer than what it read.
func (oc *orgCache) advance(g int64) {
	if g <= oc.generation {
		return
	}
	oc.generation = g
	oc.tokens = map[string]result[store.APIToken]{}
	oc.users = map[string]result[store.User]{}
	oc.connections = map[string]result[store.Connection]{}
	oc.services = map[string]result[store.CustomService]{}
	oc.credentials = map[credentialKey]result[store.Credential]{}
}

// read returns a copy of the record from the org's cache, or loads it from
// the backend and keeps a copy. table selects the kind's map, and clone
// copies the slices and maps a caller could change.
func read[K comparable, V any](ctx context.Context, s *Store, orgID string, table func(*orgCache) map[K]result[V], key K, load func() (V, error), clone func(V) V) (V, error) {
	sc := scopeOf(ctx)
	if sc == nil {
		return load()
	}
	g, err := s.generation(ctx, sc, orgID)
	if err != nil {
		var zero V
		return zero, err
	}

	oc := s.orgCache(orgID)
	oc.mu.Lock()
	oc.advance(g)
	cachedResult, ok := table(oc)[key]
	oc.mu.Unlock()
	if ok {
		return clone(cachedResult.value), cachedResult.err
	}

	value, err := load()
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return value, err
	}
	oc.mu.Lock()
	// The record was read after generation g was, so it is at least as new
	// as g. A newer generation seen meanwhile has dropped the old copies,
	// and then this one is not kept either.
	if oc.generation == g {
		entries := table(oc)
		if len(entries) >= s.maxEntries {
			clear(entries)
		}
		entries[key] = result[V]{value: clone(value), err: err}
	}
	oc.mu.Unlock()
	return value, err
}

// GetOrgByName returns the org with the given name, from memory after the
// first success.
func (s *Store) GetOrgByName(ctx context.Context, name string) (store.Org, error) {
	if org, ok := s.orgsByName.Load(name); ok {
		return org.(store.Org), nil
	}
	org, err := s.Store.GetOrgByName(ctx, name)
	if err == nil {
		s.orgsByName.Store(name, org)
	}
	return org, err
}

// GetAPIToken returns an API token, cached under a scope.
func (s *Store) GetAPIToken(ctx context.Context, orgID, tokenID string) (store.APIToken, error) {
	return read(ctx, s, orgID, func(oc *orgCache) map[string]result[store.APIToken] { return oc.tokens }, tokenID,
		func() (store.APIToken, error) { return s.Store.GetAPIToken(ctx, orgID, tokenID) }, cloneAPIToken)
}

// GetUser returns a user, cached under a scope.
func (s *Store) GetUser(ctx context.Context, orgID, userID string) (store.User, error) {
	return read(ctx, s, orgID, func(oc *orgCache) map[string]result[store.User] { return oc.users }, userID,
		func() (store.User, error) { return s.Store.GetUser(ctx, orgID, userID) }, func(u store.User) store.User { return u })
}

// GetConnection returns a connection by link name, cached under a scope.
func (s *Store) GetConnection(ctx context.Context, orgID, linkName string) (store.Connection, error) {
	return read(ctx, s, orgID, func(oc *orgCache) map[string]result[store.Connection] { return oc.connections }, linkName,
		func() (store.Connection, error) { return s.Store.GetConnection(ctx, orgID, linkName) }, cloneConnection)
}

// GetService returns a custom service, cached under a scope.
func (s *Store) GetService(ctx context.Context, orgID, key string) (store.CustomService, error) {
	return read(ctx, s, orgID, func(oc *orgCache) map[string]result[store.CustomService] { return oc.services }, key,
		func() (store.CustomService, error) { return s.Store.GetService(ctx, orgID, key) }, cloneService)
}

// GetCredential returns a credential with its secrets sealed, cached under
// a scope.
func (s *Store) GetCredential(ctx context.Context, orgID, connectionID, userID string) (store.Credential, error) {
	key := credentialKey{connectionID: connectionID, userID: userID}
	return read(ctx, s, orgID, func(oc *orgCache) map[credentialKey]result[store.Credential] { return oc.credentials }, key,
		func() (store.Credential, error) { return s.Store.GetCredential(ctx, orgID, connectionID, userID) }, cloneCredential)
}

// TouchAPIToken records a token's use in the database and in this
// instance's copy, which the database's generation does not track.
func (s *Store) TouchAPIToken(ctx context.Context, orgID, tokenID string, at time.Time) error {
	if err := s.Store.TouchAPIToken(ctx, orgID, tokenID, at); err != nil {
		return err
	}
	oc := s.orgCache(orgID)
	oc.mu.Lock()
	if cachedResult, ok := oc.tokens[tokenID]; ok && cachedResult.err == nil {
		cachedResult.value.LastUsedAt = at.UTC()
		oc.tokens[tokenID] = cachedResult
	}
	oc.mu.Unlock()
	return nil
}
