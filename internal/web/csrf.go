package web

import (
	"crypto/subtle"
	"net/http"
)

// csrfField is the name of the hidden form field that carries the token.
const csrfField = "csrf_token"

// loginCSRFCookie carries the sign-in form's token before a session
// exists, compared with the form's field (a double-submit token), so that
// another site cannot sign a browser in to an account of its choosing.
const loginCSRFCookie = "plugboard_login_csrf"

// checkCSRF compares the form's token with the session's in constant time.
func (s *Server) checkCSRF(r *http.Request, sess *session) error {
	if !tokensEqual(r.PostFormValue(csrfField), sess.CSRF) {
		s.logger.Warn("form rejected: csrf token mismatch", "path", r.URL.Path, "user_id", sess.Actor.UserID)
		return forbidden("This form has expired or did not come from plugboard. Reload the page and send it again.")
	}
	return nil
}

func tokensEqual(got, want string) bool {
	return got != "" && want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
