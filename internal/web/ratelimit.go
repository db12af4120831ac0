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

// loginAttempt is a sign-in attempt recorded as a failure under its keys
// before the password is checked.
type loginAttempt struct {
	orgID string
	keys  []string
	at    time.Time
}

// beginLoginAttempt records an attempt under every key, then counts the
// failures of each. It returns when the next sign-in may be tried, or the
// zero time when this one may go on to the password check.
//
// Recording before counting bounds concurrent guesses. Every attempt counts
// at least the rows inserted before its own, so at most LoginFailureLimit
// attempts within the window see a count within the limit. That holds
// however many attempts arrive at once, on any number of instances. A
// rejected attempt's rows are deleted again, so attempts while locked out
// do not prolong the lockout.
func (s *Server) beginLoginAttempt(ctx context.Context, orgID string, keys ...string) (*loginAttempt, time.Time, error) {
	a := &loginAttempt{orgID: orgID, at: s.now().UTC()}
	for _, key := range keys {
		if err := s.store.RecordLoginFailure(ctx, orgID, key, a.at); err != nil {
			s.cancelLoginAttempt(ctx, a)
			return nil, time.Time{}, fmt.Errorf("recording login attempt: %w", err)
		}
		a.keys = append(a.keys, key)
	}

	var retry time.Time
	for _, key := range keys {
		n, earliest, err := s.store.CountLoginFailures(ctx, orgID, key, a.at.Add(-LoginFailureWindow))
		if err != nil {
			s.cancelLoginAttempt(ctx, a)
			return nil, time.Time{}, fmt.Errorf("counting login failures: %w", err)
		}
		if n > LoginFailureLimit {
			if at := earliest.Add(LoginFailureWindow); at.After(retry) {
				retry = at
			}
		}
	}
	if !retry.IsZero() {
		s.cancelLoginAttempt(ctx, a)
	}
	return a, retry, nil
}

// cancelLoginAttempt deletes the rows of an attempt that did not fail on
// its password. A failure to delete is logged: the row then counts as one
// failure more until it leaves the window.
func (s *Server) cancelLoginAttempt(ctx context.Context, a *loginAttempt) {
	for _, key := range a.keys {
		if err := s.store.DeleteLoginFailure(context.WithoutCancel(ctx), a.orgID, key, a.at); err != nil {
			s.logger.Error("deleting a recorded login attempt failed", "org_id", a.orgID, "err", err)
		}
	}
}
