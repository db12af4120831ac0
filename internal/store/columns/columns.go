// Package columns converts values to and from the text columns that both
// SQL backends use, so SQLite and PostgreSQL store them identically: times
// as fixed-width UTC text and lists and maps as JSON.
package columns

import (
	"encoding/json"
	"time"
)

// timeLayout is RFC 3339 in UTC with all nine fraction digits, so text
// order is time order and nanoseconds survive.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// FormatTime returns t as stored text, or "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// ParseTime returns the time in stored text; "" and unreadable text give
// the zero time.
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// EncodeJSON returns v as JSON text. It panics if v cannot be encoded,
// which the backends rule out by storing only slices and maps of JSON types.
func EncodeJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("encoding column: " + err.Error())
	}
	return string(b)
}

// DecodeStrings returns the list in JSON text, never nil.
func DecodeStrings(s string) []string {
	var out []string
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// DecodeMap returns the object in JSON text, never nil.
func DecodeMap(s string) map[string]any {
	out := map[string]any{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	return out
}

// DecodeStringMap returns the object of strings in JSON text, never nil.
func DecodeStringMap(s string) map[string]string {
	out := map[string]string{}
	if s != "" {
		_ = json.Unmarshal([]byte(s), &out)
	}
	return out
}

// NonNilStrings returns s, or an empty list for nil, so a list column
// stores [] rather than null.
func NonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// NonNilBytes returns b, or an empty slice for nil, because drivers store
// a nil slice as NULL in a NOT NULL column.
func NonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// NilIfEmpty returns nil for an empty slice, so a read-back empty binary
// column compares equal to the nil it was stored from.
func NilIfEmpty(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
