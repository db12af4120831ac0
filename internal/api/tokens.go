package api

import (
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/members"
)

// tokenJSON is an API token as GET /v1/tokens shows it: never its value or
// its hash.
type tokenJSON struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	User        string     `json:"user"`
	Permissions []string   `json:"permissions"`
	CreatedAt   time.Time  `json:"created_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
}

func tokenOf(info members.TokenInfo) tokenJSON {
	out := tokenJSON{
		ID: info.ID, Name: info.Name, User: info.Username, Permissions: nonNilStrings(info.Permissions),
		CreatedAt: info.CreatedAt,
	}
	if !info.LastUsedAt.IsZero() {
		out.LastUsedAt = &info.LastUsedAt
	}
	return out
}

type tokenInput struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
	// User is the member the token is for; admins only.
	User string `json:"user"`
}

// listTokens lists the caller's API tokens, or with ?user= an admin's view
// of one member's tokens, or of every member's with ?user=*.
func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, c *Caller) error {
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	tokens, err := s.members.ListTokens(r.Context(), c.Actor, r.URL.Query().Get("user"), after, limit+1)
	if err != nil {
		return err
	}
	out := list[tokenJSON]{Items: []tokenJSON{}}
	for i, info := range tokens {
		if i == limit {
			out.NextCursor = cursorOf(tokens[i-1].SortKey())
			break
		}
		out.Items = append(out.Items, tokenOf(info))
	}
	return writeJSON(w, http.StatusOK, out)
}

// createToken issues an API token, for the caller or, for an admin, for a
// member, and shows it once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in tokenInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	token, info, err := s.members.CreateToken(r.Context(), c.Actor, c.Token.Permissions, members.TokenInput{
		Name: in.Name, Permissions: in.Permissions, User: in.User,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{
		"id": info.ID, "name": info.Name, "user": info.Username, "token": string(token),
		"permissions": nonNilStrings(info.Permissions), "created_at": info.CreatedAt,
	})
}

// deleteToken revokes an API token; the token of the request itself may be
// revoked.
func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.members.DeleteToken(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, c *Caller) error {
	return writeJSON(w, http.StatusOK, map[string]any{
		"username": c.Actor.Username, "role": c.Actor.Role, "token": c.Token.Name,
		"permissions": nonNilStrings(c.Token.Permissions),
	})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
