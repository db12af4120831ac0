package deluge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Values at run time are nil (null), bool, int64 (Deluge's NUMBER),
// float64 (DECIMAL), string (TEXT), *Map (KEY-VALUE) and *List (LIST).
// Maps and lists are references: assigning one to a second variable shares
// it, as in Deluge.

// Map is a Deluge KEY-VALUE: text keys in insertion order. Keys of other
// types are converted to their text form when stored.
type Map struct {
	keys   []string
	values map[string]any
}

// List is a Deluge LIST.
type List struct {
	items []any
}

func newMap() *Map { return &Map{values: map[string]any{}} }

// Keys returns the keys in insertion order.
func (m *Map) Keys() []string { return append([]string(nil), m.keys...) }

// Get returns the value of key and whether the key is present.
func (m *Map) Get(key string) (any, bool) {
	v, ok := m.values[key]
	return v, ok
}

// Len returns the number of entries.
func (m *Map) Len() int { return len(m.keys) }

func (m *Map) put(key string, value any) {
	if _, ok := m.values[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.values[key] = value
}

func (m *Map) remove(key string) (any, bool) {
	v, ok := m.values[key]
	if !ok {
		return nil, false
	}
	delete(m.values, key)
	for i, k := range m.keys {
		if k == key {
			m.keys = append(m.keys[:i], m.keys[i+1:]...)
			break
		}
	}
	return v, true
}

// MarshalJSON encodes the map as a JSON object with keys in insertion order.
func (m *Map) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// export converts a run-time value to a JSON-encodable value: maps stay
// *Map (which encodes its keys in order) with exported values, lists become
// []any.
func export(v any) any {
	switch v := v.(type) {
	case *Map:
		out := newMap()
		for _, k := range v.keys {
			out.put(k, export(v.values[k]))
		}
		return out
	case *List:
		out := make([]any, len(v.items))
		for i, item := range v.items {
			out[i] = export(item)
		}
		return out
	}
	return v
}

// importValue converts a Go value, such as one decoded by encoding/json, to
// a run-time value. Numbers with no fraction become integers.
func importValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, int64, *Map, *List:
		return v, nil
	case int:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int64(v), nil
		}
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("number %v is not finite", v)
		}
		return v, nil
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, nil
		}
		f, err := v.Float64()
		if err != nil {
			return nil, fmt.Errorf("number %s is out of range", v)
		}
		return f, nil
	case map[string]any:
		m := newMap()
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys) // Go maps have no order; sorted keys make runs repeatable.
		for _, k := range keys {
			item, err := importValue(v[k])
			if err != nil {
				return nil, err
			}
			m.put(k, item)
		}
		return m, nil
	case []any:
		l := &List{items: make([]any, 0, len(v))}
		for _, item := range v {
			converted, err := importValue(item)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, converted)
		}
		return l, nil
	}
	return nil, fmt.Errorf("unsupported value of type %T; use null, booleans, numbers, text, maps and lists", v)
}

// typeName returns the Deluge name of a value's type, for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "BOOLEAN"
	case int64:
		return "NUMBER"
	case float64:
		return "DECIMAL"
	case string:
		return "TEXT"
	case *Map:
		return "KEY-VALUE"
	case *List:
		return "LIST"
	}
	return fmt.Sprintf("%T", v)
}

// text renders a value as Deluge shows it: text as is, numbers in decimal,
// maps and lists as compact JSON. Null renders as "null".
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return formatDecimal(v)
	}
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		return fmt.Sprintf("<%s>", typeName(v))
	}
	return buf.String()
}

// formatDecimal writes a DECIMAL with at least one digit after the point,
// so 2.0 stays distinguishable from the NUMBER 2.
func formatDecimal(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func writeJSON(buf *bytes.Buffer, v any) error {
	switch v := v.(type) {
	case nil:
		buf.WriteString("null")
	case bool:
		buf.WriteString(strconv.FormatBool(v))
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	case float64:
		buf.WriteString(formatDecimal(v))
	case string:
		writeJSONString(buf, v)
	case *Map:
		buf.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, k)
			buf.WriteByte(':')
			if err := writeJSON(buf, v.values[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case *List:
		buf.WriteByte('[')
		for i, item := range v.items {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, item); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case []any:
		buf.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeJSON(buf, item); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	default:
		return fmt.Errorf("cannot encode %T as JSON", v)
	}
	return nil
}

func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
}

// parseJSON decodes JSON text into run-time values, keeping the order of
// object keys. Numbers without a fraction or exponent become NUMBER.
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodeJSONValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("invalid JSON: data after the value")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("invalid JSON: nests more than %d levels deep", maxNesting)
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(err)
	}
	switch tok := tok.(type) {
	case json.Delim:
		switch tok {
		case '{':
			m := newMap()
			for dec.More() {
				keyTok, err := dec.Token()
				if err != nil {
					return nil, jsonError(err)
				}
				key, _ := keyTok.(string)
				value, err := decodeJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m.put(key, value)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonError(err)
			}
			return m, nil
		case '[':
			l := &List{}
			for dec.More() {
				value, err := decodeJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, value)
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonError(err)
			}
			return l, nil
		}
		return nil, fmt.Errorf("invalid JSON: unexpected %v", tok)
	case json.Number:
		return importValue(tok)
	}
	return tok, nil // nil, bool or string
}

func jsonError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("invalid JSON: unexpected end of JSON")
	}
	return fmt.Errorf("invalid JSON: %w", err)
}

// sizeOf estimates the bytes a value occupies for the memory limit: the
// bytes of its text and keys plus entryCost for each list and map entry.
func sizeOf(v any) int64 {
	switch v := v.(type) {
	case string:
		return int64(len(v))
	case *Map:
		var n int64
		for _, k := range v.keys {
			n += entryCost + int64(len(k)) + sizeOf(v.values[k])
		}
		return n
	case *List:
		var n int64
		for _, item := range v.items {
			n += entryCost + sizeOf(item)
		}
		return n
	}
	return 0
}

// entryCost is the charge, in bytes, of one list or map entry against the
// memory limit, on top of the text the entry contains.
const entryCost = 16

// equal compares two values as Deluge's == does: numbers by value whatever
// their type, text exactly, maps and lists by content.
func equal(a, b any) bool {
	var visits int
	return equalVisits(a, b, &visits)
}

// equalVisits is equal that counts the values it compares in visits, so
// the evaluator can charge the work against the step limit.
func equalVisits(a, b any, visits *int) bool {
	*visits++
	if x, ok := toFloat(a); ok {
		if y, ok := toFloat(b); ok {
			if ai, ok := a.(int64); ok {
				if bi, ok := b.(int64); ok {
					return ai == bi
				}
			}
			return x == y
		}
		return false
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case string:
		bs, ok := b.(string)
		return ok && a == bs
	case *Map:
		bm, ok := b.(*Map)
		if !ok || len(a.keys) != len(bm.keys) {
			return false
		}
		for _, k := range a.keys {
			bv, ok := bm.values[k]
			if !ok || !equalVisits(a.values[k], bv, visits) {
				return false
			}
		}
		return true
	case *List:
		bl, ok := b.(*List)
		if !ok || len(a.items) != len(bl.items) {
			return false
		}
		for i := range a.items {
			if !equalVisits(a.items[i], bl.items[i], visits) {
				return false
			}
		}
		return true
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// reaches reports whether target is container or lies anywhere inside it,
// so a map or list is never put into itself. It counts the values it
// visits in visits.
func reaches(container, target any, visits *int) bool {
	*visits++
	if container == target {
		return true
	}
	switch c := container.(type) {
	case *Map:
		for _, k := range c.keys {
			if reaches(c.values[k], target, visits) {
				return true
			}
		}
	case *List:
		for _, item := range c.items {
			if reaches(item, target, visits) {
				return true
			}
		}
	}
	return false
}
