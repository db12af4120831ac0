package web

import (
	"net/http"
	"net/url"

	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// sessionPermissions are the permissions a signed-in member may pass on to
// a new API token. A session belongs to the member who typed the password,
// so it may grant what the member's role allows. The members package still
// rejects credentials:read for viewers.
var sessionPermissions = []string{store.PermissionReadCredentials}

// tokensView is the API tokens page's data.
type tokensView struct {
	Tokens  []members.TokenInfo
	IsAdmin bool
	// Members are the usernames an admin may make a token for.
	Members []string
	Me      string
	// MayReadCredentials is whether the member's role may use credentials,
	// and so hold a token with credentials:read.
	MayReadCredentials bool
	Form               *form
	// Token is a new token's value, shown once, and TokenName its name.
	Token     string
	TokenName string
	// TokenGone is set when the page's URL names a new token that was
	// shown already.
	TokenGone bool
}

func (s *Server) tokensView(r *http.Request, sess *session) (*tokensView, error) {
	isAdmin := sess.Actor.Role == store.RoleAdmin
	owner := ""
	if isAdmin {
		owner = members.AllUsers
	}
	tokens, err := s.members.ListTokens(r.Context(), sess.Actor, owner, "", listLimit)
	if err != nil {
		return nil, err
	}
	v := &tokensView{
		Tokens: tokens, IsAdmin: isAdmin, Me: sess.Actor.Username, MayReadCredentials: sess.Actor.CanUseCredentials(),
		Form: newForm(url.Values{"user": {sess.Actor.Username}}),
	}
	if isAdmin {
		users, err := s.members.ListUsers(r.Context(), sess.Actor, "", listLimit)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			v.Members = append(v.Members, u.Username)
		}
	}
	return v, nil
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	v, err := s.tokensView(r, sess)
	if err != nil {
		return err
	}
	pending, alreadyShown, err := s.takeSecret(r.Context(), sess, r.URL.Query(), pendingAPIToken)
	if err != nil {
		return err
	}
	v.Token, v.TokenName, v.TokenGone = pending.Value, pending.Subject, alreadyShown
	s.render(w, r, http.StatusOK, "tokens", sess, v)
	return nil
}

// tokenField returns the form field a problem about a new token names.
func tokenField(p *problem.Error) string {
	switch p.Code {
	case "invalid_token_request":
		return "name"
	case "invalid_permission", "forbidden":
		return "permissions"
	case "user_not_found":
		return "user"
	}
	return ""
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := parseForm(r); err != nil {
		return err
	}
	f := newForm(r.PostForm)
	in := members.TokenInput{Name: f.Get("name"), Permissions: f.Values["permissions"], User: f.Get("user")}
	token, info, err := s.members.CreateToken(r.Context(), sess.Actor, sessionPermissions, in)
	if err != nil {
		if failErr := s.failForm(r, f, err, tokenField); failErr != nil {
			return failErr
		}
		v, loadErr := s.tokensView(r, sess)
		if loadErr != nil {
			return loadErr
		}
		v.Form = f
		s.render(w, r, formStatus(err), "tokens", sess, v)
		return nil
	}
	id, err := s.keepSecret(r.Context(), sess, pendingAPIToken, info.Name, secrets.Secret(token))
	if err == nil {
		http.Redirect(w, r, displayURL("/members/tokens", id), http.StatusSeeOther)
		return nil
	}
	// The token exists but was not kept for its page, so this response is
	// its only chance to be shown.
	s.logger.Warn("keeping a new API token for its display failed; showing it in the form's response",
		"user_id", sess.Actor.UserID, "token_id", info.ID, "err", err)
	v, err := s.tokensView(r, sess)
	if err != nil {
		return err
	}
	v.Token, v.TokenName = string(token), info.Name
	s.render(w, r, http.StatusCreated, "tokens", sess, v)
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := s.members.DeleteToken(r.Context(), sess.Actor, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/members/tokens", "token_revoked")
}
