package oauth

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// redactedText replaces a secret that a provider echoed in an error.
const redactedText = "[redacted]"

// minRedactedLength is the length in bytes below which a sent value is not
// redacted. A shorter value is not a credential worth hiding, and replacing
// it would mangle every word of the message that contains it: a code "c"
// would turn "blocked" into "blo[redacted]ked".
const minRedactedLength = 8

// sentSecrets returns the secret values of a request in every form that a
// provider may repeat in its error description or URI. The values are the
// client secret, the code, verifier or token in form, and the Base64
// credentials of a Basic Authorization in header with and without padding.
// Each is returned as sent, query-escaped and path-escaped, unless it is
// shorter than minRedactedLength. The result is sorted longest first, so a
// value that contains another is replaced whole.
func sentSecrets(form url.Values, header http.Header, client Client) []string {
	var raw []string
	for _, name := range []string{"code", "code_verifier", "refresh_token", "token", "client_secret"} {
		if v := form.Get(name); v != "" {
			raw = append(raw, v)
		}
	}
	if client.Secret != "" {
		raw = append(raw, client.Secret)
	}
	if credentials, ok := strings.CutPrefix(header.Get("Authorization"), "Basic "); ok {
		raw = append(raw, credentials, strings.TrimRight(credentials, "="))
	}

	var values []string
	for _, v := range raw {
		if len(v) < minRedactedLength {
			continue
		}
		values = append(values, v, url.QueryEscape(v), url.PathEscape(v))
	}
	slices.SortFunc(values, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	return slices.Compact(values)
}

// redactString replaces every secret in s. It runs before a description is
// cut to length, so a cut cannot leave part of a secret unmatched.
func redactString(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, redactedText)
		}
	}
	return s
}
