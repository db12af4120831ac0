package deluge

import "fmt"

// call holds an evaluated call for the method and function tables.
type call struct {
	in   *interp
	pos  Position
	name string // as written in the script
	args []any
}

// arity checks that the call got between min and max arguments.
func (c *call) arity(min, max int) error {
	n := len(c.args)
	if n >= min && n <= max {
		return nil
	}
	want := fmt.Sprintf("%d", min)
	if max != min {
		want = fmt.Sprintf("%d to %d", min, max)
	}
	return runtimeErrorf(c.pos, "%s takes %s arguments, got %d", c.name, want, n)
}

func (c *call) textArg(i int) (string, error) {
	s, ok := c.args[i].(string)
	if !ok {
		return "", runtimeErrorf(c.pos, "argument %d of %s must be TEXT, got %s", i+1, c.name, typeName(c.args[i]))
	}
	return s, nil
}

func (c *call) intArg(i int) (int64, error) {
	switch n := c.args[i].(type) {
	case int64:
		return n, nil
	case float64:
		if n == float64(int64(n)) {
			return int64(n), nil
		}
	}
	return 0, runtimeErrorf(c.pos, "argument %d of %s must be a whole NUMBER, got %s", i+1, c.name, text(c.args[i]))
}

func (c *call) boolArg(i int) (bool, error) {
	b, ok := c.args[i].(bool)
	if !ok {
		return false, runtimeErrorf(c.pos, "argument %d of %s must be a BOOLEAN, got %s", i+1, c.name, typeName(c.args[i]))
	}
	return b, nil
}

func (in *interp) evalArgs(args []Expr) ([]any, error) {
	values := make([]any, len(args))
	for i, a := range args {
		v, err := in.eval(a)
		if err != nil {
			return nil, err
		}
		values[i] = v
	}
	return values, nil
}

// callBuiltin runs a function called by name. Like Zoho, names match in any
// case.
func (in *interp) callBuiltin(x *CallExpr) (any, error) {
	// ifnull evaluates its second argument only when needed.
	if lower(x.Name) == "ifnull" {
		if len(x.Args) != 2 {
			return nil, runtimeErrorf(x.At, "%s takes 2 arguments, got %d", x.Name, len(x.Args))
		}
		v, err := in.eval(x.Args[0])
		if err != nil || v != nil {
			return v, err
		}
		return in.eval(x.Args[1])
	}
	args, err := in.evalArgs(x.Args)
	if err != nil {
		return nil, err
	}
	c := &call{in: in, pos: x.At, name: x.Name, args: args}
	switch lower(x.Name) {
	case "map", "collection":
		// NOTE: Zoho's Collection() becomes a map or a list depending on
		// its first use; here it is always a map.
		if err := c.arity(0, 0); err != nil {
			return nil, err
		}
		return newMap(), nil
	case "list":
		if err := c.arity(0, 1); err != nil {
			return nil, err
		}
		l := &List{}
		if len(args) == 1 {
			src, ok := args[0].(*List)
			if !ok {
				return nil, runtimeErrorf(x.At, "List takes a LIST to copy, got %s", typeName(args[0]))
			}
			return in.newList(x.At, src.items)
		}
		return l, nil
	case "isnull":
		if err := c.arity(1, 1); err != nil {
			return nil, err
		}
		return args[0] == nil, nil
	case "isempty":
		if err := c.arity(1, 1); err != nil {
			return nil, err
		}
		return isEmpty(args[0]), nil
	}
	return nil, runtimeErrorf(x.At, "unknown function %s; available are Map, List, Collection, isNull, ifnull and isEmpty", x.Name)
}

// isEmpty reports whether a value is null, empty text, or an empty map or
// list.
func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case *Map:
		return len(v.keys) == 0
	case *List:
		return len(v.items) == 0
	}
	return false
}

// newList returns a new list holding items, counted against the memory
// limit.
func (in *interp) newList(pos Position, items []any) (*List, error) {
	var n int64
	for _, item := range items {
		n += entryCost
		if s, ok := item.(string); ok {
			n += int64(len(s))
		}
	}
	if err := in.allocate(pos, n); err != nil {
		return nil, err
	}
	return &List{items: append([]any(nil), items...)}, nil
}

func (in *interp) callMethod(x *MethodCall) (any, error) {
	recv, err := in.eval(x.Recv)
	if err != nil {
		return nil, err
	}
	args, err := in.evalArgs(x.Args)
	if err != nil {
		return nil, err
	}
	c := &call{in: in, pos: x.At, name: x.Name, args: args}

	// isNull and toString apply to every value, null included.
	name := lower(x.Name)
	switch name {
	case "isnull":
		if err := c.arity(0, 0); err != nil {
			return nil, err
		}
		return recv == nil, nil
	case "tostring", "totext":
		if err := c.arity(0, 0); err != nil {
			return nil, err
		}
		if s, ok := recv.(string); ok {
			return s, nil
		}
		return in.newText(x.At, text(recv))
	}

	var (
		result any
		known  bool
	)
	switch r := recv.(type) {
	case nil:
		if name == "isempty" {
			return true, c.arity(0, 0)
		}
		return nil, runtimeErrorf(x.At, "cannot call %s on null; check the value with isNull first", x.Name)
	case string:
		result, known, err = c.textMethod(name, r)
	case int64, float64:
		result, known, err = c.numberMethod(name, r)
	case *Map:
		result, known, err = c.mapMethod(name, r)
	case *List:
		result, known, err = c.listMethod(name, r)
	}
	if err != nil {
		return nil, err
	}
	if !known {
		return nil, runtimeErrorf(x.At, "%s has no method %s", typeName(recv), x.Name)
	}
	return result, nil
}

// shorten cuts text to 40 characters for messages.
func shorten(s string) string {
	const max = 40
	if len([]rune(s)) > max {
		return string([]rune(s)[:max]) + "..."
	}
	return s
}
