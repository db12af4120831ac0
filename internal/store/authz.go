package store

import "time"

// Kinds of AuthzToken. A refresh token becomes AuthzRotatedToken when it
// is used, and stays until it expires, so a second use can be recognized.
const (
	AuthzAccessToken  = "access"
	AuthzRefreshToken = "refresh"
	AuthzRotatedToken = "rotated"
)

// AuthzClient is an OAuth client of plugboard's own authorization server.
type AuthzClient struct {
	OrgID string
	// ID is the client_id.
	ID   string
	Name string
	// ApplicationID names the application whose sealed client secret is
	// also this client's secret, as for the plugboard service's built-in
	// client. It is empty when SecretHash contains the secret's SHA-256.
	ApplicationID string
	SecretHash    []byte
	RedirectURIs  []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// AuthzRequest is an authorization request waiting for the member's
// consent, and then for its code to be exchanged.
type AuthzRequest struct {
	OrgID               string
	ID                  string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseType        string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	// UserID is the member who consented, or empty before consent.
	UserID   string
	AuthTime time.Time
	// CodeHash is the SHA-256 of the authorization code issued for the
	// request; empty until a code is issued.
	CodeHash  []byte
	ExpiresAt time.Time
	CreatedAt time.Time
	// GrantID is the grant of the tokens issued for the code, set when the
	// code is exchanged. The request is kept until it expires, so a second
	// use of the code can revoke that grant.
	GrantID string
}

// AuthzToken is an access or refresh token of the authorization server.
// Only the SHA-256 of the token's secret part is stored.
type AuthzToken struct {
	OrgID string
	ID    string
	// Kind is AuthzAccessToken, AuthzRefreshToken or AuthzRotatedToken.
	Kind string
	Hash []byte
	// GrantID is shared by the tokens of one consent: the refresh token
	// and every access token issued with it or after it, so revoking the
	// refresh token ends them all.
	GrantID   string
	ClientID  string
	UserID    string
	Scopes    []string
	AuthTime  time.Time
	ExpiresAt time.Time
	CreatedAt time.Time
}

// AuthzSigningKey is a key the authorization server signs ID tokens with.
// The private key is sealed, and the public key is a JSON Web Key.
type AuthzSigningKey struct {
	OrgID            string
	ID               string
	Algorithm        string
	PrivateKeySealed string
	PublicKeyJWK     string
	CreatedAt        time.Time
}
