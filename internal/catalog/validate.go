package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLength is the maximum length of a service's display name, in
// characters.
const maxNameLength = 100

var keyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{1,49}$`)

// tokenPathPattern matches a token path: member names of lower-case letters,
// digits and underscores, joined by dots.
var tokenPathPattern = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

// reservedAuthorizationParams are the authorization request parameters that
// plugboard sets itself, so a service may not override them.
var reservedAuthorizationParams = []string{
	"client_id", "code_challenge", "code_challenge_method", "redirect_uri",
	"response_type", "scope", "state",
}

// FieldError is one problem with one field of a service. Field is the JSON
// path of the field, such as "oauth2.token_url" or "scopes[2].name".
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string {
	return e.Field + ": " + e.Message
}

// FieldErrors returns every *FieldError inside err, in order, looking through
// errors.Join and %w wrapping.
func FieldErrors(err error) []*FieldError {
	var found []*FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*FieldError); ok {
			found = append(found, fe)
			return
		}
		switch e := err.(type) {
		case interface{ Unwrap() []error }:
			for _, inner := range e.Unwrap() {
				walk(inner)
			}
		case interface{ Unwrap() error }:
			walk(e.Unwrap())
		}
	}
	if err != nil {
		walk(err)
	}
	return found
}

// Validate checks every field of the service and returns all problems joined
// with errors.Join, each a *FieldError, or nil when the service is valid.
// Callers run Normalize first, so that stray spaces and upper-case hosts are
// not reported.
func (s *Service) Validate() error {
	var v validator
	v.checkIdentity(s)

	// A service with regions is checked as resolved for its default region,
	// and then the URLs and hosts of every other region are checked.
	region := v.checkRegions(s)
	resolved, _ := expand(s, region.Vars)
	r := &resolved

	v.checkAuth(r)
	v.checkURL("api_base_url", r.APIBaseURL, true)
	if strings.Contains(r.APIBaseURL, "?") {
		v.add("api_base_url", "%s contains a query: remove it, because the proxy appends the caller's path and query", quoteShort(r.APIBaseURL))
	}
	v.checkURL("docs_url", s.DocsURL, false)
	if problem := samplePathProblem(s.SamplePath); problem != "" {
		v.add("sample_path", "%s", problem)
	}
	v.checkAllowedHosts(r.AllowedHosts)
	v.checkScopes(s)
	v.checkRegionURLs(s, region.ID)
	v.checkCredentialSettings(s)
	return errors.Join(v.errs...)
}

// validator collects field errors.
type validator struct {
	errs []error
}

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) checkIdentity(s *Service) {
	switch {
	case s.Key == "":
		v.add("key", "is missing: set 2 to 50 characters, a lower-case letter first, then lower-case letters, digits or underscores")
	case !keyPattern.MatchString(s.Key):
		v.add("key", "%s is invalid: use 2 to 50 characters, a lower-case letter first, then lower-case letters, digits or underscores", quoteShort(s.Key))
	}

	switch n := utf8.RuneCountInString(s.Name); {
	case strings.TrimSpace(s.Name) == "":
		v.add("name", "is missing: set a display name of at most %d characters", maxNameLength)
	case n > maxNameLength:
		v.add("name", "is %d characters long: shorten it to at most %d", n, maxNameLength)
	}

	if s.Kind != "" && s.Kind != KindDefault && s.Kind != KindCustom {
		v.add("kind", "%s is not a kind: use %q or %q, or leave it empty", quoteShort(s.Kind), KindDefault, KindCustom)
	}
	if s.Kind == KindCustom && s.Notes != "" {
		v.add("notes", "is only for the catalog's default services: remove it and put what users need to know in description")
	}
}

func (v *validator) checkAuth(s *Service) {
	allTypes := "oauth2, oauth2_client_credentials, api_key, basic or none"
	switch s.AuthType {
	case AuthOAuth2, AuthOAuth2ClientCredentials:
		if s.OAuth2 == nil {
			v.add("oauth2", "is missing: auth type %s needs an oauth2 block with at least token_url and token_auth_method", s.AuthType)
		} else {
			v.checkOAuth2(s.AuthType, s.OAuth2)
		}
		if s.APIKey != nil {
			v.add("api_key", "must be omitted for auth type %s: remove the api_key block", s.AuthType)
		}
	case AuthAPIKey:
		if s.APIKey == nil {
			v.add("api_key", `is missing: auth type api_key needs an api_key block, such as {"params": [{"name": "X-API-Key", "in": "header"}]}`)
		} else {
			v.checkAPIKey(s.APIKey)
		}
		if s.OAuth2 != nil {
			v.add("oauth2", "must be omitted for auth type api_key: remove the oauth2 block")
		}
	case AuthBasic, AuthNone:
		if s.OAuth2 != nil {
			v.add("oauth2", "must be omitted for auth type %s: remove the oauth2 block", s.AuthType)
		}
		if s.APIKey != nil {
			v.add("api_key", "must be omitted for auth type %s: remove the api_key block", s.AuthType)
		}
	case "":
		v.add("auth_type", "is missing: set one of %s", allTypes)
	default:
		v.add("auth_type", "%s is not supported: use one of %s", quoteShort(string(s.AuthType)), allTypes)
	}
}

func (v *validator) checkOAuth2(authType AuthType, o *OAuth2Settings) {
	switch {
	case o.AuthorizationURL == "" && authType == AuthOAuth2:
		v.add("oauth2.authorization_url", "is missing: auth type oauth2 needs the provider's authorization endpoint")
	default:
		v.checkURL("oauth2.authorization_url", o.AuthorizationURL, false)
	}

	if o.TokenURL == "" {
		v.add("oauth2.token_url", "is missing: set the provider's token endpoint")
	} else {
		v.checkURL("oauth2.token_url", o.TokenURL, false)
	}
	v.checkURL("oauth2.revocation_url", o.RevocationURL, false)
	v.checkOAuth2Hosts(o)

	switch o.TokenAuthMethod {
	case ClientSecretBasic, ClientSecretPost, ClientSecretBasicUnencoded:
	case "":
		v.add("oauth2.token_auth_method", "is missing: set %s or %s, whichever the provider's documentation names, or %s for a provider that does not form-decode Basic credentials, because plugboard does not guess",
			ClientSecretBasic, ClientSecretPost, ClientSecretBasicUnencoded)
	default:
		v.add("oauth2.token_auth_method", "%s is not supported: use %s, %s or %s", quoteShort(o.TokenAuthMethod), ClientSecretBasic, ClientSecretPost, ClientSecretBasicUnencoded)
	}

	if o.TokenPath != "" && !tokenPathPattern.MatchString(o.TokenPath) {
		v.add("oauth2.token_path", "%s is invalid: use member names of lower-case letters, digits and underscores joined by dots, such as authed_user, or leave it empty for the top level", quoteShort(o.TokenPath))
	}

	if o.ScopeSeparator != "" && utf8.RuneCountInString(o.ScopeSeparator) != 1 {
		v.add("oauth2.scope_separator", `%s is invalid: use a single character, such as " " or ",", or leave it empty for a space`, quoteShort(o.ScopeSeparator))
	}

	keys := make([]string, 0, len(o.AuthorizationParams))
	for k := range o.AuthorizationParams {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		field := "oauth2.authorization_params." + k
		switch {
		case strings.TrimSpace(k) == "":
			v.add("oauth2.authorization_params", "has an empty parameter name: remove it or name the parameter")
		case slices.Contains(reservedAuthorizationParams, k):
			v.add(field, "is set by plugboard on every authorization request: remove it")
		}
	}
}

func (v *validator) checkAPIKey(k *APIKeySettings) {
	if len(k.Params) == 0 {
		v.add("api_key.params", `is empty: list at least one parameter, such as {"name": "X-API-Key", "in": "header"}`)
		return
	}

	seen := make(map[string]bool, len(k.Params))
	for i, p := range k.Params {
		field := fmt.Sprintf("api_key.params[%d]", i)

		switch lower := strings.ToLower(p.Name); {
		case p.Name == "":
			v.add(field+".name", "is missing: name the header, query or form parameter that carries the secret")
		case seen[lower]:
			v.add(field+".name", "%s is listed twice: give each parameter a distinct name", quoteShort(p.Name))
		case p.In == "header" && !isHeaderName(p.Name):
			v.add(field+".name", "%s is not a valid HTTP header name: use letters, digits and punctuation such as - or _, with no spaces or colons, such as X-API-Key", quoteShort(p.Name))
		default:
			seen[lower] = true
		}

		switch p.In {
		case "header", "query", "form":
		case "":
			v.add(field+".in", "is missing: set header, query or form")
		default:
			v.add(field+".in", "%s is not supported: use header, query or form", quoteShort(p.In))
		}
	}
}

// isHeaderName reports whether name is a valid HTTP field name (a token in
// RFC 9110 section 5.1).
func isHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !isAlphanumeric(r) && !strings.ContainsRune("!#$%&'*+-.^_`|~", r) {
			return false
		}
	}
	return true
}

func isAlphanumeric(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

func (v *validator) checkAllowedHosts(hosts []string) {
	for i, h := range hosts {
		if problem := hostProblem(h); problem != "" {
			v.add(fmt.Sprintf("allowed_hosts[%d]", i), "%s", problem)
		}
	}
}

func (v *validator) checkScopes(s *Service) {
	separator := ""
	if s.OAuth2 != nil && utf8.RuneCountInString(s.OAuth2.ScopeSeparator) == 1 {
		separator = s.OAuth2.ScopeSeparator
	}

	seen := make(map[string]bool, len(s.Scopes))
	for i, sc := range s.Scopes {
		field := fmt.Sprintf("scopes[%d].name", i)
		if problem := scopeNameProblem(sc.Name, separator); problem != "" {
			v.add(field, "%s", problem)
			continue
		}
		if seen[sc.Name] {
			v.add(field, "%s is declared twice: remove the duplicate", quoteShort(sc.Name))
			continue
		}
		seen[sc.Name] = true
	}
}

// scopeNameProblem returns what is wrong with a scope name, or "" when it is
// usable. separator is the service's scope separator, or "" when it has none.
func scopeNameProblem(name, separator string) string {
	switch {
	case name == "":
		return "is missing: set the scope name exactly as the provider spells it"
	case strings.ContainsFunc(name, unicode.IsSpace):
		return fmt.Sprintf("%s contains whitespace: declare each scope on its own", quoteShort(name))
	case separator != "" && strings.Contains(name, separator):
		return fmt.Sprintf("%s contains the scope separator %q: declare each scope on its own, or change oauth2.scope_separator", quoteShort(name), separator)
	}
	return ""
}

// quoteShort quotes s for a message, cutting it to 100 characters so that a
// pasted document does not flood the message.
func quoteShort(s string) string {
	const limit = 100
	if utf8.RuneCountInString(s) <= limit {
		return fmt.Sprintf("%q", s)
	}
	runes := []rune(s)
	return fmt.Sprintf("%q...", string(runes[:limit]))
}
