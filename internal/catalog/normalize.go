package catalog

import (
	"net/url"
	"strings"
)

// Normalize tidies a service as its author meant it. It trims spaces around
// every text field and lowercases the hosts in URLs and allowed_hosts and the
// api_key "in" locations. It sets an empty oauth2 scope separator to a space
// and a missing scope list to an empty one. Call it before Validate, which
// reports whatever Normalize cannot tidy.
func (s *Service) Normalize() {
	s.Key = strings.TrimSpace(s.Key)
	s.Name = strings.TrimSpace(s.Name)
	s.Description = strings.TrimSpace(s.Description)
	s.Notes = strings.TrimSpace(s.Notes)
	s.Kind = strings.TrimSpace(s.Kind)
	s.AuthType = AuthType(strings.TrimSpace(string(s.AuthType)))
	s.APIBaseURL = normalizeURL(s.APIBaseURL)
	s.DocsURL = normalizeURL(s.DocsURL)
	s.SamplePath = strings.TrimSpace(s.SamplePath)

	for i, h := range s.AllowedHosts {
		s.AllowedHosts[i] = strings.ToLower(strings.TrimSpace(h))
	}

	if s.Scopes == nil {
		s.Scopes = []Scope{}
	}
	for i := range s.Scopes {
		s.Scopes[i].Name = strings.TrimSpace(s.Scopes[i].Name)
		s.Scopes[i].Description = strings.TrimSpace(s.Scopes[i].Description)
	}

	if o := s.OAuth2; o != nil {
		o.AuthorizationURL = normalizeURL(o.AuthorizationURL)
		o.TokenURL = normalizeURL(o.TokenURL)
		o.RevocationURL = normalizeURL(o.RevocationURL)
		o.TokenAuthMethod = strings.TrimSpace(o.TokenAuthMethod)
		for i, h := range o.Hosts {
			o.Hosts[i] = strings.ToLower(strings.TrimSpace(h))
		}
		// The separator is not trimmed, because a space is a valid one.
		if o.ScopeSeparator == "" {
			o.ScopeSeparator = " "
		}
	}

	if k := s.APIKey; k != nil {
		for i := range k.Params {
			k.Params[i].Name = strings.TrimSpace(k.Params[i].Name)
			k.Params[i].In = strings.ToLower(strings.TrimSpace(k.Params[i].In))
		}
	}
}

// normalizeURL trims raw and lowercases its host. A URL that does not parse
// is only trimmed.
func normalizeURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == strings.ToLower(u.Host) {
		return raw
	}
	u.Host = strings.ToLower(u.Host)
	return u.String()
}
