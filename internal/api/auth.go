package api

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/cached"
)

// tokenTouchInterval is the longest an API token's recorded last use may lag.
const tokenTouchInterval = time.Minute

// Caller is the authenticated member of a request and the API token used.
type Caller struct {
	Actor connections.Actor
	Token store.APIToken
}

// Has reports whether the caller's token carries a permission.
func (c *Caller) Has(permission string) bool {
	return slices.Contains(c.Token.Permissions, permission)
}

// authenticate reads the bearer API token and passes the caller to h.
func (s *Server) authenticate(h authedFunc) handlerFunc {
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
		user, rec, err := members.Authenticate(r.Context(), s.store, strings.TrimSpace(token))
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
