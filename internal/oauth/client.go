package oauth

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
)

// redacted replaces a secret in every printed form.
const redacted = "[REDACTED]"

// Client is an OAuth client registered with a service's provider. An empty
// Secret makes it a public client, which sends only its ID.
//
// Client redacts Secret when printed with fmt or logged with slog.
type Client struct {
	ID     string
	Secret string
}

// String returns the client ID with the secret redacted.
func (c Client) String() string {
	return fmt.Sprintf("{ID:%s Secret:%s}", c.ID, c.redactedSecret())
}

// GoString returns a Go-syntax form of the client with the secret redacted.
func (c Client) GoString() string {
	return fmt.Sprintf("oauth.Client{ID:%q, Secret:%q}", c.ID, c.redactedSecret())
}

// Format prints the redacted form for every verb, so no verb such as %s, %x
// or %d can print the secret.
func (c Client) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, c.GoString())
		return
	}
	fmt.Fprint(f, c.String())
}

// LogValue returns the client ID and, instead of the secret, whether one is set.
func (c Client) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", c.ID),
		slog.Bool("has_secret", c.Secret != ""),
	)
}

func (c Client) redactedSecret() string {
	if c.Secret == "" {
		return ""
	}
	return redacted
}

// authenticate adds the client's credentials to a token or revocation request
// with the service's method, and never with the other one. A public client
// sends only client_id in the body, whatever the method.
func (c Client) authenticate(header http.Header, form url.Values, method string) error {
	switch method {
	case catalog.ClientSecretBasic, catalog.ClientSecretPost, catalog.ClientSecretBasicUnencoded:
	default:
		return fmt.Errorf("invalid token auth method %q: set %q, %q or %q in the service",
			method, catalog.ClientSecretBasic, catalog.ClientSecretPost, catalog.ClientSecretBasicUnencoded)
	}
	if c.Secret == "" {
		form.Set("client_id", c.ID)
		return nil
	}

	var pair string
	switch method {
	case catalog.ClientSecretPost:
		form.Set("client_id", c.ID)
		form.Set("client_secret", c.Secret)
		return nil
	case catalog.ClientSecretBasicUnencoded:
		// The provider splits the credentials at the first ':', so a ':' in
		// the ID would move part of it into the secret.
		if strings.Contains(c.ID, ":") {
			return fmt.Errorf("invalid client ID for %s: it contains ':', so set %s, which form-encodes it",
				method, catalog.ClientSecretBasic)
		}
		pair = c.ID + ":" + c.Secret
	default:
		// RFC 6749 section 2.3.1: the ID and the secret are form-encoded
		// before Base64, so a ':' in the ID cannot split the pair.
		pair = url.QueryEscape(c.ID) + ":" + url.QueryEscape(c.Secret)
	}
	header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(pair)))
	return nil
}
