package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// roleChoices are the roles the members page offers, in order.
var roleChoices = []string{store.RoleAdmin, store.RoleDeveloper, store.RoleViewer}

// membersView is the members page's data.
type membersView struct {
	Members []store.User
	Roles   []string
	IsAdmin bool
	Me      string
	// AddForm is the add-member form, kept after a failed submission.
	AddForm *form
	// RowErrors contains the error of a rejected action by username. The
	// member's actions open to show it.
	RowErrors map[string]string
}

func (s *Server) membersView(r *http.Request, sess *session) (*membersView, error) {
	users, err := s.members.ListUsers(r.Context(), sess.Actor, "", listLimit)
	if err != nil {
		return nil, err
	}
	return &membersView{
		Members: users, Roles: roleChoices, IsAdmin: sess.Actor.Role == store.RoleAdmin, Me: sess.Actor.Username,
		AddForm: newForm(url.Values{"role": {store.RoleDeveloper}}), RowErrors: map[string]string{},
	}, nil
}

func (s *Server) membersPage(w http.ResponseWriter, r *http.Request, sess *session) error {
	v, err := s.membersView(r, sess)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "members", sess, v)
	return nil
}

// memberField returns the add-member form field a problem names.
func memberField(p *problem.Error) string {
	switch p.Code {
	case "invalid_username", "user_exists":
		return "username"
	case "invalid_role":
		return "role"
	case "invalid_password":
		return "password"
	}
	return ""
}

func (s *Server) addMember(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := parseForm(r); err != nil {
		return err
	}
	if sess.Actor.Role != store.RoleAdmin {
		return forbiddenFor(sess.Actor.Role, "add members")
	}

	f := newForm(r.PostForm)
	f.Values.Del("password")
	username, role, password := strings.TrimSpace(f.Get("username")), f.Get("role"), r.PostForm.Get("password")
	if username == "" {
		f.Fail("username", "Enter a username, such as bob.")
	}
	// The password is checked before the member is added, so a rejected
	// password leaves no member behind without one.
	if password != "" {
		if msg := members.PasswordProblem(password); msg != "" {
			f.Fail("password", sentence(msg))
		}
	}

	if !f.Failed() {
		err := s.addMemberWithPassword(r, sess, username, role, password)
		if err == nil {
			return redirect(w, r, "/members", "member_added")
		}
		if failErr := s.failForm(r, f, err, memberField); failErr != nil {
			return failErr
		}
	}

	v, err := s.membersView(r, sess)
	if err != nil {
		return err
	}
	v.AddForm = f
	s.render(w, r, http.StatusUnprocessableEntity, "members", sess, v)
	return nil
}

// addMemberWithPassword adds a member and, when password is set, sets it.
func (s *Server) addMemberWithPassword(r *http.Request, sess *session, username, role, password string) error {
	if _, err := s.members.CreateUser(r.Context(), sess.Actor, members.UserInput{Username: username, Role: role}); err != nil {
		return err
	}
	if password == "" {
		return nil
	}
	return s.members.SetPassword(r.Context(), sess.Actor, username, password)
}

// memberAction runs an admin's action on one member and shows a rejection
// next to that member.
func (s *Server) memberAction(w http.ResponseWriter, r *http.Request, sess *session, notice string, action func(username string) error) error {
	if err := parseForm(r); err != nil {
		return err
	}
	username := r.PathValue("username")
	err := action(username)
	if err == nil {
		return redirect(w, r, "/members#member-"+username, notice)
	}
	p, ok := problem.As(err)
	if !ok || p.Status >= 500 {
		return err
	}
	s.logRejected(r, p)
	v, loadErr := s.membersView(r, sess)
	if loadErr != nil {
		return loadErr
	}
	v.RowErrors[username] = uiMessage(p)
	s.render(w, r, p.Status, "members", sess, v)
	return nil
}

func (s *Server) changeRole(w http.ResponseWriter, r *http.Request, sess *session) error {
	return s.memberAction(w, r, sess, "member_saved", func(username string) error {
		_, err := s.members.UpdateUser(r.Context(), sess.Actor, username, r.PostForm.Get("role"))
		return err
	})
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, sess *session) error {
	return s.memberAction(w, r, sess, "password_set", func(username string) error {
		return s.members.SetPassword(r.Context(), sess.Actor, username, r.PostForm.Get("password"))
	})
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, sess *session) error {
	if err := parseForm(r); err != nil {
		return err
	}
	username := r.PathValue("username")
	err := s.members.DeleteUser(r.Context(), sess.Actor, username)
	if err == nil {
		return redirect(w, r, "/members", "member_removed")
	}
	return s.memberAction(w, r, sess, "", func(string) error { return err })
}
