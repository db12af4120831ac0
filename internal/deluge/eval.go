package deluge

import (
	"context"
	"errors"
	"math"
	"strings"
)

// interp is the state of one run.
type interp struct {
	ctx      context.Context
	env      Env
	limits   Limits
	vars     map[string]any
	log      []string
	steps    int
	memory   int64
	calls    int
	returned any
}

// flow is the way a block ended: normally, or by break, continue or return.
type flow int

const (
	flowNormal flow = iota
	flowBreak
	flowContinue
	flowReturn
)

func lower(s string) string { return strings.ToLower(s) }

// step counts one unit of work and checks the step and time limits.
func (in *interp) step(pos Position) error {
	in.steps++
	if in.steps > in.limits.MaxSteps {
		return runtimeErrorf(pos, "run exceeded the step limit of %d steps", in.limits.MaxSteps)
	}
	if err := in.ctx.Err(); err != nil {
		return in.contextError(pos, err)
	}
	return nil
}

func (in *interp) contextError(pos Position, err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return runtimeErrorf(pos, "run exceeded the time limit of %s", in.limits.Timeout)
	}
	return runtimeErrorf(pos, "run canceled")
}

// visitsPerStep is how many values a comparison or a containment check
// visits for one step of the step limit. Charging these walks bounds the
// work of scripts that compare or nest large maps and lists in a loop.
const visitsPerStep = 32

// chargeVisits counts the values a walk visited against the step limit.
func (in *interp) chargeVisits(pos Position, visits int) error {
	in.steps += visits / visitsPerStep
	if in.steps > in.limits.MaxSteps {
		return runtimeErrorf(pos, "run exceeded the step limit of %d steps", in.limits.MaxSteps)
	}
	return nil
}

// equal compares two values as == does and charges the comparison.
func (in *interp) equal(pos Position, a, b any) (bool, error) {
	var visits int
	result := equalVisits(a, b, &visits)
	return result, in.chargeVisits(pos, visits)
}

// allocate counts n bytes against the memory limit.
func (in *interp) allocate(pos Position, n int64) error {
	in.memory += n
	if in.memory > in.limits.MaxMemory {
		return runtimeErrorf(pos, "run exceeded the memory limit of %d bytes", in.limits.MaxMemory)
	}
	return nil
}

func (in *interp) execBlock(stmts []Stmt) (flow, error) {
	for _, stmt := range stmts {
		f, err := in.exec(stmt)
		if err != nil || f != flowNormal {
			return f, err
		}
	}
	return flowNormal, nil
}

func (in *interp) exec(stmt Stmt) (flow, error) {
	if err := in.step(stmt.Pos()); err != nil {
		return flowNormal, err
	}
	switch s := stmt.(type) {
	case *AssignStmt:
		v, err := in.eval(s.Value)
		if err != nil {
			return flowNormal, err
		}
		in.vars[s.Name] = v
	case *ExprStmt:
		if _, err := in.eval(s.X); err != nil {
			return flowNormal, err
		}
	case *InfoStmt:
		v, err := in.eval(s.X)
		if err != nil {
			return flowNormal, err
		}
		line := text(v)
		if err := in.allocate(s.At, int64(len(line))); err != nil {
			return flowNormal, err
		}
		in.log = append(in.log, line)
	case *ReturnStmt:
		if s.X != nil {
			v, err := in.eval(s.X)
			if err != nil {
				return flowNormal, err
			}
			in.returned = v
		}
		return flowReturn, nil
	case *IfStmt:
		return in.execIf(s)
	case *ForEachStmt:
		return in.execForEach(s)
	case *BreakStmt:
		return flowBreak, nil
	case *ContinueStmt:
		return flowContinue, nil
	}
	return flowNormal, nil
}

func (in *interp) execIf(s *IfStmt) (flow, error) {
	cond, err := in.eval(s.Cond)
	if err != nil {
		return flowNormal, err
	}
	b, ok := cond.(bool)
	if !ok {
		return flowNormal, runtimeErrorf(s.Cond.Pos(), "condition of if is %s, not a BOOLEAN", typeName(cond))
	}
	if b {
		return in.execBlock(s.Then)
	}
	return in.execBlock(s.Else)
}

func (in *interp) execForEach(s *ForEachStmt) (flow, error) {
	v, err := in.eval(s.List)
	if err != nil {
		return flowNormal, err
	}
	list, ok := v.(*List)
	if !ok {
		return flowNormal, runtimeErrorf(s.List.Pos(), "for each needs a LIST, got %s; use .keys() to loop over a map", typeName(v))
	}
	// The loop runs over the elements present when it starts, so adding to
	// the list inside the loop cannot make it endless.
	items := append([]any(nil), list.items...)
	for _, item := range items {
		in.vars[s.Var] = item
		f, err := in.execBlock(s.Body)
		if err != nil {
			return flowNormal, err
		}
		switch f {
		case flowBreak:
			return flowNormal, nil
		case flowReturn:
			return flowReturn, nil
		}
		if err := in.step(s.At); err != nil {
			return flowNormal, err
		}
	}
	return flowNormal, nil
}

func (in *interp) eval(x Expr) (any, error) {
	switch x := x.(type) {
	case *Literal:
		return x.Value, nil
	case *Ident:
		v, ok := in.vars[x.Name]
		if !ok {
			return nil, runtimeErrorf(x.At, "variable %s is not defined; assign it before use", x.Name)
		}
		return v, nil
	case *MapLit:
		m := newMap()
		for i := range x.Keys {
			k, err := in.eval(x.Keys[i])
			if err != nil {
				return nil, err
			}
			v, err := in.eval(x.Values[i])
			if err != nil {
				return nil, err
			}
			if err := in.mapPut(x.Keys[i].Pos(), m, k, v); err != nil {
				return nil, err
			}
		}
		return m, nil
	case *ListLit:
		l := &List{}
		for _, e := range x.Elems {
			v, err := in.eval(e)
			if err != nil {
				return nil, err
			}
			if err := in.listAdd(e.Pos(), l, v); err != nil {
				return nil, err
			}
		}
		return l, nil
	case *UnaryExpr:
		return in.evalUnary(x)
	case *BinaryExpr:
		return in.evalBinary(x)
	case *CallExpr:
		if err := in.step(x.At); err != nil {
			return nil, err
		}
		return in.callBuiltin(x)
	case *MethodCall:
		if err := in.step(x.At); err != nil {
			return nil, err
		}
		return in.callMethod(x)
	case *InvokeExpr:
		return in.invoke(x)
	}
	return nil, runtimeErrorf(x.Pos(), "unsupported expression")
}

// mapPut stores a value under the text form of key.
func (in *interp) mapPut(pos Position, m *Map, key, value any) error {
	if key == nil {
		return runtimeErrorf(pos, "map key is null; use text keys")
	}
	var visits int
	if reaches(value, m, &visits) {
		return runtimeErrorf(pos, "cannot put a map into itself")
	}
	if err := in.chargeVisits(pos, visits); err != nil {
		return err
	}
	k := text(key)
	if _, ok := m.values[k]; !ok {
		if err := in.allocate(pos, entryCost+int64(len(k))); err != nil {
			return err
		}
	}
	m.put(k, value)
	return nil
}

func (in *interp) listAdd(pos Position, l *List, value any) error {
	var visits int
	if reaches(value, l, &visits) {
		return runtimeErrorf(pos, "cannot add a list to itself")
	}
	if err := in.chargeVisits(pos, visits); err != nil {
		return err
	}
	if err := in.allocate(pos, entryCost); err != nil {
		return err
	}
	l.items = append(l.items, value)
	return nil
}

// newText counts a text value the script builds against the memory limit.
func (in *interp) newText(pos Position, s string) (any, error) {
	if err := in.allocate(pos, int64(len(s))); err != nil {
		return nil, err
	}
	return s, nil
}

func (in *interp) evalUnary(x *UnaryExpr) (any, error) {
	v, err := in.eval(x.X)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "!":
		b, ok := v.(bool)
		if !ok {
			return nil, runtimeErrorf(x.At, "operator ! needs a BOOLEAN, got %s", typeName(v))
		}
		return !b, nil
	default: // "-"
		switch n := v.(type) {
		case int64:
			if n == math.MinInt64 {
				return nil, runtimeErrorf(x.At, "number out of range")
			}
			return -n, nil
		case float64:
			return -n, nil
		}
		return nil, runtimeErrorf(x.At, "operator - needs a number, got %s", typeName(v))
	}
}

func (in *interp) evalBinary(x *BinaryExpr) (any, error) {
	left, err := in.eval(x.Left)
	if err != nil {
		return nil, err
	}
	if x.Op == "&&" || x.Op == "||" {
		return in.evalLogical(x, left)
	}
	right, err := in.eval(x.Right)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case "==":
		return in.equal(x.At, left, right)
	case "!=":
		same, err := in.equal(x.At, left, right)
		return !same, err
	case "<", "<=", ">", ">=":
		return compare(x, left, right)
	case "+":
		_, ls := left.(string)
		_, rs := right.(string)
		if ls || rs {
			return in.newText(x.At, concatText(left)+concatText(right))
		}
	}
	return arithmetic(x, left, right)
}

// concatText is the text of a value in a concatenation: null adds nothing.
func concatText(v any) string {
	if v == nil {
		return ""
	}
	return text(v)
}

func (in *interp) evalLogical(x *BinaryExpr, left any) (any, error) {
	lb, ok := left.(bool)
	if !ok {
		return nil, runtimeErrorf(x.At, "operator %s needs BOOLEAN operands, got %s on the left", x.Op, typeName(left))
	}
	if (x.Op == "&&" && !lb) || (x.Op == "||" && lb) {
		return lb, nil
	}
	right, err := in.eval(x.Right)
	if err != nil {
		return nil, err
	}
	rb, ok := right.(bool)
	if !ok {
		return nil, runtimeErrorf(x.At, "operator %s needs BOOLEAN operands, got %s on the right", x.Op, typeName(right))
	}
	return rb, nil
}

func compare(x *BinaryExpr, left, right any) (any, error) {
	var c int
	if lf, ok := toFloat(left); ok {
		rf, ok := toFloat(right)
		if !ok {
			return nil, runtimeErrorf(x.At, "cannot compare %s with %s", typeName(left), typeName(right))
		}
		li, lok := left.(int64)
		ri, rok := right.(int64)
		switch {
		case lok && rok && li < ri, !(lok && rok) && lf < rf:
			c = -1
		case lok && rok && li > ri, !(lok && rok) && lf > rf:
			c = 1
		}
	} else {
		ls, lok := left.(string)
		rs, rok := right.(string)
		if !lok || !rok {
			return nil, runtimeErrorf(x.At, "cannot compare %s with %s", typeName(left), typeName(right))
		}
		c = strings.Compare(ls, rs)
	}
	switch x.Op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	}
	return c >= 0, nil
}

// arithmetic applies + - * / % to numbers. Two NUMBERs give a NUMBER, and
// their division truncates toward zero (7 / 2 is 3). A DECIMAL on either
// side gives a DECIMAL.
func arithmetic(x *BinaryExpr, left, right any) (any, error) {
	li, lInt := left.(int64)
	ri, rInt := right.(int64)
	if lInt && rInt {
		return intArithmetic(x, li, ri)
	}
	lf, lok := toFloat(left)
	rf, rok := toFloat(right)
	if !lok || !rok {
		return nil, runtimeErrorf(x.At, "operator %s cannot be applied to %s and %s", x.Op, typeName(left), typeName(right))
	}
	var f float64
	switch x.Op {
	case "+":
		f = lf + rf
	case "-":
		f = lf - rf
	case "*":
		f = lf * rf
	case "/":
		if rf == 0 {
			return nil, runtimeErrorf(x.At, "division by zero")
		}
		f = lf / rf
	case "%":
		if rf == 0 {
			return nil, runtimeErrorf(x.At, "division by zero")
		}
		f = math.Mod(lf, rf)
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, runtimeErrorf(x.At, "number out of range")
	}
	return f, nil
}

func intArithmetic(x *BinaryExpr, a, b int64) (any, error) {
	var n int64
	overflow := false
	switch x.Op {
	case "+":
		n = a + b
		overflow = (a > 0 && b > 0 && n < 0) || (a < 0 && b < 0 && n >= 0)
	case "-":
		n = a - b
		overflow = (a >= 0 && b < 0 && n < 0) || (a < 0 && b > 0 && n >= 0)
	case "*":
		if a != 0 && b != 0 {
			n = a * b
			overflow = n/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64)
		}
	case "/", "%":
		if b == 0 {
			return nil, runtimeErrorf(x.At, "division by zero")
		}
		if a == math.MinInt64 && b == -1 {
			return nil, runtimeErrorf(x.At, "number out of range")
		}
		if x.Op == "/" {
			n = a / b
		} else {
			n = a % b
		}
	}
	if overflow {
		return nil, runtimeErrorf(x.At, "number out of range")
	}
	return n, nil
}
