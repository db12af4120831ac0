package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

// sessionCookie is the name of the session cookie.
const sessionCookie = "plugboard_session"

// sessionTouchInterval is the longest a session's recorded last use may
// lag, so that reading pages does not write to the database every time.
const sessionTouchInterval = time.Minute

// session is a signed-in member's session for one request.
type session struct {
	Actor  connections.Actor
	record store.WebSession
	// CSRF is the token every form of this session carries.
	CSRF string
}

// The cookie reads <org ID>.<secret>: the org ID locates the row with a key
// that includes the org, and the row's ID is the SHA-256 of the whole
// value, so the database holds nothing that signs anyone in.
func parseSessionCookie(value string) (orgID, secret string, ok bool) {
	orgID, secret, ok = strings.Cut(value, ".")
	if !ok || orgID == "" || len(secret) < 40 {
		return "", "", false
	}
	return orgID, secret, true
}

func sessionID(cookieValue string) string {
	sum := sha256.Sum256([]byte(cookieValue))
	return hex.EncodeToString(sum[:])
}

// csrfToken derives a session's CSRF token from its secret, which only the
// cookie holds, so the token needs no storage and the database cannot
// produce it.
func csrfToken(secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("plugboard csrf token"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func randomText(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return base64.RawURLEncoding.EncodeToString(b)
}

// startSession stores a new session for user and sets its cookie.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, user store.User) error {
	secret := randomText(32)
	value := user.OrgID + "." + secret
	now := s.now().UTC()
	rec := store.WebSession{
		OrgID:         user.OrgID,
		ID:            sessionID(value),
		UserID:        user.ID,
		CreatedAt:     now,
		LastSeenAt:    now,
		IdleExpiresAt: now.Add(s.sessionIdle),
		ExpiresAt:     now.Add(s.sessionLifetime),
	}
	if rec.IdleExpiresAt.After(rec.ExpiresAt) {
		rec.IdleExpiresAt = rec.ExpiresAt
	}
	if err := s.store.CreateWebSession(r.Context(), rec); err != nil {
		return fmt.Errorf("storing web session: %w", err)
	}
	s.setCookie(w, sessionCookie, value, rec.ExpiresAt)
	return nil
}

// setCookie sets an HttpOnly cookie for the whole site. SameSite=Lax keeps
// it off cross-site subrequests and form posts, yet sends it on the
// top-level redirect from a provider back to /oauth/callback, whose session
// check depends on it.
func (s *Server) setCookie(w http.ResponseWriter, name, value string, expires time.Time) {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.secureCookies,
		SameSite: http.SameSiteLaxMode,
	}
	if expires.IsZero() {
		c.MaxAge = -1
	} else {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

// loadSession returns the request's valid session, or nil when it has
// none. An expired or unknown session's cookie is cleared.
func (s *Server) loadSession(w http.ResponseWriter, r *http.Request) (*session, error) {
	sess, err := s.sessionOf(r)
	if errors.Is(err, errNoSession) {
		if _, cookieErr := r.Cookie(sessionCookie); cookieErr == nil && w != nil {
			s.setCookie(w, sessionCookie, "", time.Time{})
		}
		return nil, nil
	}
	return sess, err
}

var errNoSession = errors.New("no valid session")

// sessionOf reads and checks the session cookie. It returns errNoSession
// when the cookie is missing, malformed, unknown or expired, or its user
// is gone.
func (s *Server) sessionOf(r *http.Request) (*session, error) {
	cookie, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, errNoSession
	}
	orgID, secret, ok := parseSessionCookie(cookie.Value)
	if !ok {
		return nil, errNoSession
	}

	ctx := r.Context()
	rec, err := s.store.GetWebSession(ctx, orgID, sessionID(cookie.Value))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("reading web session: %w", err)
	}
	now := s.now().UTC()
	if !now.Before(rec.IdleExpiresAt) || !now.Before(rec.ExpiresAt) {
		if err := s.store.DeleteWebSession(ctx, rec.OrgID, rec.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.logger.Warn("deleting expired web session failed", "org_id", rec.OrgID, "err", err)
		}
		return nil, errNoSession
	}

	user, err := s.store.GetUser(ctx, rec.OrgID, rec.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("reading user of web session: %w", err)
	}

	if now.Sub(rec.LastSeenAt) >= sessionTouchInterval {
		idle := now.Add(s.sessionIdle)
		if idle.After(rec.ExpiresAt) {
			idle = rec.ExpiresAt
		}
		if err := s.store.TouchWebSession(ctx, rec.OrgID, rec.ID, now, idle); err != nil {
			s.logger.Warn("recording web session use failed", "org_id", rec.OrgID, "err", err)
		}
	}
	return &session{
		Actor:  connections.Actor{OrgID: user.OrgID, UserID: user.ID, Username: user.Username, Role: user.Role},
		record: rec,
		CSRF:   csrfToken(secret),
	}, nil
}

// BrowserUser returns the member signed in with the request's session
// cookie, or nil when the request has no valid session. The OAuth callback
// uses it to reject a flow that another member started.
func (s *Server) BrowserUser(r *http.Request) (*connections.Actor, error) {
	sess, err := s.sessionOf(r)
	if errors.Is(err, errNoSession) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &sess.Actor, nil
}

// endSession deletes the session and clears its cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, sess *session) error {
	err := s.store.DeleteWebSession(r.Context(), sess.record.OrgID, sess.record.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("deleting web session: %w", err)
	}
	s.setCookie(w, sessionCookie, "", time.Time{})
	return nil
}

// SignedIn returns the member signed in with the request's session
// cookie. Pages outside this package, such as the authorization server's
// consent page, use it with CSRFToken and CheckCSRF.
func (s *Server) SignedIn(r *http.Request) (connections.Actor, bool) {
	sess, err := s.sessionOf(r)
	if err != nil {
		return connections.Actor{}, false
	}
	return sess.Actor, true
}

// CSRFToken returns the CSRF token that a form of the request's session
// carries in its csrf_token field, or "" without a session.
func (s *Server) CSRFToken(r *http.Request) string {
	sess, err := s.sessionOf(r)
	if err != nil {
		return ""
	}
	return sess.CSRF
}

// CheckCSRF returns an error unless the posted form's csrf_token belongs
// to the request's session.
func (s *Server) CheckCSRF(r *http.Request) error {
	sess, err := s.sessionOf(r)
	if err != nil {
		return errors.New("no web session")
	}
	return s.checkCSRF(r, sess)
}
