package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// maxListedScopes caps how many declared scopes a ScopeError message lists.
const maxListedScopes = 20

// HasScope reports whether the service declares the scope name. Scope names
// are case-sensitive, as in RFC 6749 section 3.3.
func (s *Service) HasScope(name string) bool {
	for _, sc := range s.Scopes {
		if sc.Name == name {
			return true
		}
	}
	return false
}

// CheckScopes checks the scopes a connection requests. Every name must be
// non-empty, without whitespace or the service's scope separator, and, unless
// the service allows free scopes, declared by the service. Malformed names are
// reported as *FieldError with the field "scopes[i]"; undeclared ones together
// as one *ScopeError. It returns nil when every scope may be requested.
func (s *Service) CheckScopes(requested []string) error {
	separator := ""
	if s.OAuth2 != nil && utf8.RuneCountInString(s.OAuth2.ScopeSeparator) == 1 {
		separator = s.OAuth2.ScopeSeparator
	}

	var errs []error
	var undeclared []string
	for i, name := range requested {
		if problem := scopeNameProblem(name, separator); problem != "" {
			errs = append(errs, &FieldError{Field: fmt.Sprintf("scopes[%d]", i), Message: problem})
			continue
		}
		if !s.FreeScopes && !s.HasScope(name) && !slices.Contains(undeclared, name) {
			undeclared = append(undeclared, name)
		}
	}

	if len(undeclared) > 0 {
		declared := make([]string, len(s.Scopes))
		for i, sc := range s.Scopes {
			declared[i] = sc.Name
		}
		errs = append(errs, &ScopeError{Service: s.Key, Undeclared: undeclared, Declared: declared})
	}
	return errors.Join(errs...)
}

// ScopeError reports requested scopes that a service does not declare.
type ScopeError struct {
	Service    string   // key of the service
	Undeclared []string // requested scopes the service does not declare, in request order
	Declared   []string // every scope the service declares
}

func (e *ScopeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %q does not declare %s %s: ",
		e.Service, plural(len(e.Undeclared), "scope", "scopes"), quoteList(e.Undeclared))

	switch n := len(e.Declared); {
	case n == 0:
		b.WriteString("it declares no scopes, so request none")
	case n <= maxListedScopes:
		fmt.Fprintf(&b, "request only declared scopes (%s)", strings.Join(e.Declared, ", "))
	default:
		fmt.Fprintf(&b, "request only declared scopes (%s and %d more)",
			strings.Join(e.Declared[:maxListedScopes], ", "), n-maxListedScopes)
	}
	fmt.Fprintf(&b, ", or use a custom service based on %q that declares them or allows free scopes", e.Service)
	return b.String()
}

func plural(n int, singular, pluralForm string) string {
	if n == 1 {
		return singular
	}
	return pluralForm
}

func quoteList(names []string) string {
	quoted := make([]string, len(names))
	for i, name := range names {
		quoted[i] = quoteShort(name)
	}
	return strings.Join(quoted, ", ")
}
