package deluge

import "fmt"

// Position is a place in a script: a 1-based line and a 1-based column
// counted in characters (runes), a tab counting as one.
type Position struct {
	Line, Column int
}

// SyntaxError reports a script that does not parse.
type SyntaxError struct {
	Line, Column int
	Message      string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// RuntimeError reports a failure while a script runs, at the node that
// failed. Exceeding a limit of Limits is a RuntimeError whose message names
// the limit and its value.
type RuntimeError struct {
	Line, Column int
	Message      string
	// Err is the Invoker's error when an invokeurl task failed, kept so
	// callers can check its type with errors.As. Message already contains
	// its text.
	Err error
}

func (e *RuntimeError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

func (e *RuntimeError) Unwrap() error { return e.Err }

func syntaxErrorf(pos Position, format string, args ...any) *SyntaxError {
	return &SyntaxError{Line: pos.Line, Column: pos.Column, Message: fmt.Sprintf(format, args...)}
}

func runtimeErrorf(pos Position, format string, args ...any) *RuntimeError {
	return &RuntimeError{Line: pos.Line, Column: pos.Column, Message: fmt.Sprintf(format, args...)}
}
