package authz

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// Prefixes of the values the authorization server issues, so secret
// scanners and the API's authentication can distinguish them from API
// tokens (pb_).
const (
	// sealedPrefix starts access tokens and authorization codes, which are
	// sealed with the master keyring.
	sealedPrefix = "pbo_"
	// refreshPrefix starts refresh tokens.
	refreshPrefix = "pbr_"
)

// builtinClientName is the last part of the built-in client's ID,
// "<org ID>.plugboard".
const builtinClientName = "plugboard"

// errMalformed is returned for a value that is not of the expected form.
var errMalformed = errors.New("malformed value")

// IsAccessToken reports whether token has the form of an access token of
// the authorization server, as opposed to an API token.
func IsAccessToken(token string) bool {
	return strings.HasPrefix(token, sealedPrefix)
}

// BuiltinClientID returns the client ID of an org's built-in client.
func BuiltinClientID(orgID string) string {
	return orgID + "." + builtinClientName
}

// orgOfClient returns the org ID a client ID starts with.
func orgOfClient(clientID string) (string, error) {
	org, name, ok := strings.Cut(clientID, ".")
	if !ok || org == "" || name == "" {
		return "", errMalformed
	}
	return org, nil
}

// newRequestID returns an authorization request ID, "<org ID>.<random>".
func newRequestID(orgID string) string {
	return orgID + "." + randomHex(16)
}

// orgOfRequest returns the org ID an authorization request ID starts with.
func orgOfRequest(id string) (string, error) {
	org, rest, ok := strings.Cut(id, ".")
	if !ok || org == "" || rest == "" || strings.Contains(rest, ".") {
		return "", errMalformed
	}
	return org, nil
}

// tokenParts are the parts of a token ID or refresh token: the row that
// stores the token and the secret whose SHA-256 the row holds.
type tokenParts struct {
	OrgID  string
	RowID  string
	Secret string
}

// newTokenParts returns the parts of a new token of an org.
func newTokenParts(orgID string) tokenParts {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never returns an error.
	return tokenParts{OrgID: orgID, RowID: randomHex(16), Secret: base64.RawURLEncoding.EncodeToString(secret)}
}

func (p tokenParts) String() string {
	return p.OrgID + "." + p.RowID + "." + p.Secret
}

// parseTokenParts splits "<org ID>.<row ID>.<secret>".
func parseTokenParts(s string) (tokenParts, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || len(parts[2]) < 32 {
		return tokenParts{}, errMalformed
	}
	return tokenParts{OrgID: parts[0], RowID: parts[1], Secret: parts[2]}, nil
}

// refreshToken returns the refresh token of the parts.
func (p tokenParts) refreshToken() string {
	return refreshPrefix + p.String()
}

// parseRefreshToken returns the parts of a refresh token.
func parseRefreshToken(token string) (tokenParts, error) {
	rest, ok := strings.CutPrefix(token, refreshPrefix)
	if !ok {
		return tokenParts{}, errMalformed
	}
	return parseTokenParts(rest)
}

func hashOf(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// hashMatches compares in constant time.
func hashMatches(stored []byte, value string) bool {
	return len(stored) == sha256.Size && subtle.ConstantTimeCompare(stored, hashOf(value)) == 1
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b)
}
