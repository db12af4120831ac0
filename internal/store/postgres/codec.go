package postgres

import (
	"encoding/json"
	"time"
)

// Times are stored as RFC 3339 text in UTC with all nine fraction digits,
// as in the SQLite backend, so text order is time order. The zero time is
// stored as the empty string.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func encodeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Values written here are plain slices and maps of JSON types.
		panic("encoding column: " + err.Error())
	}
	return string(b)
}

func decodeStrings(s string) []string {
	var out []string
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	if out == nil {
		out = []string{}
	}
	return out
}

func decodeMap(s string) map[string]any {
	out := map[string]any{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	return out
}

func decodeStringMap(s string) map[string]string {
	out := map[string]string{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
