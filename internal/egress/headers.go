package egress

import (
	"net/http"
	"net/textproto"
	"strings"
)

// removeHopByHopHeaders deletes the headers that apply to one connection only:
// the headers named by Connection, every Proxy-* header (Proxy-Authorization
// and Proxy-Connection included), and Connection, Keep-Alive, TE, Trailer,
// Transfer-Encoding and Upgrade (RFC 9110 section 7.6.1).
func removeHopByHopHeaders(h http.Header) {
	for _, value := range h["Connection"] {
		for name := range strings.SplitSeq(value, ",") {
			if name = textproto.TrimString(name); name != "" {
				h.Del(name)
			}
		}
	}
	for name := range h {
		if hasPrefixFold(name, "Proxy-") {
			delete(h, name)
		}
	}
	for _, name := range []string{"Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade"} {
		h.Del(name)
	}
}

// removeCallerHeaders deletes the headers of a proxied request that belong to
// the caller's session with plugboard or describe the caller's network path:
// Authorization, Cookie, Forwarded, X-Real-Ip and every X-Forwarded-* header.
func removeCallerHeaders(h http.Header) {
	h.Del("Authorization")
	h.Del("Cookie")
	h.Del("Forwarded")
	h.Del("X-Real-Ip")
	for name := range h {
		if hasPrefixFold(name, "X-Forwarded-") {
			delete(h, name)
		}
	}
}

// cleanProxyResponseHeader removes hop-by-hop headers, Set-Cookie and
// Set-Cookie2 from the header of a proxied response, because a cookie of the
// upstream would be stored for plugboard's own origin. When auth is a
// ResponseRedactor, it also removes the credential.
func cleanProxyResponseHeader(h http.Header, auth Authorizer) {
	removeHopByHopHeaders(h)
	h.Del("Set-Cookie")
	h.Del("Set-Cookie2")
	redactResponseHeader(h, auth)
}

// redactResponseHeader lets auth remove its credential from h when auth is a
// ResponseRedactor.
func redactResponseHeader(h http.Header, auth Authorizer) {
	if redactor, ok := auth.(ResponseRedactor); ok {
		redactor.RedactResponseHeader(h)
	}
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
