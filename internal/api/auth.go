package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/authz"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/cached"
)

// tokenTouchInterval is the longest an API token's recorded last use may lag.
const tokenTouchInterval = time.Minute

// Caller is the authenticated member of a request and the token used: an
// API token, or an access token of plugboard's authorization server.
type Caller struct {
	Actor connections.Actor
	// Token is the API token; its zero value for an access token.
	Token store.APIToken
	// Access is the grant of an access token, or nil for an API token.
	Access *authz.Access
}

// Has reports whether the caller's token carries a permission. An access
// token carries credentials:read when it was granted credentials.read.
func (c *Caller) Has(permission string) bool {
	if c.Access != nil {
		return permission == store.PermissionReadCredentials && c.Access.HasScope(scopeReadCredentials)
	}
	return slices.Contains(c.Token.Permissions, permission)
}

// scopeReadCredentials is the scope of GET /v1/connections/{link}/credential.
const scopeReadCredentials = "credentials.read"

// AccessTokenVerifier checks access tokens of plugboard's authorization
// server; *authz.Server implements it.
type AccessTokenVerifier interface {
	VerifyAccessToken(ctx context.Context, token string) (authz.Access, error)
}

var _ AccessTokenVerifier = (*authz.Server)(nil)

// authenticate reads the bearer token and passes the caller to h. An
// access token of the authorization server must carry scope, unless scope
// is empty.
func (s *Server) authenticate(scope string, h authedFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		header := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(header, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plugboard"`)
			return problem.New(http.StatusUnauthorized, "unauthenticated",
				"this request needs an API token in the Authorization header: \"Bearer pb_...\"")
		}
		// Reads made for this request may come from the store's cache,
		// checked once against the database's cache generation.
		r = r.WithContext(cached.WithScope(r.Context()))
		token = strings.TrimSpace(token)
		if authz.IsAccessToken(token) {
			return s.authenticateAccess(w, r, token, scope, h)
		}
		user, rec, err := members.Authenticate(r.Context(), s.store, token)
		if errors.Is(err, members.ErrInvalidToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="plugboard", error="invalid_token"`)
			return problem.New(http.StatusUnauthorized, "invalid_token",
				"the API token is unknown, revoked or malformed; create a new one with POST /v1/tokens")
		}
		if err != nil {
			return err
		}
		// Recording the last use is a write; once a minute per token is
		// enough to show which tokens are in use.
		if s.now().Sub(rec.LastUsedAt) >= tokenTouchInterval {
			if err := s.store.TouchAPIToken(context.WithoutCancel(r.Context()), rec.OrgID, rec.ID, s.now()); err != nil {
				s.logger.Warn("recording api token use failed", "org_id", rec.OrgID, "err", err)
			}
		}
		caller := &Caller{
			Actor: connections.Actor{OrgID: user.OrgID, UserID: user.ID, Username: user.Username, Role: user.Role},
			Token: rec,
		}
		if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
			r = r.WithContext(audit.WithRemoteAddr(r.Context(), host))
		}
		return h(w, r, caller)
	}
}

// authenticateAccess authenticates an access token of the authorization
// server. It acts as the member who consented, so the member's current
// role bounds it, and it must carry the route's scope.
func (s *Server) authenticateAccess(w http.ResponseWriter, r *http.Request, token, scope string, h authedFunc) error {
	if s.access == nil {
		return s.invalidAccessToken(w)
	}
	access, err := s.access.VerifyAccessToken(r.Context(), token)
	if errors.Is(err, authz.ErrInvalidToken) {
		return s.invalidAccessToken(w)
	}
	if err != nil {
		return err
	}
	user, err := s.store.GetUser(r.Context(), access.OrgID, access.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return s.invalidAccessToken(w)
	}
	if err != nil {
		return fmt.Errorf("reading user of access token: %w", err)
	}
	if scope != "" && !access.HasScope(scope) {
		s.logger.Warn("access token lacks the route's scope", "org_id", access.OrgID, "user_id", access.UserID,
			"client_id", access.ClientID, "scope", scope)
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="plugboard", error="insufficient_scope", scope="%s"`, scope))
		return problem.Forbidden("insufficient_scope",
			"this access token was not granted the scope %q that this request needs; connect again asking for it", scope).
			With("scope", scope)
	}

	caller := &Caller{
		Actor:  connections.Actor{OrgID: user.OrgID, UserID: user.ID, Username: user.Username, Role: user.Role},
		Access: &access,
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		r = r.WithContext(audit.WithRemoteAddr(r.Context(), host))
	}
	return h(w, r, caller)
}

func (s *Server) invalidAccessToken(w http.ResponseWriter) error {
	w.Header().Set("WWW-Authenticate", `Bearer realm="plugboard", error="invalid_token"`)
	return problem.New(http.StatusUnauthorized, "invalid_token",
		"the access token is unknown, expired or revoked; refresh it or connect again")
}
