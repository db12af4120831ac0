package deluge

import (
	"math"
	"sort"
	"strconv"
	"strings"
)

// mapMethod runs a method of KEY-VALUE.
func (c *call) mapMethod(name string, m *Map) (any, bool, error) {
	in := c.in
	switch name {
	case "put":
		if err := c.arity(2, 2); err != nil {
			return nil, true, err
		}
		return nil, true, in.mapPut(c.pos, m, c.args[0], c.args[1])
	case "putall":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		other, ok := c.args[0].(*Map)
		if !ok {
			return nil, true, runtimeErrorf(c.pos, "putAll takes a KEY-VALUE, got %s", typeName(c.args[0]))
		}
		for _, k := range other.Keys() {
			if err := in.mapPut(c.pos, m, k, other.values[k]); err != nil {
				return nil, true, err
			}
		}
		return nil, true, nil
	case "get", "getjson":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		if c.args[0] == nil {
			return nil, true, nil
		}
		v, _ := m.Get(text(c.args[0]))
		return v, true, nil
	case "keys":
		if err := c.arity(0, 0); err != nil {
			return nil, true, err
		}
		keys := make([]any, len(m.keys))
		for i, k := range m.keys {
			keys[i] = k
		}
		return methodResult(in.newList(c.pos, keys))
	case "values":
		if err := c.arity(0, 0); err != nil {
			return nil, true, err
		}
		values := make([]any, len(m.keys))
		for i, k := range m.keys {
			values[i] = m.values[k]
		}
		return methodResult(in.newList(c.pos, values))
	case "size":
		return int64(m.Len()), true, c.arity(0, 0)
	case "isempty":
		return m.Len() == 0, true, c.arity(0, 0)
	case "containkey", "containskey":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		if c.args[0] == nil {
			return false, true, nil
		}
		_, ok := m.Get(text(c.args[0]))
		return ok, true, nil
	case "containvalue", "containsvalue":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		for _, k := range m.keys {
			same, err := in.equal(c.pos, m.values[k], c.args[0])
			if err != nil || same {
				return same, true, err
			}
		}
		return false, true, nil
	case "remove":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		if c.args[0] == nil {
			return nil, true, nil
		}
		v, _ := m.remove(text(c.args[0]))
		return v, true, nil
	case "clear":
		m.keys, m.values = nil, map[string]any{}
		return nil, true, c.arity(0, 0)
	case "tomap":
		return m, true, c.arity(0, 0)
	}
	return nil, false, nil
}

// listMethod runs a method of LIST. Indexes start at 0.
func (c *call) listMethod(name string, l *List) (any, bool, error) {
	in := c.in
	switch name {
	case "add":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		return nil, true, in.listAdd(c.pos, l, c.args[0])
	case "addall":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		other, ok := c.args[0].(*List)
		if !ok {
			return nil, true, runtimeErrorf(c.pos, "addAll takes a LIST, got %s", typeName(c.args[0]))
		}
		for _, item := range append([]any(nil), other.items...) {
			if err := in.listAdd(c.pos, l, item); err != nil {
				return nil, true, err
			}
		}
		return nil, true, nil
	case "get", "remove":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		i, err := c.intArg(0)
		if err != nil {
			return nil, true, err
		}
		if i < 0 || i >= int64(len(l.items)) {
			return nil, true, runtimeErrorf(c.pos, "index %d is out of range for a list of size %d", i, len(l.items))
		}
		v := l.items[i]
		if name == "remove" {
			l.items = append(l.items[:i], l.items[i+1:]...)
		}
		return v, true, nil
	case "removeelement":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		i, err := c.indexOf(l, c.args[0])
		if i >= 0 {
			l.items = append(l.items[:i], l.items[i+1:]...)
		}
		return nil, true, err
	case "size":
		return int64(len(l.items)), true, c.arity(0, 0)
	case "isempty":
		return len(l.items) == 0, true, c.arity(0, 0)
	case "contains":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		i, err := c.indexOf(l, c.args[0])
		return i >= 0, true, err
	case "indexof":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		i, err := c.indexOf(l, c.args[0])
		return int64(i), true, err
	case "clear":
		l.items = nil
		return nil, true, c.arity(0, 0)
	case "distinct":
		if err := c.arity(0, 0); err != nil {
			return nil, true, err
		}
		unique, err := c.distinct(l)
		if err != nil {
			return nil, true, err
		}
		return methodResult(in.newList(c.pos, unique))
	case "sort":
		return c.sortList(l)
	}
	return nil, false, nil
}

// indexOf returns the index of the first element equal to v, or -1.
func (c *call) indexOf(l *List, v any) (int, error) {
	for i, item := range l.items {
		same, err := c.in.equal(c.pos, item, v)
		if err != nil || same {
			return i, err
		}
	}
	return -1, nil
}

// distinct returns the elements of l without repeats, in order. Scalars
// are looked up in a set keyed by value, so a long list of numbers or text
// costs one pass. Maps and lists are compared with the earlier ones.
func (c *call) distinct(l *List) ([]any, error) {
	var unique, collections []any
	seen := map[string]bool{}
	for _, item := range l.items {
		if key, ok := scalarKey(item); ok {
			if !seen[key] {
				seen[key] = true
				unique = append(unique, item)
			}
			continue
		}
		found := false
		for _, other := range collections {
			same, err := c.in.equal(c.pos, item, other)
			if err != nil {
				return nil, err
			}
			if same {
				found = true
				break
			}
		}
		if !found {
			collections = append(collections, item)
			unique = append(unique, item)
		}
	}
	return unique, nil
}

// scalarKey returns a key that two scalars share exactly when equal holds
// between them: numbers by value, whatever their type.
func scalarKey(v any) (string, bool) {
	switch v := v.(type) {
	case nil:
		return "null", true
	case bool:
		return "b:" + strconv.FormatBool(v), true
	case string:
		return "t:" + v, true
	case int64:
		return "n:" + strconv.FormatInt(v, 10), true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return "n:" + strconv.FormatInt(int64(v), 10), true
		}
		return "n:" + strconv.FormatFloat(v, 'g', -1, 64), true
	}
	return "", false
}

// sortList sorts a list of numbers or of text in place, ascending unless
// the argument is false, and returns the list.
func (c *call) sortList(l *List) (any, bool, error) {
	if err := c.arity(0, 1); err != nil {
		return nil, true, err
	}
	ascending := true
	if len(c.args) == 1 {
		var err error
		if ascending, err = c.boolArg(0); err != nil {
			return nil, true, err
		}
	}
	allNumbers, allText := true, true
	for _, item := range l.items {
		_, isNumber := toFloat(item)
		_, isText := item.(string)
		allNumbers = allNumbers && isNumber
		allText = allText && isText
	}
	if !allNumbers && !allText {
		return nil, true, runtimeErrorf(c.pos, "sort needs a list of only numbers or only text")
	}
	less := func(i, j int) bool {
		if allText {
			return strings.Compare(l.items[i].(string), l.items[j].(string)) < 0
		}
		a, _ := toFloat(l.items[i])
		b, _ := toFloat(l.items[j])
		return a < b
	}
	sort.SliceStable(l.items, func(i, j int) bool {
		if ascending {
			return less(i, j)
		}
		return less(j, i)
	})
	return l, true, nil
}
