package authz

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// requestLifetime bounds the time from the authorization request to the
// code exchange.
const requestLifetime = 10 * time.Minute

// storage implements op.Storage on the store. Every value is in the
// database, so any instance can continue a flow that another began.
type storage struct {
	store           store.Store
	keyring         *secrets.Keyring
	crypto          keyringCrypto
	secrets         Applications
	logger          *slog.Logger
	now             func() time.Time
	accessLifetime  time.Duration
	refreshLifetime time.Duration
	loginURL        func(requestID string) string
}

var _ op.Storage = (*storage)(nil)

// errInactive is returned for a token or request that is unknown, expired,
// revoked or does not match its hash. Callers report no more than that.
var errInactive = errors.New("unknown, expired or revoked")

func (s *storage) Health(ctx context.Context) error {
	return s.store.Ping(ctx)
}

// GetClientByClientID returns a client. An unknown client is a plain
// error, which the op package reports as invalid_client.
func (s *storage) GetClientByClientID(ctx context.Context, clientID string) (op.Client, error) {
	rec, err := s.client(ctx, clientID)
	if err != nil {
		return nil, err
	}
	return client{rec: rec, loginURL: s.loginURL}, nil
}

func (s *storage) client(ctx context.Context, clientID string) (store.AuthzClient, error) {
	orgID, err := orgOfClient(clientID)
	if err != nil {
		return store.AuthzClient{}, fmt.Errorf("client %q not found", clientID)
	}
	rec, err := s.store.GetAuthzClient(ctx, orgID, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return store.AuthzClient{}, fmt.Errorf("client %q not found", clientID)
	}
	if err != nil {
		return store.AuthzClient{}, oidc.ErrServerError().WithParent(err)
	}
	return rec, nil
}

// AuthorizeClientIDSecret checks a client's secret. The built-in client's
// secret is its application's, so changing the application's secret
// through the API changes both at once.
func (s *storage) AuthorizeClientIDSecret(ctx context.Context, clientID, secret string) error {
	rec, err := s.client(ctx, clientID)
	if err != nil {
		return err
	}
	if rec.ApplicationID == "" {
		if !hashMatches(rec.SecretHash, secret) {
			return fmt.Errorf("client %q: wrong secret", clientID)
		}
		return nil
	}
	want, err := s.secrets.ApplicationSecret(ctx, rec.OrgID, rec.ApplicationID)
	if err != nil {
		return oidc.ErrServerError().WithParent(fmt.Errorf("reading the secret of client %q: %w", clientID, err))
	}
	if want.Reveal() == "" || subtle.ConstantTimeCompare([]byte(want.Reveal()), []byte(secret)) != 1 {
		return fmt.Errorf("client %q: wrong secret", clientID)
	}
	return nil
}

// CreateAuthRequest stores a request after the checks that the op package
// leaves to storage: PKCE with S256, the code response type, scopes that
// this server defines, and bounded state, nonce and challenge. Repeated
// scopes are stored once.
func (s *storage) CreateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	orgID, err := orgOfClient(req.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient()
	}
	if req.ResponseType != oidc.ResponseTypeCode {
		return nil, oidc.ErrInvalidRequest().WithDescription("only response_type=code is supported")
	}
	if req.CodeChallenge == "" || req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("PKCE is required: send code_challenge with code_challenge_method=S256")
	}
	if len(req.State) > maxStateBytes || len(req.Nonce) > maxStateBytes {
		return nil, oidc.ErrInvalidRequest().WithDescription("state and nonce may have at most %d bytes each", maxStateBytes)
	}
	if len(req.CodeChallenge) != s256ChallengeLength {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge has %d characters, but an S256 challenge "+
			"(the unpadded base64url of a SHA-256 hash) has %d", len(req.CodeChallenge), s256ChallengeLength)
	}
	for _, scope := range req.Scopes {
		if _, ok := LookupScope(scope); !ok {
			return nil, oidc.ErrInvalidScope().WithDescription("scope %q is not known; use some of: %s",
				scope, strings.Join(ScopeNames(), " "))
		}
	}
	if len(req.Scopes) == 0 {
		return nil, oidc.ErrInvalidScope().WithDescription("scope is missing; request at least one of: %s", strings.Join(ScopeNames(), " "))
	}

	now := s.now().UTC()
	rec := store.AuthzRequest{
		OrgID: orgID, ID: newRequestID(orgID), ClientID: req.ClientID, RedirectURI: req.RedirectURI,
		Scopes: uniqueScopes(req.Scopes), State: req.State, Nonce: req.Nonce,
		ResponseType: string(req.ResponseType), ResponseMode: string(req.ResponseMode),
		CodeChallenge: req.CodeChallenge, CodeChallengeMethod: string(req.CodeChallengeMethod),
		ExpiresAt: now.Add(requestLifetime), CreatedAt: now,
	}
	if err := s.store.CreateAuthzRequest(ctx, rec); err != nil {
		return nil, fmt.Errorf("storing authorization request: %w", err)
	}
	return authRequest{rec: rec}, nil
}

// maxStateBytes bounds the state and nonce of an authorization request,
// which is stored before anyone has signed in. plugboard's own client sends
// a state of 43 bytes.
const maxStateBytes = 1024

// s256ChallengeLength is the length of an S256 code challenge, the
// unpadded base64url of a 32-byte SHA-256 hash (RFC 7636 section 4.2).
const s256ChallengeLength = 43

// uniqueScopes returns scopes without repeats, in their first order, so a
// request that repeats known scopes stores each once.
func uniqueScopes(scopes []string) []string {
	var unique []string
	for _, scope := range scopes {
		if !slices.Contains(unique, scope) {
			unique = append(unique, scope)
		}
	}
	return unique
}

// request returns a stored request that has not expired.
func (s *storage) request(ctx context.Context, id string) (store.AuthzRequest, error) {
	orgID, err := orgOfRequest(id)
	if err != nil {
		return store.AuthzRequest{}, errInactive
	}
	rec, err := s.store.GetAuthzRequest(ctx, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.AuthzRequest{}, errInactive
	}
	if err != nil {
		return store.AuthzRequest{}, fmt.Errorf("reading authorization request: %w", err)
	}
	if !s.now().Before(rec.ExpiresAt) {
		return store.AuthzRequest{}, errInactive
	}
	return rec, nil
}

// AuthRequestByID returns a request whose code has not been exchanged, so
// the authorize callback issues no new code for an exchanged request.
func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	rec, err := s.request(ctx, id)
	if err == nil && rec.GrantID != "" {
		err = errInactive
	}
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("the authorization request is unknown or expired; start again").WithParent(err)
	}
	return authRequest{rec: rec}, nil
}

// AuthRequestByCode returns the consented request of a code. A code is
// sealed, so it names its request, and the request stores the code's hash.
//
// An exchanged code's request is returned too. claimCode then rejects the
// second exchange and revokes the tokens of the first, as RFC 6749 section
// 4.1.2 recommends. It runs only after the op package has authenticated the
// client and checked the PKCE verifier, so a stranger who saw a code cannot
// revoke the grant.
func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	id, err := s.crypto.Decrypt(code)
	if err != nil {
		return nil, errInactive
	}
	rec, err := s.request(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.UserID == "" || !hashMatches(rec.CodeHash, code) {
		return nil, errInactive
	}
	return authRequest{rec: rec}, nil
}

// errCodeUsed is returned when an exchange finds its code exchanged
// already.
var errCodeUsed = errors.New("authorization code used already")

// claimCode records on a request the grant of the tokens issued for its
// code. Of two concurrent exchanges of one code, the second fails and
// revokes the first one's grant.
func (s *storage) claimCode(ctx context.Context, req store.AuthzRequest, grantID string) error {
	var used string
	_, err := s.store.UpdateAuthzRequest(ctx, req.OrgID, req.ID, func(r *store.AuthzRequest) error {
		if r.GrantID != "" {
			used = r.GrantID
			return errCodeUsed
		}
		r.GrantID = grantID
		return nil
	})
	if errors.Is(err, errCodeUsed) {
		s.revokeGrant(ctx, req.OrgID, used, "authorization code used twice; revoked its grant")
		return oidc.ErrInvalidGrant().WithDescription("the authorization code was used already")
	}
	if err != nil {
		return fmt.Errorf("recording the exchange of an authorization code: %w", err)
	}
	return nil
}

// revokeGrant deletes every token of a grant and logs why.
func (s *storage) revokeGrant(ctx context.Context, orgID, grantID, reason string) {
	n, err := s.store.DeleteAuthzGrant(ctx, orgID, grantID)
	if err != nil {
		s.logger.Error("revoking a grant failed", "org_id", orgID, "reason", reason, "err", err)
		return
	}
	s.logger.Warn(reason, "org_id", orgID, "tokens", n)
}

func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	orgID, err := orgOfRequest(id)
	if err != nil {
		return errInactive
	}
	_, err = s.store.UpdateAuthzRequest(ctx, orgID, id, func(r *store.AuthzRequest) error {
		r.CodeHash = hashOf(code)
		return nil
	})
	if err != nil {
		return fmt.Errorf("storing authorization code: %w", err)
	}
	return nil
}

// DeleteAuthRequest is called once a code is exchanged. It keeps an
// exchanged request until the request expires, so a second use of its code
// is recognized. DeleteExpired removes it then.
func (s *storage) DeleteAuthRequest(ctx context.Context, id string) error {
	orgID, err := orgOfRequest(id)
	if err != nil {
		return errInactive
	}
	rec, err := s.store.GetAuthzRequest(ctx, orgID, id)
	if err == nil && rec.GrantID != "" {
		return nil
	}
	err = s.store.DeleteAuthzRequest(ctx, orgID, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("deleting authorization request: %w", err)
	}
	return nil
}

// grantOf returns what the tokens of a token request carry: the org,
// client, member, scopes and time of consent, and the grant. A code's
// tokens start a new grant, which claimCode records on the request.
func (s *storage) grantOf(ctx context.Context, request op.TokenRequest) (store.AuthzToken, error) {
	switch r := request.(type) {
	case authRequest:
		grantID := randomHex(16)
		if err := s.claimCode(ctx, r.rec, grantID); err != nil {
			return store.AuthzToken{}, err
		}
		return store.AuthzToken{OrgID: r.rec.OrgID, ClientID: r.rec.ClientID, UserID: r.rec.UserID,
			Scopes: r.rec.Scopes, AuthTime: r.rec.AuthTime, GrantID: grantID}, nil
	case *refreshRequest:
		return store.AuthzToken{OrgID: r.token.OrgID, ClientID: r.token.ClientID, UserID: r.token.UserID,
			Scopes: r.GetScopes(), AuthTime: r.token.AuthTime, GrantID: r.token.GrantID}, nil
	}
	return store.AuthzToken{}, oidc.ErrUnsupportedGrantType().WithDescription("token requests of type %T are not supported", request)
}

// newToken returns the record and ID of a new token of a grant.
func (s *storage) newToken(grant store.AuthzToken, kind string, lifetime time.Duration) (store.AuthzToken, tokenParts) {
	parts := newTokenParts(grant.OrgID)
	now := s.now().UTC()
	tok := grant
	tok.ID, tok.Kind, tok.Hash = parts.RowID, kind, hashOf(parts.Secret)
	tok.Scopes = slices.Clone(grant.Scopes)
	tok.CreatedAt, tok.ExpiresAt = now, now.Add(lifetime)
	return tok, parts
}

// CreateAccessToken stores an access token and returns its ID, which the
// op package seals into the token.
func (s *storage) CreateAccessToken(ctx context.Context, request op.TokenRequest) (string, time.Time, error) {
	grant, err := s.grantOf(ctx, request)
	if err != nil {
		return "", time.Time{}, err
	}
	access, parts := s.newToken(grant, store.AuthzAccessToken, s.accessLifetime)
	if err := s.store.CreateAuthzTokens(ctx, []store.AuthzToken{access}); err != nil {
		return "", time.Time{}, fmt.Errorf("storing access token: %w", err)
	}
	return parts.String(), access.ExpiresAt, nil
}

// CreateAccessAndRefreshTokens stores an access token and a refresh
// token. Given the current refresh token, it rotates it, so the old one is
// deleted in the same transaction and a second use of it fails.
func (s *storage) CreateAccessAndRefreshTokens(ctx context.Context, request op.TokenRequest, current string) (string, string, time.Time, error) {
	grant, err := s.grantOf(ctx, request)
	if err != nil {
		return "", "", time.Time{}, err
	}
	access, accessParts := s.newToken(grant, store.AuthzAccessToken, s.accessLifetime)
	refreshGrant := grant
	if r, ok := request.(*refreshRequest); ok {
		// A refresh token keeps the scopes of the consent, even when this
		// access token requests fewer.
		refreshGrant.Scopes = r.token.Scopes
	}
	refresh, refreshParts := s.newToken(refreshGrant, store.AuthzRefreshToken, s.refreshLifetime)
	tokens := []store.AuthzToken{access, refresh}

	if current == "" {
		err = s.store.CreateAuthzTokens(ctx, tokens)
	} else {
		old, parseErr := parseRefreshToken(current)
		if parseErr != nil || old.OrgID != grant.OrgID {
			return "", "", time.Time{}, oidc.ErrInvalidGrant()
		}
		err = s.store.RotateAuthzRefreshToken(ctx, old.OrgID, old.RowID, tokens)
		if errors.Is(err, store.ErrNotFound) {
			return "", "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("the refresh token was used already")
		}
	}
	if err != nil {
		return "", "", time.Time{}, fmt.Errorf("storing tokens: %w", err)
	}
	return accessParts.String(), refreshParts.refreshToken(), access.ExpiresAt, nil
}

// refreshToken returns the live refresh token record of a refresh token.
func (s *storage) refreshToken(ctx context.Context, token string) (store.AuthzToken, error) {
	parts, err := parseRefreshToken(token)
	if err != nil {
		return store.AuthzToken{}, errInactive
	}
	return s.liveToken(ctx, parts, store.AuthzRefreshToken)
}

// liveToken returns the record of a token's parts when the token exists,
// has the kind, matches its hash and has not expired.
func (s *storage) liveToken(ctx context.Context, parts tokenParts, kind string) (store.AuthzToken, error) {
	rec, err := s.store.GetAuthzToken(ctx, parts.OrgID, parts.RowID)
	if errors.Is(err, store.ErrNotFound) {
		return store.AuthzToken{}, errInactive
	}
	if err != nil {
		return store.AuthzToken{}, fmt.Errorf("reading token: %w", err)
	}
	if rec.Kind != kind || !hashMatches(rec.Hash, parts.Secret) || !s.now().Before(rec.ExpiresAt) {
		return store.AuthzToken{}, errInactive
	}
	return rec, nil
}

// TokenRequestByRefreshToken returns the grant of a live refresh token. A
// refresh token used a second time was probably copied by someone else, and
// the server cannot tell which party is legitimate, so the whole grant is
// revoked.
func (s *storage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	rec, err := s.refreshToken(ctx, token)
	if errors.Is(err, errInactive) {
		s.revokeReusedGrant(ctx, token)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	return &refreshRequest{token: rec}, nil
}

// revokeReusedGrant revokes the grant of a rotated refresh token that was
// presented again.
func (s *storage) revokeReusedGrant(ctx context.Context, token string) {
	parts, err := parseRefreshToken(token)
	if err != nil {
		return
	}
	rec, err := s.liveToken(ctx, parts, store.AuthzRotatedToken)
	if err != nil {
		return
	}
	s.revokeGrant(ctx, rec.OrgID, rec.GrantID, "refresh token used twice; revoked its grant")
}

// TerminateSession does nothing, because the server keeps no login
// sessions of its own.
func (s *storage) TerminateSession(context.Context, string, string) error {
	return nil
}

// GetRefreshTokenInfo identifies a refresh token for revocation. Its
// tokenID is the token itself, which RevokeToken parses again.
func (s *storage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	rec, err := s.refreshToken(ctx, token)
	if err != nil {
		return "", "", op.ErrInvalidRefreshToken
	}
	return rec.UserID, token, nil
}

// RevokeToken revokes a refresh token with every access token of its grant,
// or one access token (RFC 7009). An unknown token is no error. A token of
// another client is not revoked.
func (s *storage) RevokeToken(ctx context.Context, tokenOrID, _, clientID string) *oidc.Error {
	if strings.HasPrefix(tokenOrID, refreshPrefix) {
		rec, err := s.refreshToken(ctx, tokenOrID)
		if err != nil {
			return nil
		}
		if rec.ClientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("the token was issued to another client")
		}
		if _, err := s.store.DeleteAuthzGrant(ctx, rec.OrgID, rec.GrantID); err != nil {
			return oidc.ErrServerError().WithParent(err)
		}
		s.logger.Info("revoked a grant of the authorization server", "org_id", rec.OrgID, "client_id", clientID, "user_id", rec.UserID)
		return nil
	}

	parts, err := parseTokenParts(tokenOrID)
	if err != nil {
		return nil
	}
	rec, err := s.liveToken(ctx, parts, store.AuthzAccessToken)
	if err != nil {
		return nil
	}
	if rec.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("the token was issued to another client")
	}
	if err := s.store.DeleteAuthzToken(ctx, rec.OrgID, rec.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return oidc.ErrServerError().WithParent(err)
	}
	s.logger.Info("revoked an access token of the authorization server", "org_id", rec.OrgID, "client_id", clientID, "user_id", rec.UserID)
	return nil
}

// accessToken returns the live record of an access token ID.
func (s *storage) accessToken(ctx context.Context, tokenID string) (store.AuthzToken, error) {
	parts, err := parseTokenParts(tokenID)
	if err != nil {
		return store.AuthzToken{}, errInactive
	}
	return s.liveToken(ctx, parts, store.AuthzAccessToken)
}

func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromToken fills the userinfo response of an access token.
func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	rec, err := s.accessToken(ctx, tokenID)
	if err != nil {
		return err
	}
	user, err := s.store.GetUser(ctx, rec.OrgID, rec.UserID)
	if err != nil {
		return fmt.Errorf("reading user of token: %w", err)
	}
	info.Subject = user.ID
	info.PreferredUsername = user.Username
	return nil
}

// SetIntrospectionFromToken fills the introspection response (RFC 7662) of
// an access token. Another client, of this org or another, learns only that
// the token is inactive, as RevokeToken leaves another client's token alone.
func (s *storage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	rec, err := s.accessToken(ctx, tokenID)
	if err != nil {
		return err
	}
	if rec.ClientID != clientID {
		return errInactive
	}
	user, err := s.store.GetUser(ctx, rec.OrgID, rec.UserID)
	if err != nil {
		return errInactive
	}
	resp.Scope = rec.Scopes
	resp.ClientID = rec.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(rec.ExpiresAt)
	resp.IssuedAt = oidc.FromTime(rec.CreatedAt)
	resp.AuthTime = oidc.FromTime(rec.AuthTime)
	resp.Subject = user.ID
	resp.Username = user.Username
	resp.Audience = oidc.Audience{rec.ClientID}
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID serves the JWT profile grant, which this server
// does not offer.
func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}
