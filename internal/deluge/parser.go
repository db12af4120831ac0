package deluge

import (
	"slices"
	"strconv"
	"strings"
)

// maxNesting bounds how deeply blocks and expressions may nest, so a hostile
// script cannot exhaust the parser's or the evaluator's stack.
const maxNesting = 100

// keywords are reserved words. Like Zoho, plugboard accepts them in any case
// (invokeurl and invokeUrl are the same task).
var keywords = map[string]bool{
	"if": true, "else": true, "for": true, "each": true, "in": true, "return": true,
	"info": true, "true": true, "false": true, "null": true, "break": true,
	"continue": true, "invokeurl": true,
}

// httpMethods are the constants the type key of invokeurl accepts.
var httpMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}

// invokeKeys are the keys of invokeurl that plugboard supports.
var invokeKeys = map[string]bool{
	"url": true, "type": true, "parameters": true, "headers": true, "body": true,
	"content-type": true, "connection": true, "detailed": true,
}

// Parse parses a script. A script that does not parse returns a
// *SyntaxError with the line and column of the first problem.
func Parse(src string) (*Program, error) {
	tokens, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{tokens: tokens}
	var stmts []Stmt
	for p.peek().kind != tokEOF {
		stmt, err := p.statement()
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, stmt)
	}
	return &Program{Statements: stmts}, nil
}

type parser struct {
	tokens []token
	i      int
	depth  int
}

func (p *parser) peek() token { return p.tokens[p.i] }

func (p *parser) peekAt(ahead int) token {
	if p.i+ahead >= len(p.tokens) {
		return p.tokens[len(p.tokens)-1]
	}
	return p.tokens[p.i+ahead]
}

func (p *parser) take() token {
	tok := p.tokens[p.i]
	if tok.kind != tokEOF {
		p.i++
	}
	return tok
}

func (p *parser) isPunct(text string) bool {
	tok := p.peek()
	return tok.kind == tokPunct && tok.text == text
}

func (p *parser) isKeyword(word string) bool {
	tok := p.peek()
	return tok.kind == tokIdent && strings.EqualFold(tok.text, word)
}

func (p *parser) expectPunct(text, context string) (token, error) {
	if !p.isPunct(text) {
		tok := p.peek()
		return tok, syntaxErrorf(tok.pos, "expected %q %s, found %s", text, context, tok.describe())
	}
	return p.take(), nil
}

func (p *parser) enter(pos Position) error {
	p.depth++
	if p.depth > maxNesting {
		return syntaxErrorf(pos, "script nests more than %d levels deep", maxNesting)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) statement() (Stmt, error) {
	tok := p.peek()
	if tok.kind == tokIdent {
		switch strings.ToLower(tok.text) {
		case "info":
			p.take()
			x, err := p.expression()
			if err != nil {
				return nil, err
			}
			return &InfoStmt{At: tok.pos, X: x}, p.endStatement("info")
		case "return":
			p.take()
			if p.isPunct(";") {
				p.take()
				return &ReturnStmt{At: tok.pos}, nil
			}
			x, err := p.expression()
			if err != nil {
				return nil, err
			}
			return &ReturnStmt{At: tok.pos, X: x}, p.endStatement("return")
		case "if":
			return p.ifStatement()
		case "for":
			return p.forEachStatement()
		case "break":
			p.take()
			return &BreakStmt{At: tok.pos}, p.endStatement("break")
		case "continue":
			p.take()
			return &ContinueStmt{At: tok.pos}, p.endStatement("continue")
		case "else":
			return nil, syntaxErrorf(tok.pos, "else without a matching if")
		}
		if next := p.peekAt(1); next.kind == tokPunct && next.text == "=" {
			if keywords[strings.ToLower(tok.text)] {
				return nil, syntaxErrorf(tok.pos, "%q is a reserved word and cannot be a variable name", tok.text)
			}
			p.take()
			p.take()
			value, err := p.expression()
			if err != nil {
				return nil, err
			}
			return &AssignStmt{At: tok.pos, Name: tok.text, Value: value}, p.endStatement("assignment")
		}
	}
	x, err := p.expression()
	if err != nil {
		return nil, err
	}
	switch x.(type) {
	case *MethodCall, *CallExpr, *InvokeExpr:
	default:
		return nil, syntaxErrorf(tok.pos, "a statement must be an assignment, a call, info, return, if or for each")
	}
	return &ExprStmt{At: tok.pos, X: x}, p.endStatement("statement")
}

func (p *parser) endStatement(construct string) error {
	if p.isPunct(";") {
		p.take()
		return nil
	}
	tok := p.peek()
	return syntaxErrorf(tok.pos, "expected \";\" after %s, found %s", construct, tok.describe())
}

func (p *parser) block(construct string) ([]Stmt, error) {
	open, err := p.expectPunct("{", "to open the "+construct)
	if err != nil {
		return nil, err
	}
	if err := p.enter(open.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	var stmts []Stmt
	for !p.isPunct("}") {
		if p.peek().kind == tokEOF {
			return nil, syntaxErrorf(open.pos, "block is not closed; end it with }")
		}
		stmt, err := p.statement()
		if err != nil {
			return nil, err
		}
		stmts = append(stmts, stmt)
	}
	p.take()
	return stmts, nil
}

func (p *parser) ifStatement() (Stmt, error) {
	at := p.take().pos
	cond, err := p.expression()
	if err != nil {
		return nil, err
	}
	then, err := p.block("if block")
	if err != nil {
		return nil, err
	}
	stmt := &IfStmt{At: at, Cond: cond, Then: then}
	if !p.isKeyword("else") {
		return stmt, nil
	}
	p.take()
	if p.isKeyword("if") {
		if err := p.enter(p.peek().pos); err != nil {
			return nil, err
		}
		defer p.leave()
		elseIf, err := p.ifStatement()
		if err != nil {
			return nil, err
		}
		stmt.Else = []Stmt{elseIf}
		return stmt, nil
	}
	if stmt.Else, err = p.block("else block"); err != nil {
		return nil, err
	}
	return stmt, nil
}

func (p *parser) forEachStatement() (Stmt, error) {
	at := p.take().pos
	if !p.isKeyword("each") {
		tok := p.peek()
		return nil, syntaxErrorf(tok.pos, "expected \"each\" after for, found %s; write for each item in list { }", tok.describe())
	}
	p.take()
	name := p.peek()
	if name.kind != tokIdent || keywords[strings.ToLower(name.text)] {
		return nil, syntaxErrorf(name.pos, "expected a variable name after for each, found %s", name.describe())
	}
	p.take()
	if !p.isKeyword("in") {
		tok := p.peek()
		return nil, syntaxErrorf(tok.pos, "expected \"in\" after for each %s, found %s", name.text, tok.describe())
	}
	p.take()
	list, err := p.expression()
	if err != nil {
		return nil, err
	}
	body, err := p.block("for each block")
	if err != nil {
		return nil, err
	}
	return &ForEachStmt{At: at, Var: name.text, List: list, Body: body}, nil
}

// binaryLevels lists the binary operators from the loosest to the tightest.
var binaryLevels = [][]string{
	{"||"},
	{"&&"},
	{"==", "!="},
	{"<", "<=", ">", ">="},
	{"+", "-"},
	{"*", "/", "%"},
}

func (p *parser) expression() (Expr, error) {
	if err := p.enter(p.peek().pos); err != nil {
		return nil, err
	}
	defer p.leave()
	return p.binary(0)
}

func (p *parser) binary(level int) (Expr, error) {
	if level == len(binaryLevels) {
		return p.unary()
	}
	left, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		tok := p.peek()
		if tok.kind != tokPunct || !slices.Contains(binaryLevels[level], tok.text) {
			return left, nil
		}
		p.take()
		right, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		left = &BinaryExpr{At: tok.pos, Op: tok.text, Left: left, Right: right}
	}
}

func (p *parser) unary() (Expr, error) {
	if p.isPunct("!") || p.isPunct("-") {
		tok := p.take()
		if err := p.enter(tok.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &UnaryExpr{At: tok.pos, Op: tok.text, X: x}, nil
	}
	return p.postfix()
}

func (p *parser) postfix() (Expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for p.isPunct(".") {
		p.take()
		name := p.peek()
		if name.kind != tokIdent {
			return nil, syntaxErrorf(name.pos, "expected a method name after \".\", found %s", name.describe())
		}
		p.take()
		if !p.isPunct("(") {
			tok := p.peek()
			return nil, syntaxErrorf(tok.pos, "expected \"(\" after method name %s, found %s", name.text, tok.describe())
		}
		args, err := p.arguments()
		if err != nil {
			return nil, err
		}
		x = &MethodCall{At: name.pos, Recv: x, Name: name.text, Args: args}
	}
	return x, nil
}

// arguments parses "(a, b, ...)".
func (p *parser) arguments() ([]Expr, error) {
	open := p.take()
	var args []Expr
	for !p.isPunct(")") {
		if len(args) > 0 {
			if _, err := p.expectPunct(",", "between arguments"); err != nil {
				return nil, err
			}
		}
		if p.peek().kind == tokEOF {
			return nil, syntaxErrorf(open.pos, "argument list is not closed; end it with )")
		}
		arg, err := p.expression()
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	p.take()
	return args, nil
}

func (p *parser) primary() (Expr, error) {
	tok := p.peek()
	switch tok.kind {
	case tokString:
		p.take()
		return &Literal{At: tok.pos, Value: tok.text}, nil
	case tokInt:
		p.take()
		n, _ := strconv.ParseInt(tok.text, 10, 64) // the lexer checked the range
		return &Literal{At: tok.pos, Value: n}, nil
	case tokDecimal:
		p.take()
		f, err := strconv.ParseFloat(tok.text, 64)
		if err != nil {
			return nil, syntaxErrorf(tok.pos, "number %s is out of range", tok.text)
		}
		return &Literal{At: tok.pos, Value: f}, nil
	case tokIdent:
		return p.identifier()
	case tokEOF:
		return nil, syntaxErrorf(tok.pos, "unexpected end of script; a value is missing")
	}
	switch tok.text {
	case "(":
		p.take()
		x, err := p.expression()
		if err != nil {
			return nil, err
		}
		if _, err := p.expectPunct(")", "to close the parenthesis"); err != nil {
			return nil, err
		}
		return x, nil
	case "{":
		return p.braceLiteral()
	case "[":
		return p.listLiteral()
	}
	return nil, syntaxErrorf(tok.pos, "unexpected %s; a value is expected here", tok.describe())
}

func (p *parser) identifier() (Expr, error) {
	tok := p.take()
	switch strings.ToLower(tok.text) {
	case "true":
		return &Literal{At: tok.pos, Value: true}, nil
	case "false":
		return &Literal{At: tok.pos, Value: false}, nil
	case "null":
		return &Literal{At: tok.pos, Value: nil}, nil
	case "invokeurl":
		return p.invokeURL(tok)
	}
	if keywords[strings.ToLower(tok.text)] {
		return nil, syntaxErrorf(tok.pos, "unexpected %q; a value is expected here", tok.text)
	}
	if p.isPunct("(") {
		args, err := p.arguments()
		if err != nil {
			return nil, err
		}
		return &CallExpr{At: tok.pos, Name: tok.text, Args: args}, nil
	}
	return &Ident{At: tok.pos, Name: tok.text}, nil
}

// braceLiteral parses {"k": v, ...} as a map and {a, b, ...} as a list, as
// Deluge does. {} is an empty map.
func (p *parser) braceLiteral() (Expr, error) {
	open := p.take()
	if p.isPunct("}") {
		p.take()
		return &MapLit{At: open.pos}, nil
	}
	first, err := p.expression()
	if err != nil {
		return nil, err
	}
	if !p.isPunct(":") {
		elems, err := p.restOfList(open, first, "}")
		if err != nil {
			return nil, err
		}
		return &ListLit{At: open.pos, Elems: elems}, nil
	}
	lit := &MapLit{At: open.pos}
	key := first
	for {
		if _, err := p.expectPunct(":", "after a map key"); err != nil {
			return nil, err
		}
		value, err := p.expression()
		if err != nil {
			return nil, err
		}
		lit.Keys = append(lit.Keys, key)
		lit.Values = append(lit.Values, value)
		if p.isPunct("}") {
			p.take()
			return lit, nil
		}
		if _, err := p.expectPunct(",", "between map entries"); err != nil {
			return nil, err
		}
		if key, err = p.expression(); err != nil {
			return nil, err
		}
	}
}

func (p *parser) listLiteral() (Expr, error) {
	open := p.take()
	if p.isPunct("]") {
		p.take()
		return &ListLit{At: open.pos}, nil
	}
	first, err := p.expression()
	if err != nil {
		return nil, err
	}
	elems, err := p.restOfList(open, first, "]")
	if err != nil {
		return nil, err
	}
	return &ListLit{At: open.pos, Elems: elems}, nil
}

func (p *parser) restOfList(open token, first Expr, closing string) ([]Expr, error) {
	elems := []Expr{first}
	for !p.isPunct(closing) {
		if p.peek().kind == tokEOF {
			return nil, syntaxErrorf(open.pos, "list is not closed; end it with %s", closing)
		}
		if _, err := p.expectPunct(",", "between list elements"); err != nil {
			return nil, err
		}
		elem, err := p.expression()
		if err != nil {
			return nil, err
		}
		elems = append(elems, elem)
	}
	p.take()
	return elems, nil
}

// invokeURL parses the task after its keyword: "[" then "key: value" pairs,
// each key written as Zoho writes it (content-type has a hyphen) with any
// spacing around the colon, then "]".
func (p *parser) invokeURL(keyword token) (Expr, error) {
	if _, err := p.expectPunct("[", "after invokeurl"); err != nil {
		return nil, err
	}
	task := &InvokeExpr{At: keyword.pos}
	seen := map[string]bool{}
	for !p.isPunct("]") {
		keyTok := p.peek()
		if keyTok.kind != tokIdent {
			if keyTok.kind == tokEOF {
				return nil, syntaxErrorf(keyword.pos, "invokeurl task is not closed; end it with ]")
			}
			return nil, syntaxErrorf(keyTok.pos, "expected an invokeurl key such as url or type, found %s", keyTok.describe())
		}
		p.take()
		key := strings.ToLower(keyTok.text)
		for p.isPunct("-") && p.peekAt(1).kind == tokIdent {
			p.take()
			key += "-" + strings.ToLower(p.take().text)
		}
		if !invokeKeys[key] {
			return nil, syntaxErrorf(keyTok.pos, "unsupported invokeurl key %q; use url, type, parameters, headers, body, content-type, connection or detailed", key)
		}
		if seen[key] {
			return nil, syntaxErrorf(keyTok.pos, "invokeurl key %q is given twice", key)
		}
		seen[key] = true
		if _, err := p.expectPunct(":", "after invokeurl key "+key); err != nil {
			return nil, err
		}
		value, err := p.expression()
		if err != nil {
			return nil, err
		}
		if key == "type" {
			if ident, ok := value.(*Ident); ok {
				method := strings.ToUpper(ident.Name)
				if !httpMethods[method] {
					return nil, syntaxErrorf(ident.At, "invalid invokeurl type %s; use GET, POST, PUT, PATCH or DELETE", ident.Name)
				}
				value = &Literal{At: ident.At, Value: method}
			}
		}
		task.Params = append(task.Params, InvokeParam{At: keyTok.pos, Key: key, Value: value})
		if p.isPunct(",") {
			p.take()
		}
	}
	p.take()
	if !seen["url"] {
		return nil, syntaxErrorf(keyword.pos, "invokeurl task has no url; add url: \"https://...\"")
	}
	return task, nil
}

// Connections returns the connection link names the script names as text
// literals in the connection key of invokeurl, each once, in order of first
// use. A connection computed at run time is not known before the run.
func (p *Program) Connections() []string {
	var names []string
	seen := map[string]bool{}
	var walkStmts func([]Stmt)
	var walkExpr func(Expr)
	walkExpr = func(x Expr) {
		switch x := x.(type) {
		case *InvokeExpr:
			for _, param := range x.Params {
				if lit, ok := param.Value.(*Literal); ok && param.Key == "connection" {
					if name, ok := lit.Value.(string); ok && !seen[name] {
						seen[name] = true
						names = append(names, name)
					}
				}
				walkExpr(param.Value)
			}
		case *MapLit:
			for i := range x.Keys {
				walkExpr(x.Keys[i])
				walkExpr(x.Values[i])
			}
		case *ListLit:
			for _, e := range x.Elems {
				walkExpr(e)
			}
		case *UnaryExpr:
			walkExpr(x.X)
		case *BinaryExpr:
			walkExpr(x.Left)
			walkExpr(x.Right)
		case *CallExpr:
			for _, a := range x.Args {
				walkExpr(a)
			}
		case *MethodCall:
			walkExpr(x.Recv)
			for _, a := range x.Args {
				walkExpr(a)
			}
		}
	}
	walkStmts = func(stmts []Stmt) {
		for _, s := range stmts {
			switch s := s.(type) {
			case *AssignStmt:
				walkExpr(s.Value)
			case *ExprStmt:
				walkExpr(s.X)
			case *InfoStmt:
				walkExpr(s.X)
			case *ReturnStmt:
				if s.X != nil {
					walkExpr(s.X)
				}
			case *IfStmt:
				walkExpr(s.Cond)
				walkStmts(s.Then)
				walkStmts(s.Else)
			case *ForEachStmt:
				walkExpr(s.List)
				walkStmts(s.Body)
			}
		}
	}
	walkStmts(p.Statements)
	return names
}
