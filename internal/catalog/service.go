// Package catalog defines the service model and holds the default services,
// embedded as data files in the binary and validated when loaded.
package catalog

// AuthType is a service's authentication scheme.
type AuthType string

// Auth types a service may declare.
const (
	AuthOAuth2                  AuthType = "oauth2"
	AuthOAuth2ClientCredentials AuthType = "oauth2_client_credentials"
	AuthAPIKey                  AuthType = "api_key"
	AuthBasic                   AuthType = "basic"
	AuthNone                    AuthType = "none"
)

// Client authentication methods at a token endpoint (RFC 6749 section 2.3.1).
const (
	ClientSecretBasic = "client_secret_basic"
	ClientSecretPost  = "client_secret_post"

	// ClientSecretBasicUnencoded sends the client ID and secret in a Basic
	// Authorization header without the form-encoding of RFC 6749 section
	// 2.3.1, for providers that do not decode it. The client ID must not
	// contain ':'.
	ClientSecretBasicUnencoded = "client_secret_basic_unencoded"
)

// Kinds of service.
const (
	KindDefault = "default"
	KindCustom  = "custom"
)

// Service is an API that connections authenticate against. Default services
// come from the embedded catalog; custom services are stored per org with the
// same shape.
type Service struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Notes are maintainers' remarks on a default service: the facts its
	// provider's documentation does not confirm and where the others come
	// from. Only default services carry them, and the API leaves them out.
	Notes        string          `json:"notes,omitempty"`
	Kind         string          `json:"kind,omitempty"`
	AuthType     AuthType        `json:"auth_type"`
	OAuth2       *OAuth2Settings `json:"oauth2,omitempty"`
	APIKey       *APIKeySettings `json:"api_key,omitempty"`
	Scopes       []Scope         `json:"scopes"`
	FreeScopes   bool            `json:"free_scopes,omitempty"`
	APIBaseURL   string          `json:"api_base_url"`
	AllowedHosts []string        `json:"allowed_hosts,omitempty"`
	DocsURL      string          `json:"docs_url,omitempty"`
	// SamplePath is a path under api_base_url, with an optional query, that
	// a plain GET request can call; the sample code of a connection uses it.
	SamplePath string `json:"sample_path,omitempty"`

	// Regions are the service's data centres. Their vars fill the {name}
	// placeholders of the OAuth 2.0 endpoints, api_base_url and
	// allowed_hosts; see ForRegion.
	Regions []Region `json:"regions,omitempty"`
	// DefaultRegion is the ID of the region used when a connection names none.
	DefaultRegion string `json:"default_region,omitempty"`
	// APIBaseURLExtra names a provider extra of the credential, such as
	// api_domain or instance_url, whose URL replaces the scheme and host of
	// api_base_url when the credential has it.
	APIBaseURLExtra string `json:"api_base_url_extra,omitempty"`
	// CredentialPlacement is the header that carries the access token to
	// the API. Nil means "Authorization: Bearer {access_token}".
	CredentialPlacement *Placement `json:"credential_placement,omitempty"`
	// DefaultTokenLifetime is the lifetime of an access token whose token
	// response has no expires_in; zero means unknown.
	DefaultTokenLifetime Duration `json:"default_token_lifetime,omitempty"`
	// BasedOn is the key of the default service a custom service extends:
	// the fields it leaves empty come from that service, and its scopes add
	// to that service's.
	BasedOn string `json:"based_on,omitempty"`
}

// OAuth2Settings are the endpoints and client behaviour of an OAuth 2.0
// service.
type OAuth2Settings struct {
	AuthorizationURL    string            `json:"authorization_url"`
	TokenURL            string            `json:"token_url"`
	RevocationURL       string            `json:"revocation_url,omitempty"`
	TokenAuthMethod     string            `json:"token_auth_method"`
	PKCE                *bool             `json:"pkce,omitempty"`
	ScopeSeparator      string            `json:"scope_separator,omitempty"`
	AuthorizationParams map[string]string `json:"authorization_params,omitempty"`

	// Hosts are the hosts of the authorization, token and revocation URLs,
	// as host or host:port, with the same {name} placeholders as the URLs.
	// Validate checks every endpoint against them when they are set, and
	// every default OAuth 2.0 service sets them.
	Hosts []string `json:"hosts,omitempty"`

	// TokenPath is the dotted path of the object in the token response that
	// contains access_token, refresh_token, expires_in, scope and token_type,
	// such as "authed_user" for a Slack user token. Empty means the top level.
	TokenPath string `json:"token_path,omitempty"`
}

// PKCEEnabled reports whether the authorization code flow uses PKCE S256,
// which is on unless the service turns it off.
func (o *OAuth2Settings) PKCEEnabled() bool {
	return o.PKCE == nil || *o.PKCE
}

// Separator returns the scope separator, a single space unless set.
func (o *OAuth2Settings) Separator() string {
	if o.ScopeSeparator == "" {
		return " "
	}
	return o.ScopeSeparator
}

// APIKeySettings list where the parts of an API key credential go.
type APIKeySettings struct {
	Params []APIKeyParam `json:"params"`
}

// APIKeyParam is one named secret and where a request carries it: "header",
// "query" or "form".
type APIKeyParam struct {
	Name string `json:"name"`
	In   string `json:"in"`
}

// Scope is a permission a service declares.
type Scope struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}
