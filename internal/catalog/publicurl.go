package catalog

import (
	"net/url"
	"strings"
)

// PublicURLPlaceholder stands for the instance's public URL, without a
// trailing slash, in a service's OAuth 2.0 endpoints and API base URL. The
// plugboard service uses it to point at the instance itself. Unlike region
// placeholders it needs no regions: WithPublicURL replaces it.
const PublicURLPlaceholder = "{public_url}"

// PublicHostPlaceholder stands for the host (and port, when it has one) of
// the instance's public URL in oauth2.hosts.
const PublicHostPlaceholder = "{public_host}"

// publicURLVar is the placeholder's name, which regions do not define.
const publicURLVar = "public_url"

// examplePublicURL replaces the placeholder while a service is validated.
const examplePublicURL = "http://127.0.0.1:8080"

// WithPublicURL returns a deep copy of the service with every
// PublicURLPlaceholder in its OAuth 2.0 endpoints and API base URL
// replaced by publicURL, and every PublicHostPlaceholder in oauth2.hosts by
// its host.
func (s Service) WithPublicURL(publicURL string) Service {
	c := s.Clone()
	publicURL = strings.TrimSuffix(publicURL, "/")
	c.APIBaseURL = strings.ReplaceAll(c.APIBaseURL, PublicURLPlaceholder, publicURL)
	if o := c.OAuth2; o != nil {
		o.AuthorizationURL = strings.ReplaceAll(o.AuthorizationURL, PublicURLPlaceholder, publicURL)
		o.TokenURL = strings.ReplaceAll(o.TokenURL, PublicURLPlaceholder, publicURL)
		o.RevocationURL = strings.ReplaceAll(o.RevocationURL, PublicURLPlaceholder, publicURL)
		host := publicURL
		if u, err := url.Parse(publicURL); err == nil && u.Host != "" {
			host = u.Host
		}
		for i := range o.Hosts {
			o.Hosts[i] = strings.ReplaceAll(o.Hosts[i], PublicHostPlaceholder, host)
		}
	}
	return c
}
