package cached

import (
	"context"
	"sync"
	"time"
)

// generationReadTimeout bounds a generation read that runs for a batch of
// waiting requests rather than for one request's context.
const generationReadTimeout = 10 * time.Second

// generationReader shares generation reads among concurrent requests of one
// org. While one read runs, the requests that arrive wait for the next read,
// which starts only when the running one ends. So every read a request uses
// starts after the request arrived, and returns every change committed before
// that, as a read of its own would. With Staleness set, a request may also
// take the newest finished read if that read started at most Staleness
// before the request arrived.
type generationReader struct {
	mu      sync.Mutex
	running bool
	waiting *generationBatch // requests that arrived while a read ran

	// recent is the result of the newest finished read that started after
	// the last write through this instance, and recentStart the time that
	// read started. hasRecent is false until such a read finishes.
	recent      int64
	recentStart time.Time
	hasRecent   bool
	// writes counts the writes through this instance. A read that a write
	// overlapped is not kept as recent, because it may predate the write.
	writes uint64
}

// generationBatch is one shared read and the requests that wait for it.
type generationBatch struct {
	done       chan struct{}
	generation int64
	err        error
}

func (s *Store) generationReader(orgID string) *generationReader {
	s.mu.Lock()
	defer s.mu.Unlock()
	reader, ok := s.readers[orgID]
	if !ok {
		reader = &generationReader{}
		s.readers[orgID] = reader
	}
	return reader
}

// forget drops the recent read after a write through this instance, so the
// next request reads the generation that the write raised.
func (r *generationReader) forget() {
	r.mu.Lock()
	r.writes++
	r.hasRecent = false
	r.mu.Unlock()
}

// keep records a finished read as recent, unless a write overlapped it or a
// newer read is already kept.
func (r *generationReader) keep(generation int64, start time.Time, writes uint64) {
	r.mu.Lock()
	if r.writes == writes && (!r.hasRecent || start.After(r.recentStart)) {
		r.recent, r.recentStart, r.hasRecent = generation, start, true
	}
	r.mu.Unlock()
}

// readGeneration takes a read that started within Staleness before this
// call, reads the org's generation from the backend, or waits for the next
// read that starts after this call did.
func (s *Store) readGeneration(ctx context.Context, orgID string) (int64, error) {
	reader := s.generationReader(orgID)
	reader.mu.Lock()
	if s.staleness > 0 && reader.hasRecent && time.Since(reader.recentStart) <= s.staleness {
		generation := reader.recent
		reader.mu.Unlock()
		return generation, nil
	}
	if !reader.running {
		reader.running = true
		writes := reader.writes
		reader.mu.Unlock()
		start := time.Now()
		generation, err := s.Store.CacheGeneration(ctx, orgID)
		if err == nil {
			reader.keep(generation, start, writes)
		}
		s.startWaitingRead(reader, orgID)
		return generation, err
	}
	if reader.waiting == nil {
		reader.waiting = &generationBatch{done: make(chan struct{})}
	}
	batch := reader.waiting
	reader.mu.Unlock()

	select {
	case <-batch.done:
		return batch.generation, batch.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// startWaitingRead starts the read of the requests that arrived while the
// previous read ran, or marks the reader idle when none did. It runs after
// every read ends.
func (s *Store) startWaitingRead(reader *generationReader, orgID string) {
	reader.mu.Lock()
	batch := reader.waiting
	reader.waiting = nil
	if batch == nil {
		reader.running = false
		reader.mu.Unlock()
		return
	}
	writes := reader.writes
	reader.mu.Unlock()

	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), generationReadTimeout)
		start := time.Now()
		batch.generation, batch.err = s.Store.CacheGeneration(ctx, orgID)
		cancel()
		if batch.err == nil {
			reader.keep(batch.generation, start, writes)
		}
		close(batch.done)
		s.startWaitingRead(reader, orgID)
	}()
}
