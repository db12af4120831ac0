package egress

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// Allowlist holds the hosts that a service's credential may be sent to: the
// host and port of its API base URL and its extra allowed hosts. Hosts are
// compared exactly, case-insensitively and with their ports, never by suffix
// or wildcard. A trailing dot is part of the host name, so
// "files.acme.example." matches only an entry written with the dot. The
// credential goes only over https, except to a loopback host. A nil
// *Allowlist allows nothing. An Allowlist is read-only once built and safe
// for concurrent use.
type Allowlist struct {
	// hostPorts contains "host:port" keys that match that port only.
	hostPorts map[string]bool
	// hosts contains entries without a port, which match the default port
	// of the URL's scheme.
	hosts map[string]bool
	// anyHost allows every http and https host. Only DoWithoutCredential
	// uses it, with an Authorizer that adds no credential.
	anyHost bool
}

// NewAllowlist builds the allow-list of a service. The API base URL, when not
// empty, must be an http or https URL and contributes its host with its
// explicit or default port. Each extra entry is "host" or "host:port", with
// an IPv6 address in brackets. A bare host means the default port of the
// request's scheme: 443 for https and 80 for http.
func NewAllowlist(apiBaseURL string, extra []string) (*Allowlist, error) {
	a := &Allowlist{hostPorts: map[string]bool{}, hosts: map[string]bool{}}

	if apiBaseURL != "" {
		base, err := url.Parse(apiBaseURL)
		if err != nil {
			return nil, fmt.Errorf("invalid API base URL: %w", err)
		}
		host, port, err := urlHostPort(base)
		if err != nil {
			return nil, fmt.Errorf("invalid API base URL %q: %w", apiBaseURL, err)
		}
		a.hostPorts[net.JoinHostPort(host, port)] = true
	}

	for _, entry := range extra {
		host, port, err := parseAllowedHost(entry)
		if err != nil {
			return nil, fmt.Errorf("invalid allowed host %q: %w", entry, err)
		}
		if port == "" {
			a.hosts[host] = true
		} else {
			a.hostPorts[net.JoinHostPort(host, port)] = true
		}
	}
	return a, nil
}

// Allows reports whether a credential may be sent to target.
func (a *Allowlist) Allows(target *url.URL) bool {
	return a.Check(target) == nil
}

// Check returns nil when a credential may be sent to target, and otherwise a
// *HostNotAllowedError that wraps ErrHostNotAllowed. An http URL is rejected
// unless its host is a loopback host (localhost, 127.0.0.0/8 or ::1),
// because the credential would cross the network in cleartext. A URL with
// user information is always rejected, because the HTTP client would send it
// as a second credential.
func (a *Allowlist) Check(target *url.URL) error {
	if target == nil {
		return &HostNotAllowedError{msg: "URL is missing"}
	}
	host, port, err := urlHostPort(target)
	if err != nil {
		return &HostNotAllowedError{Host: target.Host, msg: err.Error()}
	}

	if a != nil && a.anyHost {
		return nil
	}
	hostPort := net.JoinHostPort(host, port)
	if strings.EqualFold(target.Scheme, "http") && !isLoopbackHost(host) {
		return &HostNotAllowedError{
			Host: hostPort,
			msg: fmt.Sprintf("http URL of host %s is not allowed: credentials are only sent over https "+
				"(http only to localhost, 127.0.0.0/8 or ::1); use an https URL", hostPort),
		}
	}
	if a != nil && (a.hostPorts[hostPort] || (a.hosts[host] && port == defaultPort(target.Scheme))) {
		return nil
	}
	if strings.HasSuffix(host, ".") {
		return &HostNotAllowedError{
			Host: hostPort,
			msg: fmt.Sprintf("host %s is not allowed for this service: a host name with a trailing dot "+
				"matches only an allowed host written with the dot; remove the trailing dot", hostPort),
		}
	}
	return &HostNotAllowedError{
		Host: hostPort,
		msg: fmt.Sprintf("host %s is not allowed for this service; "+
			"call the host of its API base URL or add the host to its allowed_hosts", hostPort),
	}
}

// isLoopbackHost reports whether a normalized host is localhost or an
// address in 127.0.0.0/8 or ::1, IPv4-mapped forms included. The name must be
// exactly "localhost", so "localhost." does not count.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// urlHostPort returns the normalized host and port of an http or https URL,
// with the scheme's default port when the URL has none.
func urlHostPort(u *url.URL) (host, port string, err error) {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", "", fmt.Errorf("URL scheme %q is not allowed; use http or https", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return "", "", errors.New("URL has no host; give an absolute http or https URL")
	}
	if u.User != nil {
		return "", "", errors.New("URL must not contain user information; the connection supplies the credential")
	}

	host = normalizeHost(u.Hostname())
	if host == "" {
		return "", "", errors.New("URL has no host; give an absolute http or https URL")
	}
	port = u.Port()
	if port == "" {
		return host, defaultPort(scheme), nil
	}
	port, err = normalizePort(port)
	if err != nil {
		return "", "", err
	}
	return host, port, nil
}

// parseAllowedHost splits an allowed_hosts entry into its normalized host and
// port. The port is empty for a bare host.
func parseAllowedHost(entry string) (host, port string, err error) {
	switch {
	case entry == "":
		return "", "", errors.New("entry is empty; give a host or host:port")
	case strings.Contains(entry, "*"):
		return "", "", errors.New("wildcards are not supported; list each host")
	case strings.ContainsAny(entry, "/?#@ \t\r\n"):
		return "", "", errors.New("give a host or host:port, without scheme, path or user information")
	}

	host = entry
	hasPort := false
	switch {
	case strings.HasPrefix(entry, "[") && strings.HasSuffix(entry, "]"):
		host = entry[1 : len(entry)-1]
	case strings.HasPrefix(entry, "[") || strings.Count(entry, ":") == 1:
		host, port, err = net.SplitHostPort(entry)
		if err != nil {
			return "", "", errors.New("give a host or host:port; write an IPv6 address in brackets")
		}
		hasPort = true
	case strings.Contains(entry, ":"):
		return "", "", errors.New("write an IPv6 address in brackets, as [2001:db8::1] or [2001:db8::1]:8443")
	}

	if err := validateHost(host); err != nil {
		return "", "", err
	}
	if hasPort {
		port, err = normalizePort(port)
		if err != nil {
			return "", "", err
		}
	}
	return normalizeHost(host), port, nil
}

// validateHost checks that an allowed_hosts host is an IP address or a name
// made of letters, digits, '-', '_' and '.'.
func validateHost(host string) error {
	if host == "" {
		return errors.New("host is empty")
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return errors.New("IPv6 zones are not supported")
		}
		return nil
	}
	for _, r := range host {
		isLetter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		isDigit := r >= '0' && r <= '9'
		if !isLetter && !isDigit && r != '-' && r != '_' && r != '.' {
			return fmt.Errorf("host contains %q; use an ASCII host name (punycode for international names)", r)
		}
	}
	return nil
}

// normalizeHost lower-cases host and writes IP addresses in their canonical
// form, so that equal hosts compare equal. It keeps a trailing dot, because a
// name with the dot is fully qualified, while DNS search domains may extend
// the same name without it, so the two can resolve to different hosts.
func normalizeHost(host string) string {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.String()
	}
	return strings.ToLower(host)
}

// normalizePort returns port as a decimal number from 1 to 65535 without
// leading zeros, the form the dialer connects to.
func normalizePort(port string) (string, error) {
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return "", fmt.Errorf("port %q is invalid; use a number from 1 to 65535", port)
	}
	return strconv.FormatUint(n, 10), nil
}

// defaultPort returns the port that an http or https URL without a port
// connects to.
func defaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}
