package web

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/store"
)

// loginView is the sign-in page's data.
type loginView struct {
	Form *form
	// ShowOrg is set when the database has more than one org, so the
	// member must name their org.
	ShowOrg bool
	Next    string
}

// safeNext returns the page to go to after sign-in: a path on plugboard,
// or "/" for anything else.
func safeNext(next string) string {
	if next == "" || !connections.ValidReturnTo(next) || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if sess, err := s.loadSession(w, r); err != nil {
		return err
	} else if sess != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	f := newForm(nil)
	f.Values.Set("org", members.DefaultOrg)
	return s.renderLogin(w, r, http.StatusOK, f, next)
}

// renderLogin renders the sign-in form with a new double-submit token.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, f *form, next string) error {
	showOrg, err := s.manyOrgs(r)
	if err != nil {
		return err
	}
	token := randomText(24)
	s.setCookie(w, loginCSRFCookie, token, s.now().Add(time.Hour))
	s.renderWith(w, r, status, "login", pageData{CSRF: token, Data: loginView{Form: f, ShowOrg: showOrg, Next: next}})
	return nil
}

func (s *Server) manyOrgs(r *http.Request) (bool, error) {
	n, err := s.store.CountOrgs(r.Context())
	if err != nil {
		return false, fmt.Errorf("counting orgs: %w", err)
	}
	return n > 1, nil
}

// maxLoginFormBytes bounds the sign-in form, which anyone may post. A
// failed sign-in stores its username, so a larger form would let a
// visitor fill the database. The form's fields need a few hundred bytes.
const maxLoginFormBytes = 16 << 10

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginFormBytes)
	if err := r.ParseForm(); err != nil {
		return &pageError{status: http.StatusBadRequest, message: "The sign-in form could not be read. Reload the page and try again."}
	}
	f := newForm(r.PostForm)
	f.Values.Del("password")
	next := safeNext(r.PostForm.Get("next"))
	cookie, _ := r.Cookie(loginCSRFCookie)
	if cookie == nil || !tokensEqual(r.PostForm.Get(csrfField), cookie.Value) {
		f.Message = "The sign-in form expired. Sign in again."
		return s.renderLogin(w, r, http.StatusForbidden, f, next)
	}

	username := strings.TrimSpace(r.PostForm.Get("username"))
	password := r.PostForm.Get("password")
	orgName := strings.TrimSpace(r.PostForm.Get("org"))
	if orgName == "" {
		orgName = members.DefaultOrg
	}
	if username == "" {
		f.Fail("username", "Enter your username.")
	}
	if password == "" {
		f.Fail("password", "Enter your password.")
	}
	if f.Failed() {
		return s.renderLogin(w, r, http.StatusUnprocessableEntity, f, next)
	}
	org, err := s.store.GetOrgByName(r.Context(), orgName)
	if errors.Is(err, store.ErrNotFound) {
		f.Fail("org", fmt.Sprintf("There is no organization named %q.", orgName))
		return s.renderLogin(w, r, http.StatusUnprocessableEntity, f, next)
	}
	if err != nil {
		return fmt.Errorf("reading org %q: %w", orgName, err)
	}

	keys := []string{usernameKey(username)}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		keys = append(keys, addressKey(host))
	}
	attempt, retry, err := s.beginLoginAttempt(r.Context(), org.ID, keys...)
	if err != nil {
		return err
	}
	if !retry.IsZero() {
		wait := retry.Sub(s.now())
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		wait = max(wait.Round(time.Minute), time.Minute)
		f.Message = fmt.Sprintf("Too many failed sign-ins. Try again after %s (in about %s).",
			formatTime(retry), plural(int(wait/time.Minute), "minute"))
		s.logger.Warn("sign-in rejected: too many failed attempts", "org_id", org.ID, "remote_addr", r.RemoteAddr)
		return s.renderLogin(w, r, http.StatusTooManyRequests, f, next)
	}

	user, err := members.CheckPassword(r.Context(), s.store, org.ID, username, password)
	switch {
	case errors.Is(err, members.ErrNoPassword):
		// This message reveals that the member exists, which is the price of
		// showing an operator how to set the first password. The attempt
		// still counts toward the rate limit.
		f.Fail("password", fmt.Sprintf("Member %q has no password yet. An admin can set one on the Members page or with "+
			"PATCH /v1/users/%s, or the operator with: plugboard set-password --user %s", username, username, username))
		return s.renderLogin(w, r, http.StatusUnauthorized, f, next)
	case errors.Is(err, members.ErrWrongPassword):
		s.logger.Warn("sign-in failed", "org_id", org.ID, "remote_addr", r.RemoteAddr)
		f.Fail("password", "Wrong username or password.")
		return s.renderLogin(w, r, http.StatusUnauthorized, f, next)
	case err != nil:
		s.cancelLoginAttempt(r.Context(), attempt)
		return err
	}

	s.cancelLoginAttempt(r.Context(), attempt)
	if err := s.store.ClearLoginFailures(r.Context(), org.ID, usernameKey(username)); err != nil {
		s.logger.Warn("clearing login failures failed", "org_id", org.ID, "err", err)
	}
	// A session the browser already had is ended and replaced by a new
	// one, so a session ID known before sign-in is not the signed-in one.
	if old, err := s.sessionOf(r); err == nil {
		_ = s.endSession(w, r, old)
	}
	if err := s.startSession(w, r, user); err != nil {
		return err
	}
	s.setCookie(w, loginCSRFCookie, "", time.Time{})
	s.logger.Info("member signed in", "org_id", user.OrgID, "user_id", user.ID)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := s.endSession(w, r, sess); err != nil {
		return err
	}
	http.Redirect(w, r, "/login?notice=signed_out", http.StatusSeeOther)
	return nil
}
