package deluge

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// textMethod runs a method of TEXT. Positions and lengths count characters
// (runes), not bytes.
func (c *call) textMethod(name, s string) (any, bool, error) {
	in := c.in
	switch name {
	case "length", "len":
		return int64(utf8.RuneCountInString(s)), true, c.arity(0, 0)
	case "isempty":
		return s == "", true, c.arity(0, 0)
	case "touppercase", "upper", "tolowercase", "lower":
		if err := c.arity(0, 0); err != nil {
			return nil, true, err
		}
		if name == "touppercase" || name == "upper" {
			return methodResult(in.newText(c.pos, strings.ToUpper(s)))
		}
		return methodResult(in.newText(c.pos, strings.ToLower(s)))
	case "trim":
		return strings.TrimSpace(s), true, c.arity(0, 0)
	case "contains", "startswith", "endswith", "equalsignorecase":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		arg, err := c.textArg(0)
		if err != nil {
			return nil, true, err
		}
		switch name {
		case "contains":
			return strings.Contains(s, arg), true, nil
		case "startswith":
			return strings.HasPrefix(s, arg), true, nil
		case "endswith":
			return strings.HasSuffix(s, arg), true, nil
		}
		return strings.EqualFold(s, arg), true, nil
	case "indexof", "lastindexof":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		arg, err := c.textArg(0)
		if err != nil {
			return nil, true, err
		}
		i := strings.Index(s, arg)
		if name == "lastindexof" {
			i = strings.LastIndex(s, arg)
		}
		if i < 0 {
			return int64(-1), true, nil
		}
		return int64(utf8.RuneCountInString(s[:i])), true, nil
	case "substring", "mid":
		return c.substring(s)
	case "left", "right":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		n, err := c.intArg(0)
		if err != nil {
			return nil, true, err
		}
		runes := []rune(s)
		n = max(0, min(n, int64(len(runes))))
		if name == "left" {
			return string(runes[:n]), true, nil
		}
		return string(runes[int64(len(runes))-n:]), true, nil
	case "getprefix", "getsuffix":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		arg, err := c.textArg(0)
		if err != nil {
			return nil, true, err
		}
		before, after, found := strings.Cut(s, arg)
		if !found {
			return nil, true, nil
		}
		if name == "getprefix" {
			return before, true, nil
		}
		return after, true, nil
	case "replaceall", "replacefirst":
		return c.replace(name, s)
	case "remove":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		arg, err := c.textArg(0)
		if err != nil {
			return nil, true, err
		}
		return strings.ReplaceAll(s, arg, ""), true, nil
	case "matches":
		if err := c.arity(1, 1); err != nil {
			return nil, true, err
		}
		pattern, err := c.textArg(0)
		if err != nil {
			return nil, true, err
		}
		re, err := regexp.Compile(`^(?:` + pattern + `)$`)
		if err != nil {
			return nil, true, runtimeErrorf(c.pos, "invalid regular expression %q: %v", pattern, err)
		}
		return re.MatchString(s), true, nil
	case "tolist":
		if err := c.arity(0, 1); err != nil {
			return nil, true, err
		}
		sep := ","
		if len(c.args) == 1 {
			var err error
			if sep, err = c.textArg(0); err != nil {
				return nil, true, err
			}
		}
		var parts []any
		if s != "" {
			for _, part := range strings.Split(s, sep) {
				parts = append(parts, part)
			}
		}
		return methodResult(in.newList(c.pos, parts))
	case "tomap", "tojsonlist", "getjson":
		return c.parseJSONText(name, s)
	case "tonumber", "tolong":
		if err := c.arity(0, 0); err != nil {
			return nil, true, err
		}
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, true, runtimeErrorf(c.pos, "text %q is not a whole NUMBER; use toDecimal for a fraction", shorten(s))
		}
		return n, true, nil
	case "todecimal":
		if err := c.arity(0, 0); err != nil {
			return nil, true, err
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, true, runtimeErrorf(c.pos, "text %q is not a number", shorten(s))
		}
		return f, true, nil
	}
	return nil, false, nil
}

// methodResult adapts a (value, error) pair to the (value, known, error) of the
// method tables.
func methodResult[T any](v T, err error) (any, bool, error) {
	if err != nil {
		return nil, true, err
	}
	return v, true, nil
}

// substring returns the characters from start up to, not including, end.
// Without end it runs to the end of the text.
func (c *call) substring(s string) (any, bool, error) {
	if err := c.arity(1, 2); err != nil {
		return nil, true, err
	}
	runes := []rune(s)
	start, err := c.intArg(0)
	if err != nil {
		return nil, true, err
	}
	end := int64(len(runes))
	if len(c.args) == 2 {
		if end, err = c.intArg(1); err != nil {
			return nil, true, err
		}
	}
	if start < 0 || end > int64(len(runes)) || start > end {
		return nil, true, runtimeErrorf(c.pos, "%s(%d, %d) is out of range for text of length %d", c.name, start, end, len(runes))
	}
	return string(runes[start:end]), true, nil
}

// replace runs replaceAll and replaceFirst. As in Zoho, the search text is a
// regular expression unless a third argument true selects plain text.
// NOTE: Go's RE2 syntax replaces Java's regular expressions, so
// look-arounds and back-references are rejected as invalid.
func (c *call) replace(name, s string) (any, bool, error) {
	if err := c.arity(2, 3); err != nil {
		return nil, true, err
	}
	search, err := c.textArg(0)
	if err != nil {
		return nil, true, err
	}
	replacement, err := c.textArg(1)
	if err != nil {
		return nil, true, err
	}
	plain := false
	if len(c.args) == 3 {
		if plain, err = c.boolArg(2); err != nil {
			return nil, true, err
		}
	}
	var out string
	switch {
	case plain && name == "replaceall":
		out = strings.ReplaceAll(s, search, replacement)
	case plain:
		out = strings.Replace(s, search, replacement, 1)
	default:
		re, err := regexp.Compile(search)
		if err != nil {
			return nil, true, runtimeErrorf(c.pos, "invalid regular expression %q: %v; pass true as the third argument to replace plain text", search, err)
		}
		if name == "replaceall" {
			out = re.ReplaceAllString(s, replacement)
		} else {
			done := false
			out = re.ReplaceAllStringFunc(s, func(match string) string {
				if done {
					return match
				}
				done = true
				return re.ReplaceAllString(match, replacement)
			})
		}
	}
	return methodResult(c.in.newText(c.pos, out))
}

// parseJSONText runs toMap, toJSONList and getJSON(key) on JSON text.
func (c *call) parseJSONText(name, s string) (any, bool, error) {
	want := 0
	if name == "getjson" {
		want = 1
	}
	if err := c.arity(want, want); err != nil {
		return nil, true, err
	}
	v, err := parseJSON([]byte(s))
	if err != nil {
		return nil, true, runtimeErrorf(c.pos, "%s: %v", c.name, err)
	}
	if err := c.in.allocate(c.pos, sizeOf(v)); err != nil {
		return nil, true, err
	}
	switch name {
	case "tomap":
		if _, ok := v.(*Map); !ok {
			return nil, true, runtimeErrorf(c.pos, "toMap needs a JSON object, got %s", typeName(v))
		}
		return v, true, nil
	case "tojsonlist":
		if _, ok := v.(*List); !ok {
			return nil, true, runtimeErrorf(c.pos, "toJSONList needs a JSON array, got %s", typeName(v))
		}
		return v, true, nil
	}
	m, ok := v.(*Map)
	if !ok {
		return nil, true, runtimeErrorf(c.pos, "getJSON needs a JSON object, got %s", typeName(v))
	}
	value, _ := m.Get(text(c.args[0]))
	return value, true, nil
}

// numberMethod runs a method of NUMBER or DECIMAL.
func (c *call) numberMethod(name string, n any) (any, bool, error) {
	f, _ := toFloat(n)
	switch name {
	case "todecimal":
		return f, true, c.arity(0, 0)
	case "tonumber", "tolong":
		if f >= math.MaxInt64 || f < math.MinInt64 {
			return nil, true, runtimeErrorf(c.pos, "number out of range")
		}
		return int64(f), true, c.arity(0, 0)
	case "abs":
		if i, ok := n.(int64); ok {
			if i == math.MinInt64 {
				return nil, true, runtimeErrorf(c.pos, "number out of range")
			}
			return max(i, -i), true, c.arity(0, 0)
		}
		return math.Abs(f), true, c.arity(0, 0)
	case "round":
		if err := c.arity(0, 1); err != nil {
			return nil, true, err
		}
		var places int64
		if len(c.args) == 1 {
			var err error
			if places, err = c.intArg(0); err != nil {
				return nil, true, err
			}
		}
		if _, ok := n.(int64); ok {
			return n, true, nil
		}
		scale := math.Pow(10, float64(max(-15, min(places, 15))))
		return math.Round(f*scale) / scale, true, nil
	}
	return nil, false, nil
}
