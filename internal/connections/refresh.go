package connections

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/oauth"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

const (
	// refreshLeaseDuration is how long a claimed refresh keeps others
	// waiting. It outlasts one token request, so a lease only lapses when
	// its holder died.
	refreshLeaseDuration = tokenRequestTimeout + 5*time.Second
	// refreshWaitInterval is how often a caller checks whether a refresh
	// that another process claimed has finished.
	refreshWaitInterval = 100 * time.Millisecond
)

// refresh renews a credential's access token and returns the new one.
// Callers in this process share one refresh per credential. Across
// processes, a lease on the credential's row picks the one caller that
// sends the token request, and the others wait for its result, so a
// refresh storm sends one request. The token request runs outside any
// transaction: claiming the lease and storing the result are two short
// writes. A refresh response without a refresh token keeps the old one.
//
// stale is the sealed access token that an upstream rejected with 401, or
// "" for a refresh because of expiry.
func (m *Manager) refresh(ctx context.Context, conn store.Connection, svc catalog.Service, cred store.Credential, stale string) (AccessToken, error) {
	return m.refreshFor(ctx, conn, svc, cred.UserID, refreshReason{stale: stale, within: m.refreshSkew})
}

// refreshReason is the condition that makes a credential due for refresh
// when its row is re-read under the lease. With stale set, the upstream rejected that
// sealed access token. Otherwise the token expires within within, or the
// credential was last connected or refreshed before idleBefore.
type refreshReason struct {
	stale      string
	within     time.Duration
	idleBefore time.Time
}

// due reports whether cred still needs the refresh.
func (m *Manager) due(cred store.Credential, reason refreshReason) bool {
	if reason.stale != "" {
		return cred.AccessTokenSealed == reason.stale
	}
	if !cred.Expiry.IsZero() && !m.now().Add(reason.within).Before(cred.Expiry) {
		return true
	}
	return !reason.idleBefore.IsZero() && lastActive(cred).Before(reason.idleBefore)
}

// lastActive is when a credential was last connected or refreshed.
func lastActive(cred store.Credential) time.Time {
	if cred.RefreshedAt.After(cred.ConnectedAt) {
		return cred.RefreshedAt
	}
	return cred.ConnectedAt
}

// refreshFor is refresh with an explicit reason; the background refresher
// calls it with its own.
func (m *Manager) refreshFor(ctx context.Context, conn store.Connection, svc catalog.Service, userID string, reason refreshReason) (AccessToken, error) {
	key := conn.OrgID + "/" + conn.ID + "/" + userID
	result, err, _ := m.refreshes.Do(key, func() (any, error) {
		// The refresh outlives a caller that gives up, so the others
		// waiting on it still get the token. The limit covers waiting
		// out another process's lease and then one token request.
		refreshCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshLeaseDuration+tokenRequestTimeout)
		defer cancel()
		return m.refreshWithLease(refreshCtx, conn, svc, userID, reason)
	})
	if err != nil {
		return AccessToken{}, err
	}
	return result.(AccessToken), nil
}

// claimResult is the outcome of one attempt to claim a refresh lease.
type claimResult int

const (
	claimed       claimResult = iota // this caller sends the token request
	alreadyFresh                     // someone else refreshed: use the stored token
	heldElsewhere                    // another caller holds the lease: wait
	claimFailed                      // the credential cannot be refreshed
)

func (m *Manager) refreshWithLease(ctx context.Context, conn store.Connection, svc catalog.Service, userID string, reason refreshReason) (AccessToken, error) {
	leaseID := newID()
	var lease store.Credential
	for {
		outcome, cred, err := m.claimRefresh(ctx, conn, svc, userID, reason, leaseID)
		if err != nil {
			return AccessToken{}, err
		}
		switch outcome {
		case alreadyFresh:
			return m.accessTokenOf(cred)
		case heldElsewhere:
			select {
			case <-ctx.Done():
				return AccessToken{}, problem.Wrap(ctx.Err(), http.StatusBadGateway, "token_refresh_failed",
					"another refresh of connection %q did not finish in time; try again", conn.LinkName)
			case <-time.After(refreshWaitInterval):
			}
			continue
		}
		lease = cred
		break
	}

	token, requestErr := m.requestRefresh(ctx, conn, svc, lease)
	return m.storeRefresh(ctx, conn, svc, userID, leaseID, token, requestErr)
}

// claimRefresh re-reads the credential under its row lock and, unless it is
// fresh already or another caller holds an unexpired lease, records this
// caller's lease. A credential that cannot be refreshed is marked and its
// error returned.
func (m *Manager) claimRefresh(ctx context.Context, conn store.Connection, svc catalog.Service, userID string, reason refreshReason, leaseID string) (claimResult, store.Credential, error) {
	outcome := claimed
	var failure error
	cred, err := m.store.UpdateCredential(ctx, conn.OrgID, conn.ID, userID, func(cred *store.Credential) error {
		now := m.now()
		switch {
		case cred.Status != store.StatusConnected:
			failure = problem.Conflict("connection_needs_reauth",
				"connection %q must be connected again", conn.LinkName).With("connect_url", m.connectURL(conn))
			return errSkipWrite
		case !m.due(*cred, reason):
			outcome = alreadyFresh
			return errSkipWrite
		case cred.RefreshLeaseID != "" && now.Before(cred.RefreshLeaseUntil):
			outcome = heldElsewhere
			return errSkipWrite
		case cred.RefreshTokenSealed == "" && svc.AuthType != catalog.AuthOAuth2ClientCredentials:
			m.markFailed(cred, ErrorClassPermanent, "the access token expired and the provider issued no refresh token")
			failure = problem.Conflict("connection_needs_reauth",
				"connection %q has an expired token and no refresh token; connect it again", conn.LinkName).
				With("connect_url", m.connectURL(conn))
			return nil
		}
		cred.RefreshLeaseID = leaseID
		cred.RefreshLeaseUntil = now.Add(refreshLeaseDuration)
		return nil
	})
	switch {
	case failure != nil && err == nil:
		// The credential was marked needs_reauth just now.
		m.raise(ctx, conn, "", EventNeedsReauth, userID)
		return claimFailed, store.Credential{}, failure
	case failure != nil:
		return claimFailed, store.Credential{}, failure
	case errors.Is(err, errSkipWrite) && outcome == alreadyFresh:
		current, err := m.store.GetCredential(ctx, conn.OrgID, conn.ID, userID)
		if err != nil {
			return claimFailed, store.Credential{}, fmt.Errorf("reading refreshed credential: %w", err)
		}
		return alreadyFresh, current, nil
	case errors.Is(err, errSkipWrite):
		return outcome, store.Credential{}, nil
	case errors.Is(err, store.ErrNotFound):
		return claimFailed, store.Credential{}, m.notConnected(conn, false)
	case err != nil:
		return claimFailed, store.Credential{}, fmt.Errorf("claiming refresh of %q: %w", conn.LinkName, err)
	}
	return claimed, cred, nil
}

// requestRefresh sends the token request with the credential's refresh
// token.
func (m *Manager) requestRefresh(ctx context.Context, conn store.Connection, svc catalog.Service, cred store.Credential) (*oauth.Token, error) {
	if svc.AuthType == catalog.AuthOAuth2ClientCredentials {
		// A client credentials token is renewed by requesting a new one.
		cfg, err := m.oauthConfig(ctx, conn, svc)
		if err != nil {
			return nil, err
		}
		requestCtx, cancel := context.WithTimeout(ctx, tokenRequestTimeout)
		defer cancel()
		return cfg.ClientCredentials(requestCtx, conn.Scopes)
	}
	refreshToken, err := m.openCredentialColumn(cred, "refresh_token", cred.RefreshTokenSealed)
	if err != nil {
		return nil, err
	}
	cfg, err := m.oauthConfig(ctx, conn, svc)
	if err != nil {
		return nil, err
	}
	requestCtx, cancel := context.WithTimeout(ctx, tokenRequestTimeout)
	defer cancel()
	return cfg.Refresh(requestCtx, refreshToken)
}

// storeRefresh writes the refresh result and releases the lease, unless
// the lease lapsed and another caller took it over, in which case that
// caller's result counts.
func (m *Manager) storeRefresh(ctx context.Context, conn store.Connection, svc catalog.Service, userID, leaseID string, token *oauth.Token, requestErr error) (AccessToken, error) {
	var failure error
	lost := false
	updated, err := m.store.UpdateCredential(ctx, conn.OrgID, conn.ID, userID, func(cred *store.Credential) error {
		if cred.RefreshLeaseID != leaseID {
			lost = true
			return errSkipWrite
		}
		cred.RefreshLeaseID, cred.RefreshLeaseUntil = "", time.Time{}
		if requestErr != nil {
			failure = m.refreshFailed(conn, cred, requestErr)
			return nil
		}
		if err := m.applyToken(cred, token, svc, conn.Scopes); err != nil {
			return err
		}
		cred.RefreshedAt = m.now()
		cred.UpdatedAt = m.now()
		m.logger.Debug("token refreshed", "org_id", conn.OrgID, "connection", conn.LinkName, "user_id", userID,
			"refresh_token_rotated", token.RefreshToken != "")
		return nil
	})
	switch {
	case lost:
		m.logger.Warn("refresh lease lapsed before the token response arrived; its result is dropped",
			"org_id", conn.OrgID, "connection", conn.LinkName, "user_id", userID)
		return AccessToken{}, problem.New(http.StatusBadGateway, "token_refresh_failed",
			"refreshing the token of connection %q took too long; try again", conn.LinkName)
	case errors.Is(err, store.ErrNotFound):
		return AccessToken{}, m.notConnected(conn, false)
	case err != nil:
		return AccessToken{}, fmt.Errorf("storing refreshed credential of %q: %w", conn.LinkName, err)
	case failure != nil:
		if updated.Status == store.StatusNeedsReauth {
			m.raise(ctx, conn, "", EventNeedsReauth, userID)
		}
		return AccessToken{}, failure
	}
	return m.accessTokenOf(updated)
}
