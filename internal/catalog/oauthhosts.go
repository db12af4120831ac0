package catalog

import (
	"fmt"
	"net/url"
	"strings"
)

// checkOAuth2Hosts checks oauth2.hosts of a resolved service: each entry is
// a host or host:port, and the host of every OAuth 2.0 endpoint is one of
// them. A service without oauth2.hosts is not checked, because the field is
// optional for custom services.
func (v *validator) checkOAuth2Hosts(o *OAuth2Settings) {
	if len(o.Hosts) == 0 {
		return
	}
	for i, h := range o.Hosts {
		if problem := hostProblem(h); problem != "" {
			v.add(fmt.Sprintf("oauth2.hosts[%d]", i), "%s", problem)
		}
	}
	for _, e := range o.endpoints() {
		if e.url == "" {
			continue
		}
		u, err := url.Parse(e.url)
		if err != nil || u.Host == "" {
			continue // checkURL reports it.
		}
		if !hostDeclared(u, o.Hosts) {
			v.add(e.field, "%s is on the host %q, which oauth2.hosts does not list: add it to oauth2.hosts or correct the URL",
				quoteShort(u.Redacted()), u.Host)
		}
	}
}

// oauth2Endpoint is one OAuth 2.0 endpoint URL with its field path.
type oauth2Endpoint struct {
	field, url string
}

// endpoints returns the authorization, token and revocation URLs, empty
// ones included.
func (o *OAuth2Settings) endpoints() []oauth2Endpoint {
	return []oauth2Endpoint{
		{"oauth2.authorization_url", o.AuthorizationURL},
		{"oauth2.token_url", o.TokenURL},
		{"oauth2.revocation_url", o.RevocationURL},
	}
}

// hostDeclared reports whether the host and port of u match an entry of
// hosts. An entry without a port means the default port of u's scheme.
func hostDeclared(u *url.URL, hosts []string) bool {
	port := u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
	}
	for _, entry := range hosts {
		host, entryPort, problem := splitHostPort(entry)
		if problem != "" {
			continue
		}
		if entryPort == "" {
			entryPort = defaultPort(u.Scheme)
		}
		if strings.EqualFold(host, u.Hostname()) && entryPort == port {
			return true
		}
	}
	return false
}

func defaultPort(scheme string) string {
	if scheme == "http" {
		return "80"
	}
	return "443"
}
