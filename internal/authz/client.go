package authz

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/plugboard/plugboard/internal/store"
)

// client is a stored client as the op package reads it: a confidential web
// application that uses the authorization code grant with refresh tokens.
type client struct {
	rec      store.AuthzClient
	loginURL func(requestID string) string
}

var _ op.Client = client{}

func (c client) GetID() string                       { return c.rec.ID }
func (c client) RedirectURIs() []string              { return c.rec.RedirectURIs }
func (c client) PostLogoutRedirectURIs() []string    { return nil }
func (c client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c client) LoginURL(requestID string) string     { return c.loginURL(requestID) }
func (c client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c client) IDTokenLifetime() time.Duration       { return time.Hour }
func (c client) DevMode() bool                        { return false }
func (c client) IDTokenUserinfoClaimsAssertion() bool { return false }
func (c client) ClockSkew() time.Duration             { return 0 }
func (c client) GrantTypes() []oidc.GrantType {
	return []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken}
}

func (c client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

func (c client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(scopes []string) []string { return scopes }
}

// IsScopeAllowed lets every scope through the op package's filter, which
// drops unknown scopes silently. CreateAuthRequest rejects them instead,
// with invalid_scope naming the scope.
func (c client) IsScopeAllowed(string) bool { return true }
