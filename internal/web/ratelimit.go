package web

import (
	"context"
	"fmt"
	"time"
)

// Sign-in limits: after LoginFailureLimit failed sign-ins within
// LoginFailureWindow for one username, or from one remote address, further
// attempts are refused until the oldest failure leaves the window. The
// failures are stored in the database, so the limit holds across instances.
const (
	LoginFailureLimit  = 10
	LoginFailureWindow = 15 * time.Minute
)

func usernameKey(username string) string { return "user:" + username }
func addressKey(addr string) string      { return "addr:" + addr }

// loginRetryAt returns when the next sign-in may be tried, or the zero
// time when one may be tried now.
func (s *Server) loginRetryAt(ctx context.Context, orgID string, keys ...string) (time.Time, error) {
	now := s.now().UTC()
	var retry time.Time
	for _, key := range keys {
		n, earliest, err := s.store.CountLoginFailures(ctx, orgID, key, now.Add(-LoginFailureWindow))
		if err != nil {
			return time.Time{}, fmt.Errorf("counting login failures: %w", err)
		}
		if n >= LoginFailureLimit {
			if at := earliest.Add(LoginFailureWindow); at.After(retry) {
				retry = at
			}
		}
	}
	return retry, nil
}

// recordLoginFailure stores a failure under every key; a failure to store
// is logged, because the sign-in fails anyway.
func (s *Server) recordLoginFailure(ctx context.Context, orgID string, keys ...string) {
	now := s.now().UTC()
	for _, key := range keys {
		if err := s.store.RecordLoginFailure(context.WithoutCancel(ctx), orgID, key, now); err != nil {
			s.logger.Error("recording login failure failed", "org_id", orgID, "err", err)
		}
	}
}
