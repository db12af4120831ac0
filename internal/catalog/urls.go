package catalog

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// checkURL adds an error when raw is not an absolute https URL, or an http URL
// of a loopback host, without user information or fragment. An empty raw is
// reported as missing when required and accepted otherwise.
func (v *validator) checkURL(field, raw string, required bool) {
	if raw == "" {
		if required {
			v.add(field, "is missing: set an absolute https URL, such as https://api.example.com")
		}
		return
	}

	if problem := urlProblem(raw); problem != "" {
		v.add(field, "%s", problem)
	}
}

// urlProblem returns what is wrong with raw as a service URL, or "" when it
// is usable. Messages show the URL with any password redacted.
func urlProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Sprintf("%s is not a valid URL: write an absolute https URL, such as https://api.example.com", displayUnparsedURL(raw))
	}
	quoted := quoteShort(u.Redacted())

	switch {
	case u.Scheme == "" || u.Host == "":
		return fmt.Sprintf("%s is not an absolute URL: include the scheme and host, such as https://api.example.com", quoted)
	case u.User != nil:
		return fmt.Sprintf("%s contains user information: remove it, because credentials belong in an application or a connection", quoted)
	case strings.Contains(raw, "#"):
		return fmt.Sprintf("%s contains a fragment: remove the # and what follows it", quoted)
	case u.Hostname() == "":
		return fmt.Sprintf("%s has no host name: include the host, such as https://api.example.com", quoted)
	}

	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopbackHost(u.Hostname()) {
			return fmt.Sprintf("%s uses http: use https, because http is accepted only for loopback hosts (localhost, 127.0.0.0/8, ::1)", quoted)
		}
	default:
		return fmt.Sprintf("%s uses the scheme %q: use https", quoted, u.Scheme)
	}
	return ""
}

// displayUnparsedURL quotes a URL that failed to parse, unless it may hold a
// password before an @, which a message must not repeat.
func displayUnparsedURL(raw string) string {
	if strings.Contains(raw, "@") {
		return "the URL (not quoted, because it may contain credentials)"
	}
	return quoteShort(raw)
}

// isLoopbackHost reports whether host names this machine: localhost, an
// address in 127.0.0.0/8, or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.IsLoopback()
}

// hostProblem returns what is wrong with an allowed_hosts entry, or "" when
// it is a lower-case host or host:port. An IPv6 address is written in
// brackets, as in a URL.
func hostProblem(entry string) string {
	quoted := quoteShort(entry)
	fix := "write only the host, such as files.example.com or files.example.com:8443"

	switch {
	case entry == "":
		return "is empty: " + fix
	case strings.Contains(entry, "://"):
		return fmt.Sprintf("%s contains a scheme: %s", quoted, fix)
	case strings.ContainsAny(entry, "/?#"):
		return fmt.Sprintf("%s contains a path: %s", quoted, fix)
	case strings.Contains(entry, "*"):
		return fmt.Sprintf("%s contains a wildcard, which is not supported: list each host", quoted)
	case strings.Contains(entry, "@"):
		return fmt.Sprintf("%s contains user information: %s", quoted, fix)
	case entry != strings.ToLower(entry):
		return fmt.Sprintf("%s is not lower case: write it in lower case", quoted)
	}

	host, port, problem := splitHostPort(entry)
	if problem != "" {
		return fmt.Sprintf("%s %s", quoted, problem)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%s has an invalid port: use a number from 1 to 65535", quoted)
		}
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	if !isDNSName(host) {
		return fmt.Sprintf("%s is not a valid host name: use letters, digits, hyphens and dots, such as files.example.com", quoted)
	}
	return ""
}

const missingPort = "has an invalid port: use a number from 1 to 65535, or drop the colon"

// splitHostPort splits an allowed_hosts entry into host and optional port.
// It returns a problem phrase, to follow the quoted entry, when the entry
// cannot be split.
func splitHostPort(entry string) (host, port, problem string) {
	switch {
	case strings.HasPrefix(entry, "["):
		if strings.HasSuffix(entry, "]") {
			host = entry[1 : len(entry)-1]
		} else {
			h, p, err := net.SplitHostPort(entry)
			if err != nil {
				return "", "", "is not a valid [IPv6]:port: write it as [2001:db8::1] or [2001:db8::1]:8443"
			}
			if p == "" {
				return "", "", missingPort
			}
			host, port = h, p
		}
		if addr, err := netip.ParseAddr(host); err != nil || !addr.Is6() {
			return "", "", "has brackets around something other than an IPv6 address: use brackets only for IPv6"
		}
		return host, port, ""
	case strings.Count(entry, ":") > 1:
		return "", "", "looks like an IPv6 address without brackets: write it as [2001:db8::1] or [2001:db8::1]:8443"
	case strings.Contains(entry, ":"):
		h, p, err := net.SplitHostPort(entry)
		if err != nil || h == "" {
			return "", "", "is not a valid host:port: write it as files.example.com:8443"
		}
		if p == "" {
			return "", "", missingPort
		}
		return h, p, ""
	}
	return entry, "", ""
}

// isDNSName reports whether host is a syntactically valid DNS name: labels of
// 1 to 63 letters, digits and inner hyphens, 253 characters at most, with
// no trailing dot.
func isDNSName(host string) bool {
	if host == "" || len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(host, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !isAlphanumeric(r) && r != '-' {
				return false
			}
		}
	}
	return true
}
