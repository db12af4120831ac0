package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

type tokenInput struct {
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}

var knownPermissions = []string{store.PermissionReadCredentials}

// createToken issues an API token for the caller and shows it once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in tokenInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Name) == "" {
		return problem.Invalid("invalid_token_request", "name is missing; name the token after its use, such as \"ci\"")
	}
	for _, p := range in.Permissions {
		if !slices.Contains(knownPermissions, p) {
			return problem.Invalid("invalid_permission", "permission %q is not known; use one of %s", p, strings.Join(knownPermissions, ", "))
		}
	}
	if slices.Contains(in.Permissions, store.PermissionReadCredentials) && !c.Actor.CanUseCredentials() {
		return problem.Forbidden("forbidden", "role %q cannot be given permission %q", c.Actor.Role, store.PermissionReadCredentials)
	}
	// A token passes on only permissions it has itself, so a token without
	// credentials:read cannot mint one that has it. Admins grant any.
	for _, p := range in.Permissions {
		if !c.Has(p) && c.Actor.Role != store.RoleAdmin {
			return problem.Forbidden("forbidden",
				"this API token does not have permission %q, so it cannot grant it; ask an admin to create the token", p)
		}
	}
	token, rec, err := members.IssueToken(r.Context(), s.store, c.Actor.OrgID, c.Actor.UserID, strings.TrimSpace(in.Name), in.Permissions, s.now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, map[string]any{
		"id": rec.ID, "name": rec.Name, "token": string(token), "permissions": nonNilStrings(rec.Permissions),
		"created_at": rec.CreatedAt.Format(time.RFC3339),
	})
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
