package deluge

// Program is a parsed script, ready to run any number of times.
type Program struct {
	Statements []Stmt
}

// Node is an element of the syntax tree. Pos returns where it starts.
type Node interface {
	Pos() Position
}

// Stmt is a statement.
type Stmt interface {
	Node
	stmt()
}

// Expr is an expression.
type Expr interface {
	Node
	expr()
}

// AssignStmt is "name = value;".
type AssignStmt struct {
	At    Position
	Name  string
	Value Expr
}

// ExprStmt is an expression run for its effect, such as "m.put(k, v);".
type ExprStmt struct {
	At Position
	X  Expr
}

// InfoStmt is "info value;", which appends the rendered value to the log.
type InfoStmt struct {
	At Position
	X  Expr
}

// ReturnStmt is "return;" or "return value;".
type ReturnStmt struct {
	At Position
	X  Expr // nil for a bare return
}

// IfStmt is an if with an optional else. An "else if" is an IfStmt alone in
// Else.
type IfStmt struct {
	At   Position
	Cond Expr
	Then []Stmt
	Else []Stmt
}

// ForEachStmt is "for each name in list { ... }".
type ForEachStmt struct {
	At   Position
	Var  string
	List Expr
	Body []Stmt
}

// BreakStmt leaves the innermost for each loop.
type BreakStmt struct{ At Position }

// ContinueStmt starts the next iteration of the innermost for each loop.
type ContinueStmt struct{ At Position }

// Literal is a constant: nil, bool, int64, float64 or string.
type Literal struct {
	At    Position
	Value any
}

// Ident is a variable reference.
type Ident struct {
	At   Position
	Name string
}

// MapLit is {"key": value, ...}.
type MapLit struct {
	At     Position
	Keys   []Expr
	Values []Expr
}

// ListLit is [value, ...].
type ListLit struct {
	At    Position
	Elems []Expr
}

// UnaryExpr is !x or -x.
type UnaryExpr struct {
	At Position
	Op string
	X  Expr
}

// BinaryExpr is x op y.
type BinaryExpr struct {
	At    Position // position of the operator
	Op    string
	Left  Expr
	Right Expr
}

// CallExpr is a built-in function call such as isNull(x) or Map().
type CallExpr struct {
	At   Position
	Name string
	Args []Expr
}

// MethodCall is recv.name(args).
type MethodCall struct {
	At   Position // position of the method name
	Recv Expr
	Name string
	Args []Expr
}

// InvokeExpr is the invokeurl task: invokeurl [ key: value ... ].
type InvokeExpr struct {
	At     Position
	Params []InvokeParam
}

// InvokeParam is one key of the invokeurl task.
type InvokeParam struct {
	At    Position
	Key   string // lower case: url, type, parameters, headers, body, content-type, connection, detailed
	Value Expr
}

func (s *AssignStmt) Pos() Position   { return s.At }
func (s *ExprStmt) Pos() Position     { return s.At }
func (s *InfoStmt) Pos() Position     { return s.At }
func (s *ReturnStmt) Pos() Position   { return s.At }
func (s *IfStmt) Pos() Position       { return s.At }
func (s *ForEachStmt) Pos() Position  { return s.At }
func (s *BreakStmt) Pos() Position    { return s.At }
func (s *ContinueStmt) Pos() Position { return s.At }
func (e *Literal) Pos() Position      { return e.At }
func (e *Ident) Pos() Position        { return e.At }
func (e *MapLit) Pos() Position       { return e.At }
func (e *ListLit) Pos() Position      { return e.At }
func (e *UnaryExpr) Pos() Position    { return e.At }
func (e *BinaryExpr) Pos() Position   { return e.At }
func (e *CallExpr) Pos() Position     { return e.At }
func (e *MethodCall) Pos() Position   { return e.At }
func (e *InvokeExpr) Pos() Position   { return e.At }

func (*AssignStmt) stmt()   {}
func (*ExprStmt) stmt()     {}
func (*InfoStmt) stmt()     {}
func (*ReturnStmt) stmt()   {}
func (*IfStmt) stmt()       {}
func (*ForEachStmt) stmt()  {}
func (*BreakStmt) stmt()    {}
func (*ContinueStmt) stmt() {}
func (*Literal) expr()      {}
func (*Ident) expr()        {}
func (*MapLit) expr()       {}
func (*ListLit) expr()      {}
func (*UnaryExpr) expr()    {}
func (*BinaryExpr) expr()   {}
func (*CallExpr) expr()     {}
func (*MethodCall) expr()   {}
func (*InvokeExpr) expr()   {}
