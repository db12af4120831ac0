package web

import (
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
)

// form is a submitted or prefilled form: its values, an error per field
// and one for the whole form. A form that fails is rendered again from
// its values, so nothing the user typed is lost.
type form struct {
	Values url.Values
	Errors map[string]string
	// Message is an error that belongs to no one field.
	Message string
}

// newForm returns a form with a copy of values, so changing the form's
// values leaves the request's alone.
func newForm(values url.Values) *form {
	copied := url.Values{}
	for k, v := range values {
		copied[k] = append([]string(nil), v...)
	}
	return &form{Values: copied, Errors: map[string]string{}}
}

// Get returns a field's first value.
func (f *form) Get(name string) string { return f.Values.Get(name) }

// valueAt returns values[i], or "" when values is shorter. Rows of paired
// inputs use it, because a client may send fewer values of one input than
// of the other.
func valueAt(values []string, i int) string {
	if i < len(values) {
		return values[i]
	}
	return ""
}

// Has reports whether a field has the value v among its values, as a
// checkbox group does.
func (f *form) Has(name, v string) bool {
	for _, got := range f.Values[name] {
		if got == v {
			return true
		}
	}
	return false
}

// Error returns a field's error message.
func (f *form) Error(name string) string { return f.Errors[name] }

// Fail sets a field's error.
func (f *form) Fail(name, message string) { f.Errors[name] = message }

// Failed reports whether the form has any error.
func (f *form) Failed() bool { return len(f.Errors) > 0 || f.Message != "" }

// FailWith puts a domain error next to the field it concerns: the field
// named by fields for its code, or the form's message. It returns false
// when err is not a problem, which the caller returns as a server error.
func (f *form) FailWith(err error, fields map[string]string) bool {
	p, ok := problem.As(err)
	if !ok || p.Status >= 500 {
		return false
	}
	detail := uiMessage(p)
	if field, ok := fields[p.Code]; ok {
		f.Fail(field, detail)
		return true
	}
	f.Message = detail
	return true
}

// sentence returns a domain message as a sentence: capitalized, with a
// final period.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}
