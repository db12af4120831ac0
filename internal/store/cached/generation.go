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
// that, as a read of its own would.
type generationReader struct {
	mu      sync.Mutex
	running bool
	waiting *generationBatch // requests that arrived while a read ran
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

// readGeneration reads the org's generation from the backend, or waits for
// the next read that starts after this call did.
func (s *Store) readGeneration(ctx context.Context, orgID string) (int64, error) {
	reader := s.generationReader(orgID)
	reader.mu.Lock()
	if !reader.running {
		reader.running = true
		reader.mu.Unlock()
		generation, err := s.Store.CacheGeneration(ctx, orgID)
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
	reader.mu.Unlock()

	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), generationReadTimeout)
		batch.generation, batch.err = s.Store.CacheGeneration(ctx, orgID)
		cancel()
		close(batch.done)
		s.startWaitingRead(reader, orgID)
	}()
}
