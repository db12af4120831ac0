package sqlite

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenPathWithURIDelimiters(t *testing.T) {
	for _, name := range []string{"with#hash", "with?query", "with%25percent", "with space"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), name)
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "plugboard.db")
			s, err := Open(t.Context(), path, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("Open(%q) error = %v", path, err)
			}
			s.Close()
			if _, err := os.Stat(path); err != nil {
				t.Errorf("database file not at %q: %v", path, err)
			}
		})
	}
}
