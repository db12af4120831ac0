// Package problem defines the errors that plugboard returns to API clients
// as RFC 9457 problem details. An *Error carries a stable machine-readable
// code and a detail safe to show; the wrapped cause is logged, never shown.
package problem

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a failure with a status, a stable code and a message for the
// client.
type Error struct {
	Status int
	Code   string
	Detail string
	// Extra members added to the problem document, such as a connect URL
	// or per-field errors. They must hold no secret.
	Extra map[string]any
	// Err is the cause, logged by the API layer and never sent.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Detail + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Detail
}

func (e *Error) Unwrap() error { return e.Err }

// With returns a copy of e with an extra member set.
func (e *Error) With(key string, value any) *Error {
	out := *e
	out.Extra = make(map[string]any, len(e.Extra)+1)
	for k, v := range e.Extra {
		out.Extra[k] = v
	}
	out.Extra[key] = value
	return &out
}

// New returns an error with a formatted detail.
func New(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Detail: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with a formatted detail and a logged cause.
func Wrap(err error, status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Detail: fmt.Sprintf(format, args...), Err: err}
}

// Shorthands for the common statuses.

func NotFound(code, format string, args ...any) *Error {
	return New(http.StatusNotFound, code, format, args...)
}

func Conflict(code, format string, args ...any) *Error {
	return New(http.StatusConflict, code, format, args...)
}

func Invalid(code, format string, args ...any) *Error {
	return New(http.StatusUnprocessableEntity, code, format, args...)
}

func BadRequest(code, format string, args ...any) *Error {
	return New(http.StatusBadRequest, code, format, args...)
}

func Forbidden(code, format string, args ...any) *Error {
	return New(http.StatusForbidden, code, format, args...)
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var p *Error
	ok := errors.As(err, &p)
	return p, ok
}
