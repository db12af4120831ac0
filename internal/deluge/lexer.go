package deluge

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokInt
	tokDecimal
	tokString
	tokPunct
)

// token is one lexical unit. For tokString, text is the decoded value, and
// for tokPunct it is the operator or delimiter itself.
type token struct {
	kind tokenKind
	text string
	pos  Position
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of script"
	case tokString:
		return "text " + strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

// lexer splits a script into tokens, skipping white space and comments.
type lexer struct {
	src  string
	off  int
	line int
	col  int
}

func lex(src string) ([]token, error) {
	lx := &lexer{src: src, line: 1, col: 1}
	var tokens []token
	for {
		tok, err := lx.next()
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, tok)
		if tok.kind == tokEOF {
			return tokens, nil
		}
	}
}

func (lx *lexer) peekRune(ahead int) rune {
	off := lx.off
	for i := 0; ; i++ {
		if off >= len(lx.src) {
			return -1
		}
		r, size := utf8.DecodeRuneInString(lx.src[off:])
		if i == ahead {
			return r
		}
		off += size
	}
}

func (lx *lexer) advance() rune {
	r, size := utf8.DecodeRuneInString(lx.src[lx.off:])
	lx.off += size
	if r == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	return r
}

func (lx *lexer) pos() Position { return Position{Line: lx.line, Column: lx.col} }

// twoCharOperators are the operators of two characters. Each starts with a
// character that is also an operator on its own, except & and |.
var twoCharOperators = []string{"==", "!=", "<=", ">=", "&&", "||"}

const oneCharOperators = "(){}[],;:.=<>+-*/%!"

func (lx *lexer) next() (token, error) {
	if err := lx.skipSpaceAndComments(); err != nil {
		return token{}, err
	}
	start := lx.pos()
	if lx.off >= len(lx.src) {
		return token{kind: tokEOF, pos: start}, nil
	}
	r := lx.peekRune(0)
	switch {
	case r == '"':
		return lx.lexString(start)
	case r == '\'':
		return token{}, syntaxErrorf(start, "single quotes are not supported; write text in double quotes")
	case isIdentStart(r):
		begin := lx.off
		for lx.off < len(lx.src) && isIdentPart(lx.peekRune(0)) {
			lx.advance()
		}
		return token{kind: tokIdent, text: lx.src[begin:lx.off], pos: start}, nil
	case r >= '0' && r <= '9':
		return lx.lexNumber(start)
	}
	for _, op := range twoCharOperators {
		if strings.HasPrefix(lx.src[lx.off:], op) {
			lx.advance()
			lx.advance()
			return token{kind: tokPunct, text: op, pos: start}, nil
		}
	}
	if strings.ContainsRune(oneCharOperators, r) {
		lx.advance()
		return token{kind: tokPunct, text: string(r), pos: start}, nil
	}
	if r == utf8.RuneError {
		return token{}, syntaxErrorf(start, "invalid UTF-8 in script")
	}
	return token{}, syntaxErrorf(start, "unexpected character %q", r)
}

func (lx *lexer) skipSpaceAndComments() error {
	for lx.off < len(lx.src) {
		r := lx.peekRune(0)
		switch {
		case unicode.IsSpace(r) || r == '\uFEFF':
			lx.advance()
		case r == '/' && lx.peekRune(1) == '/':
			for lx.off < len(lx.src) && lx.peekRune(0) != '\n' {
				lx.advance()
			}
		case r == '/' && lx.peekRune(1) == '*':
			start := lx.pos()
			lx.advance()
			lx.advance()
			for {
				if lx.off >= len(lx.src) {
					return syntaxErrorf(start, "comment is not closed; end it with */")
				}
				if lx.peekRune(0) == '*' && lx.peekRune(1) == '/' {
					lx.advance()
					lx.advance()
					break
				}
				lx.advance()
			}
		default:
			return nil
		}
	}
	return nil
}

func (lx *lexer) lexString(start Position) (token, error) {
	lx.advance() // opening quote
	var b strings.Builder
	for {
		if lx.off >= len(lx.src) {
			return token{}, syntaxErrorf(start, "text is not closed; end it with \"")
		}
		escapePos := lx.pos()
		r := lx.advance()
		switch r {
		case '"':
			return token{kind: tokString, text: b.String(), pos: start}, nil
		case '\\':
			if lx.off >= len(lx.src) {
				return token{}, syntaxErrorf(start, "text is not closed; end it with \"")
			}
			e := lx.advance()
			switch e {
			case '"', '\\', '/', '\'':
				b.WriteRune(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'u':
				var hex strings.Builder
				for range 4 {
					if lx.off >= len(lx.src) {
						break
					}
					hex.WriteRune(lx.advance())
				}
				code, err := strconv.ParseUint(hex.String(), 16, 32)
				if err != nil || hex.Len() != 4 {
					return token{}, syntaxErrorf(escapePos, "invalid escape \\u%s; write \\u and four hexadecimal digits", hex.String())
				}
				b.WriteRune(rune(code))
			default:
				return token{}, syntaxErrorf(escapePos, "invalid escape \\%c; use \\\", \\\\, \\n, \\t, \\r or \\uXXXX", e)
			}
		default:
			b.WriteRune(r)
		}
	}
}

func (lx *lexer) lexNumber(start Position) (token, error) {
	begin := lx.off
	for lx.off < len(lx.src) && isDigit(lx.peekRune(0)) {
		lx.advance()
	}
	kind := tokInt
	if lx.peekRune(0) == '.' && isDigit(lx.peekRune(1)) {
		kind = tokDecimal
		lx.advance()
		for lx.off < len(lx.src) && isDigit(lx.peekRune(0)) {
			lx.advance()
		}
	}
	if isIdentStart(lx.peekRune(0)) {
		return token{}, syntaxErrorf(lx.pos(), "unexpected %q after number %s", lx.peekRune(0), lx.src[begin:lx.off])
	}
	text := lx.src[begin:lx.off]
	if kind == tokInt {
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			return token{}, syntaxErrorf(start, "number %s is out of range; integers lie between -9223372036854775808 and 9223372036854775807", text)
		}
	}
	return token{kind: kind, text: text, pos: start}, nil
}

func isDigit(r rune) bool      { return r >= '0' && r <= '9' }
func isIdentStart(r rune) bool { return r == '_' || (r < utf8.RuneSelf && unicode.IsLetter(r)) }
func isIdentPart(r rune) bool  { return isIdentStart(r) || isDigit(r) }
