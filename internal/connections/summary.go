package connections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// Summary is a connection with the status that matters to one member.
type Summary struct {
	Connection store.Connection
	// OwnerUsername is the owner's username, or the ID when the user is gone.
	OwnerUsername string
	// Status is the owner's credential status, the connection's status.
	Status string
	// MyStatus is the actor's own credential status on a shared connection.
	MyStatus string
	// Credential is the one the actor's calls use, when it exists.
	Credential *store.Credential
	// GrantedScopes are the scopes the provider granted to that credential,
	// and MissingScopes the requested ones it did not grant.
	GrantedScopes []string
	MissingScopes []string
	// Expiry of that credential's access token; zero when unknown.
	Expiry    time.Time
	LastError string
	// LastUsedAt is the latest call through the connection by any member,
	// recorded to the minute; zero when it was never used.
	LastUsedAt time.Time
}

// Describe returns the connection's summary for actor.
func (m *Manager) Describe(ctx context.Context, actor Actor, conn store.Connection) (Summary, error) {
	sum := Summary{Connection: conn, OwnerUsername: conn.OwnerID, GrantedScopes: []string{}, MissingScopes: []string{}}
	if owner, err := m.store.GetUser(ctx, conn.OrgID, conn.OwnerID); err == nil {
		sum.OwnerUsername = owner.Username
	}
	ownerCred, err := m.credentialStatus(ctx, conn, conn.OwnerID)
	if err != nil {
		return Summary{}, err
	}
	sum.Status = statusOf(ownerCred)
	if sum.LastUsedAt, err = m.store.ConnectionLastUsed(ctx, conn.OrgID, conn.ID); err != nil {
		return Summary{}, fmt.Errorf("reading last use of connection %q: %w", conn.LinkName, err)
	}
	callCred := ownerCred
	if conn.UseLoginUserCredentials {
		mine, err := m.credentialStatus(ctx, conn, actor.UserID)
		if err != nil {
			return Summary{}, err
		}
		sum.MyStatus = statusOf(mine)
		callCred = mine
	}
	if callCred != nil {
		sum.Credential = callCred
		sum.GrantedScopes = callCred.GrantedScopes
		sum.Expiry = callCred.Expiry
		sum.LastError = callCred.LastError
		for _, s := range conn.Scopes {
			if !slices.Contains(callCred.GrantedScopes, s) && !grantedByRefreshToken(s, callCred) {
				sum.MissingScopes = append(sum.MissingScopes, s)
			}
		}
	}
	return sum, nil
}

// grantedByRefreshToken reports whether scope is offline_access and the
// credential has a refresh token. Providers that bind access tokens to an
// API, such as oidc-provider with resource indicators, list only the API's
// scopes in the token response, although the refresh token shows that
// offline access was granted.
func grantedByRefreshToken(scope string, cred *store.Credential) bool {
	return scope == "offline_access" && cred.RefreshTokenSealed != ""
}

func (m *Manager) credentialStatus(ctx context.Context, conn store.Connection, userID string) (*store.Credential, error) {
	cred, err := m.store.GetCredential(ctx, conn.OrgID, conn.ID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading credential of connection %q: %w", conn.LinkName, err)
	}
	return &cred, nil
}

func statusOf(cred *store.Credential) string {
	if cred == nil {
		return store.StatusNotConnected
	}
	return cred.Status
}

// AnyConnected reports whether any member's credential of conn is
// connected, which is when scopes, application and the login-user switch
// cannot change.
func (m *Manager) AnyConnected(ctx context.Context, conn store.Connection) (bool, error) {
	creds, err := m.store.ListCredentials(ctx, conn.OrgID, conn.ID)
	if err != nil {
		return false, fmt.Errorf("listing credentials of %q: %w", conn.LinkName, err)
	}
	return anyConnected(creds), nil
}
