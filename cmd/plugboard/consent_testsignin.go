//go:build plugboard_testsignin

package main

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"

	"github.com/plugboard/plugboard/internal/authz"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/web"
)

// Cookies of the test-only sign-in. Only binaries built with the tag
// plugboard_testsignin have them: the process tests build one to drive the
// consent page before the web UI's sessions exist.
const (
	testSessionCookie = "plugboard_test_session"
	testCSRFCookie    = "plugboard_test_csrf"
)

// consentHooks signs in the member whose API token is in the test session
// cookie, and checks CSRF with a double-submit cookie.
func consentHooks(st store.Store, logger *slog.Logger, _ *web.Server) authz.Hooks {
	logger.Warn("this binary signs in members from a test cookie; build without the plugboard_testsignin tag for real use")
	return authz.Hooks{
		SignedIn: func(r *http.Request) (connections.Actor, bool) {
			cookie, err := r.Cookie(testSessionCookie)
			if err != nil {
				return connections.Actor{}, false
			}
			user, _, err := members.Authenticate(r.Context(), st, cookie.Value)
			if err != nil {
				return connections.Actor{}, false
			}
			return connections.Actor{OrgID: user.OrgID, UserID: user.ID, Username: user.Username, Role: user.Role}, true
		},
		CSRFToken: func(w http.ResponseWriter, r *http.Request) string {
			if cookie, err := r.Cookie(testCSRFCookie); err == nil && cookie.Value != "" {
				return cookie.Value
			}
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			token := hex.EncodeToString(b)
			http.SetCookie(w, &http.Cookie{Name: testCSRFCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
			return token
		},
		CheckCSRF: func(r *http.Request) error {
			cookie, err := r.Cookie(testCSRFCookie)
			if err != nil || cookie.Value == "" {
				return errors.New("no CSRF cookie")
			}
			if subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(r.PostForm.Get("csrf_token"))) != 1 {
				return errors.New("csrf_token does not match the CSRF cookie")
			}
			return nil
		},
	}
}
