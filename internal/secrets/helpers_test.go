package secrets

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
)

// testKey returns a key of KeySize bytes, all equal to b.
func testKey(b byte) []byte {
	return bytes.Repeat([]byte{b}, KeySize)
}

// newTestKeyring builds a keyring of the given IDs, with key i filled with
// byte i+1; the first ID is primary.
func newTestKeyring(t *testing.T, ids ...string) *Keyring {
	t.Helper()
	keys := make(map[string][]byte, len(ids))
	for i, id := range ids {
		keys[id] = testKey(byte(i + 1))
	}
	kr, err := NewKeyring(ids[0], keys)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return kr
}

// logRecord is one line of slog's JSON handler output.
type logRecord struct {
	Level string `json:"level"`
	Msg   string `json:"msg"`
	Path  string `json:"path"`
}

// newTestLogger returns a logger writing JSON lines to the returned buffer.
func newTestLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// logRecords parses the JSON lines in buf.
func logRecords(t *testing.T, buf *bytes.Buffer) []logRecord {
	t.Helper()
	var records []logRecord
	scanner := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
	for scanner.Scan() {
		var r logRecord
		if err := json.Unmarshal(scanner.Bytes(), &r); err != nil {
			t.Fatalf("parsing log line %q: %v", scanner.Text(), err)
		}
		records = append(records, r)
	}
	return records
}

// warnings returns the records logged at level WARN.
func warnings(t *testing.T, buf *bytes.Buffer) []logRecord {
	t.Helper()
	var out []logRecord
	for _, r := range logRecords(t, buf) {
		if r.Level == "WARN" {
			out = append(out, r)
		}
	}
	return out
}
