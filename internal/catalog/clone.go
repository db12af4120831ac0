package catalog

import (
	"maps"
	"slices"
)

// Clone returns a deep copy of the service, so that changing the copy's
// settings, scopes, hosts or parameters leaves the original untouched.
func (s *Service) Clone() Service {
	c := *s
	if s.OAuth2 != nil {
		o := *s.OAuth2
		if o.PKCE != nil {
			pkce := *o.PKCE
			o.PKCE = &pkce
		}
		o.AuthorizationParams = maps.Clone(o.AuthorizationParams)
		o.Hosts = slices.Clone(o.Hosts)
		c.OAuth2 = &o
	}
	if s.APIKey != nil {
		k := *s.APIKey
		k.Params = slices.Clone(k.Params)
		c.APIKey = &k
	}
	c.Scopes = slices.Clone(s.Scopes)
	c.AllowedHosts = slices.Clone(s.AllowedHosts)
	if s.Regions != nil {
		c.Regions = make([]Region, len(s.Regions))
		for i, r := range s.Regions {
			r.Vars = maps.Clone(r.Vars)
			c.Regions[i] = r
		}
	}
	if s.CredentialPlacement != nil {
		p := *s.CredentialPlacement
		c.CredentialPlacement = &p
	}
	return c
}
