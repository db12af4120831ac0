package connections

import (
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
)

// PlainCallTarget checks a call that names no connection and returns its
// URL. Such a call carries no credential, so it may go to any absolute http
// or https URL that the egress guard lets through. Admins and developers
// may send one, as they may send webhooks without a connection; viewers may
// not, because they only read.
func (m *Manager) PlainCallTarget(actor Actor, raw string) (*url.URL, error) {
	if !actor.CanUseCredentials() {
		return nil, problem.Forbidden("forbidden",
			"role %q may read connections but not send calls; ask an admin for the developer role", actor.Role)
	}
	// A URL with an @ is not repeated in messages, because what precedes
	// the @ may be a password.
	u, err := url.Parse(raw)
	if strings.Contains(raw, "@") && (err != nil || u.User != nil) {
		return nil, problem.Invalid("invalid_url",
			"url contains user information or is invalid; remove the part before the @, and send credentials through a connection instead")
	}
	if err != nil || !u.IsAbs() || u.Host == "" || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) {
		return nil, problem.Invalid("invalid_url",
			"url %q is not an absolute http or https URL; a call without a connection needs one, or name a connection to call a path under its API base URL", raw)
	}
	return u, nil
}
