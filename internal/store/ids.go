package store

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// NewSortableID returns a 32-character hex ID whose first 16 characters are
// t in nanoseconds since 1970, so IDs made at later times sort after earlier
// ones, and whose last 16 are random. Audit entries, events and deliveries
// use these IDs, so paging by ID is paging by time.
func NewSortableID(t time.Time) string {
	var random [8]byte
	_, _ = rand.Read(random[:]) // crypto/rand.Read never returns an error.
	return fmt.Sprintf("%016x", uint64(t.UnixNano())) + hex.EncodeToString(random[:])
}
