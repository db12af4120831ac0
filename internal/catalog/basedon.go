package catalog

import (
	"maps"
	"slices"
)

// ApplyBase fills the fields that s leaves empty from base, a default
// service that s extends: endpoints, client authentication, hosts, regions
// and the like. Scopes of base come first and s adds its own; allowed hosts
// and authorization parameters are merged the same way, s winning on a
// clash. The key, name, kind and BasedOn of s stay.
func (s *Service) ApplyBase(base Service) {
	b := base.Clone()
	if s.Description == "" {
		s.Description = b.Description
	}
	if s.AuthType == "" {
		s.AuthType = b.AuthType
	}
	s.OAuth2 = mergeOAuth2(s.OAuth2, b.OAuth2)
	if s.APIKey == nil {
		s.APIKey = b.APIKey
	}
	s.Scopes = mergeScopes(b.Scopes, s.Scopes)
	s.FreeScopes = s.FreeScopes || b.FreeScopes
	if s.APIBaseURL == "" {
		s.APIBaseURL = b.APIBaseURL
	}
	for _, h := range b.AllowedHosts {
		if !slices.Contains(s.AllowedHosts, h) {
			s.AllowedHosts = append(s.AllowedHosts, h)
		}
	}
	if s.DocsURL == "" {
		s.DocsURL = b.DocsURL
	}
	if s.SamplePath == "" {
		s.SamplePath = b.SamplePath
	}
	if len(s.Regions) == 0 {
		s.Regions, s.DefaultRegion = b.Regions, b.DefaultRegion
	}
	if s.APIBaseURLExtra == "" {
		s.APIBaseURLExtra = b.APIBaseURLExtra
	}
	if s.CredentialPlacement == nil {
		s.CredentialPlacement = b.CredentialPlacement
	}
	if s.DefaultTokenLifetime == 0 {
		s.DefaultTokenLifetime = b.DefaultTokenLifetime
	}
}

func mergeOAuth2(own, base *OAuth2Settings) *OAuth2Settings {
	if own == nil {
		return base
	}
	if base == nil {
		return own
	}
	out := *own
	if out.AuthorizationURL == "" {
		out.AuthorizationURL = base.AuthorizationURL
	}
	if out.TokenURL == "" {
		out.TokenURL = base.TokenURL
	}
	if out.RevocationURL == "" {
		out.RevocationURL = base.RevocationURL
	}
	if out.TokenAuthMethod == "" {
		out.TokenAuthMethod = base.TokenAuthMethod
	}
	if out.PKCE == nil {
		out.PKCE = base.PKCE
	}
	if out.ScopeSeparator == "" {
		out.ScopeSeparator = base.ScopeSeparator
	}
	if out.TokenPath == "" {
		out.TokenPath = base.TokenPath
	}
	// The base's hosts describe the base's endpoints, so they are kept only
	// while every endpoint comes from the base.
	if len(out.Hosts) == 0 && own.AuthorizationURL == "" && own.TokenURL == "" && own.RevocationURL == "" {
		out.Hosts = slices.Clone(base.Hosts)
	}
	params := maps.Clone(base.AuthorizationParams)
	if params == nil {
		params = map[string]string{}
	}
	maps.Copy(params, own.AuthorizationParams)
	if len(params) > 0 {
		out.AuthorizationParams = params
	}
	return &out
}

func mergeScopes(base, own []Scope) []Scope {
	out := slices.Clone(base)
	for _, sc := range own {
		i := slices.IndexFunc(out, func(b Scope) bool { return b.Name == sc.Name })
		if i >= 0 {
			out[i] = sc
			continue
		}
		out = append(out, sc)
	}
	return out
}
