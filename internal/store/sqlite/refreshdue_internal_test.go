package sqlite

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
)

// TestRefreshDueReadsUseIndexes checks SQLite's plan for both reads of
// ListRefreshDue: each searches its partial index instead of scanning every
// credential row.
func TestRefreshDueReadsUseIndexes(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "plugboard.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name, query, index string
		args               []any
	}{
		{"expiring", refreshExpiringQuery, "credentials_refresh_expiry", []any{"t", "t", 200}},
		{"idle", refreshIdleQuery, "credentials_refresh_idle", []any{"t", "t", "t", 200}},
	} {
		rows, err := s.db.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("EXPLAIN QUERY PLAN of the %s read: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatalf("reading plan: %v", err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		joined := strings.Join(plan, "; ")
		if !strings.Contains(joined, "USING INDEX "+tc.index) {
			t.Errorf("plan of the %s read = %q, want a search using index %s", tc.name, joined, tc.index)
		}
	}
}
