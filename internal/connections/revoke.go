package connections

import (
	"context"
	"errors"
	"fmt"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/oauth"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// RevokeResult reports whether the provider confirmed the revocation.
type RevokeResult struct {
	// ProviderRevoked is true when the provider accepted every revocation
	// request, false when it has no revocation endpoint or one failed.
	ProviderRevoked bool
}

// Revoke ends the actor's own credential of a shared
// connection, or the owner's credential of an unshared one. The provider is
// asked to revoke the refresh token, then the access token (RFC 7009), and
// the credential is deleted locally whatever the provider returned.
func (m *Manager) Revoke(ctx context.Context, actor Actor, link string) (RevokeResult, error) {
	conn, err := m.Connection(ctx, actor.OrgID, link)
	if err != nil {
		return RevokeResult{}, err
	}
	userID, err := credentialOwner(conn, actor)
	if err != nil {
		return RevokeResult{}, err
	}
	return m.revokeCredential(ctx, actor, conn, userID, "you")
}

// RevokeMember ends one member's credential of a connection. Only admins
// may end another member's credential.
func (m *Manager) RevokeMember(ctx context.Context, actor Actor, link, username string) (RevokeResult, error) {
	if actor.Role != store.RoleAdmin {
		return RevokeResult{}, problem.Forbidden("forbidden", "only admins may revoke another member's credential; revoke your own with POST /v1/connections/%s/revoke", link)
	}
	conn, err := m.Connection(ctx, actor.OrgID, link)
	if err != nil {
		return RevokeResult{}, err
	}
	user, err := m.store.GetUserByUsername(ctx, actor.OrgID, username)
	if errors.Is(err, store.ErrNotFound) {
		return RevokeResult{}, problem.NotFound("user_not_found", "member %q not found", username)
	}
	if err != nil {
		return RevokeResult{}, fmt.Errorf("reading member %q: %w", username, err)
	}
	return m.revokeCredential(ctx, actor, conn, user.ID, fmt.Sprintf("member %q", username))
}

// revokeCredential revokes userID's credential at the provider and deletes
// it, whatever the provider returned. whose names the member in messages.
func (m *Manager) revokeCredential(ctx context.Context, actor Actor, conn store.Connection, userID, whose string) (RevokeResult, error) {
	cred, err := m.store.GetCredential(ctx, conn.OrgID, conn.ID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return RevokeResult{}, problem.Conflict("connection_not_connected",
			"connection %q has no credential of %s to revoke", conn.LinkName, whose)
	}
	if err != nil {
		return RevokeResult{}, fmt.Errorf("reading credential: %w", err)
	}
	revoked := m.revokeAtProvider(ctx, conn, cred)
	if err := m.store.DeleteCredential(ctx, conn.OrgID, conn.ID, userID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return RevokeResult{}, fmt.Errorf("deleting credential: %w", err)
	}
	m.logger.Info("connection revoked", "org_id", conn.OrgID, "connection", conn.LinkName, "user_id", userID,
		"provider_revoked", revoked)
	detail := map[string]any{"provider_revoked": revoked, "credential_of": userID}
	if user, err := m.store.GetUser(ctx, conn.OrgID, userID); err == nil {
		detail["credential_of"] = user.Username
	}
	m.record(ctx, actor, conn, "connection.revoked", detail)
	m.raise(ctx, conn, actor.UserID, EventRevoked, userID)
	return RevokeResult{ProviderRevoked: revoked}, nil
}

// revokeAtProvider sends RFC 7009 revocation requests for cred's refresh
// token and then its access token. Failures are logged and reported by the
// result, never returned: local deletion goes ahead regardless.
func (m *Manager) revokeAtProvider(ctx context.Context, conn store.Connection, cred store.Credential) bool {
	log := m.logger.With("org_id", conn.OrgID, "connection", conn.LinkName, "user_id", cred.UserID)
	svc, err := m.connectionService(ctx, conn)
	if err != nil {
		log.Warn("revocation skipped: service unavailable", "err", err)
		return false
	}
	oauth2 := svc.AuthType == catalog.AuthOAuth2 || svc.AuthType == catalog.AuthOAuth2ClientCredentials
	if !oauth2 || svc.OAuth2 == nil || svc.OAuth2.RevocationURL == "" {
		return false
	}
	cfg, err := m.oauthConfig(ctx, conn, svc)
	if err != nil {
		log.Warn("revocation skipped: application unavailable", "err", err)
		return false
	}

	ok := true
	for _, t := range []struct{ column, sealed, hint string }{
		{"refresh_token", cred.RefreshTokenSealed, "refresh_token"},
		{"access_token", cred.AccessTokenSealed, "access_token"},
	} {
		token, err := m.openCredentialColumn(cred, t.column, t.sealed)
		if err != nil {
			log.Error("revocation skipped: cannot open token", "err", err)
			ok = false
			continue
		}
		if token == "" {
			continue
		}
		revokeCtx, cancel := context.WithTimeout(ctx, tokenRequestTimeout)
		err = cfg.Revoke(revokeCtx, token, t.hint)
		cancel()
		if err != nil && !errors.Is(err, oauth.ErrNoRevocationURL) {
			log.Warn("revocation at provider failed", "token_type_hint", t.hint, "err", err)
			ok = false
		}
	}
	return ok
}
