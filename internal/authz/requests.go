package authz

import (
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/plugboard/plugboard/internal/store"
)

// authRequest is a stored authorization request as the op package reads
// it.
type authRequest struct {
	rec store.AuthzRequest
}

var _ op.AuthRequest = authRequest{}

func (a authRequest) GetID() string          { return a.rec.ID }
func (a authRequest) GetACR() string         { return "" }
func (a authRequest) GetAMR() []string       { return nil }
func (a authRequest) GetAudience() []string  { return []string{a.rec.ClientID} }
func (a authRequest) GetAuthTime() time.Time { return a.rec.AuthTime }
func (a authRequest) GetClientID() string    { return a.rec.ClientID }
func (a authRequest) GetNonce() string       { return a.rec.Nonce }
func (a authRequest) GetRedirectURI() string { return a.rec.RedirectURI }
func (a authRequest) GetScopes() []string    { return a.rec.Scopes }
func (a authRequest) GetState() string       { return a.rec.State }
func (a authRequest) GetSubject() string     { return a.rec.UserID }
func (a authRequest) Done() bool             { return a.rec.UserID != "" }
func (a authRequest) GetResponseType() oidc.ResponseType {
	return oidc.ResponseType(a.rec.ResponseType)
}

func (a authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.rec.ResponseMode)
}

func (a authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.rec.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.rec.CodeChallenge, Method: oidc.CodeChallengeMethod(a.rec.CodeChallengeMethod)}
}

// refreshRequest is a stored refresh token as the op package reads it. The
// scopes of the access token it issues may narrow to CurrentScopes.
type refreshRequest struct {
	token         store.AuthzToken
	currentScopes []string
}

var _ op.RefreshTokenRequest = (*refreshRequest)(nil)

func (r *refreshRequest) GetAMR() []string            { return nil }
func (r *refreshRequest) GetAudience() []string       { return []string{r.token.ClientID} }
func (r *refreshRequest) GetAuthTime() time.Time      { return r.token.AuthTime }
func (r *refreshRequest) GetClientID() string         { return r.token.ClientID }
func (r *refreshRequest) GetSubject() string          { return r.token.UserID }
func (r *refreshRequest) SetCurrentScopes(s []string) { r.currentScopes = s }
func (r *refreshRequest) GetScopes() []string {
	if r.currentScopes != nil {
		return r.currentScopes
	}
	return r.token.Scopes
}
