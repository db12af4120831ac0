package api

import (
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/store"
)

// userJSON is a member as the API shows it.
type userJSON struct {
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func userOf(u store.User) userJSON {
	return userJSON{Username: u.Username, Role: u.Role, CreatedAt: u.CreatedAt}
}

type userInput struct {
	Username string `json:"username"`
	Role     string `json:"role"`
}

// userUpdate changes a member's role, password or both. The password is
// write-only: no response shows it.
type userUpdate struct {
	Role     string  `json:"role"`
	Password *string `json:"password"`
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c *Caller) error {
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	users, err := s.members.ListUsers(r.Context(), c.Actor, after, limit+1)
	if err != nil {
		return err
	}
	out := list[userJSON]{Items: []userJSON{}}
	for i, u := range users {
		if i == limit {
			out.NextCursor = cursorOf(users[i-1].Username)
			break
		}
		out.Items = append(out.Items, userOf(u))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in userInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	user, err := s.members.CreateUser(r.Context(), c.Actor, members.UserInput{Username: in.Username, Role: in.Role})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, userOf(user))
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	user, err := s.members.User(r.Context(), c.Actor, r.PathValue("username"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userOf(user))
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in userUpdate
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	username := r.PathValue("username")
	if in.Password != nil {
		if err := s.members.SetPassword(r.Context(), c.Actor, username, *in.Password); err != nil {
			return err
		}
	}
	if in.Role == "" && in.Password != nil {
		user, err := s.members.User(r.Context(), c.Actor, username)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, userOf(user))
	}
	user, err := s.members.UpdateUser(r.Context(), c.Actor, username, in.Role)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, userOf(user))
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.members.DeleteUser(r.Context(), c.Actor, r.PathValue("username")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
