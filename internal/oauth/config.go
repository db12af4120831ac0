package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/plugboard/plugboard/internal/catalog"
)

// Config is one application of one service: the service's OAuth 2.0 settings,
// the client registered with the provider and the instance's redirect URI.
// A Config is safe for concurrent use when its fields are not changed.
type Config struct {
	Settings    *catalog.OAuth2Settings
	Client      Client
	RedirectURI string

	// HTTPClient sends token and revocation requests, and nil means
	// http.DefaultClient. Redirects are never followed whatever its
	// CheckRedirect, so a body with the client secret cannot be re-sent to
	// another host.
	HTTPClient *http.Client

	// Now returns the current time, from which expires_in is counted, and
	// nil means time.Now.
	Now func() time.Time
}

// isReservedAuthorizationParam reports whether AuthorizationURL sets the
// parameter itself, so a service's AuthorizationParams cannot override it.
func isReservedAuthorizationParam(name string) bool {
	switch name {
	case "response_type", "client_id", "redirect_uri", "scope", "state",
		"code_challenge", "code_challenge_method":
		return true
	}
	return false
}

// AuthorizationURL builds the authorization request URL of the authorization
// code flow (RFC 6749 section 4.1.1). Scopes are joined with the service's
// separator and the service's AuthorizationParams are added, except those that
// would replace a parameter set here. The S256 challenge of verifier is added
// when verifier is not empty and the service has PKCE on, so the caller passes
// "" when PKCE is off. Settings must not be nil.
func (c *Config) AuthorizationURL(state string, scopes []string, verifier string) string {
	conf := oauth2.Config{
		ClientID:    c.Client.ID,
		RedirectURL: c.RedirectURI,
		Endpoint:    oauth2.Endpoint{AuthURL: c.Settings.AuthorizationURL},
	}

	var options []oauth2.AuthCodeOption
	for name, value := range c.Settings.AuthorizationParams {
		if isReservedAuthorizationParam(name) {
			continue
		}
		options = append(options, oauth2.SetAuthURLParam(name, value))
	}
	if len(scopes) > 0 {
		joined := strings.Join(scopes, c.Settings.Separator())
		options = append(options, oauth2.SetAuthURLParam("scope", joined))
	}
	if c.usesPKCE(verifier) {
		options = append(options, oauth2.S256ChallengeOption(verifier))
	}
	return conf.AuthCodeURL(state, options...)
}

// usesPKCE reports whether verifier goes into the flow: only when it is set
// and the service has PKCE on, because some providers reject unknown
// parameters.
func (c *Config) usesPKCE(verifier string) bool {
	return verifier != "" && c.Settings.PKCEEnabled()
}

// GenerateVerifier returns a new PKCE code verifier: 32 random bytes,
// base64url-encoded (RFC 7636 section 4.1).
func GenerateVerifier() string {
	return oauth2.GenerateVerifier()
}

// stateBytes is the number of random bytes in a state value.
const stateBytes = 32

// GenerateState returns a new state value: 32 random bytes, base64url-encoded
// without padding.
func GenerateState() (string, error) {
	buf := make([]byte, stateBytes)
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("reading random bytes for state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(buf), nil
}

// check returns an error when the Config cannot send token requests.
func (c *Config) check() error {
	if c.Settings == nil {
		return errors.New("missing OAuth 2.0 settings: the service must have auth type oauth2")
	}
	if c.Settings.TokenURL == "" {
		return errors.New("missing token URL: set token_url in the service")
	}
	return nil
}

func (c *Config) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// httpClient returns a copy of the configured client that does not follow
// redirects, so a 3xx from an endpoint is a failure status.
func (c *Config) httpClient() *http.Client {
	base := c.HTTPClient
	if base == nil {
		base = http.DefaultClient
	}
	client := *base
	client.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &client
}
