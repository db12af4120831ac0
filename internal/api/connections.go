package api

import (
	"net/http"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// connectionJSON is a connection as the API shows it.
type connectionJSON struct {
	LinkName                string      `json:"link_name"`
	Name                    string      `json:"name"`
	Description             string      `json:"description"`
	Service                 string      `json:"service"`
	Region                  string      `json:"region,omitempty"`
	Application             string      `json:"application,omitempty"`
	Scopes                  []string    `json:"scopes"`
	GrantedScopes           []string    `json:"granted_scopes"`
	MissingScopes           []string    `json:"missing_scopes"`
	UseLoginUserCredentials bool        `json:"use_login_user_credentials"`
	Owner                   string      `json:"owner"`
	Status                  string      `json:"status"`
	MyStatus                string      `json:"my_status,omitempty"`
	ExpiresAt               *time.Time  `json:"expires_at,omitempty"`
	LastUsedAt              *time.Time  `json:"last_used_at,omitempty"`
	LastError               string      `json:"last_error,omitempty"`
	UsedBy                  []usageJSON `json:"used_by,omitempty"`
	CreatedAt               time.Time   `json:"created_at"`
	UpdatedAt               time.Time   `json:"updated_at"`
}

type connectionInput struct {
	Name                    *string   `json:"name"`
	LinkName                string    `json:"link_name"`
	Description             *string   `json:"description"`
	Service                 string    `json:"service"`
	Region                  string    `json:"region"`
	Application             *string   `json:"application"`
	Scopes                  *[]string `json:"scopes"`
	UseLoginUserCredentials *bool     `json:"use_login_user_credentials"`
}

func (in connectionInput) domain() connections.ConnectionInput {
	return connections.ConnectionInput{
		Name: in.Name, LinkName: in.LinkName, Description: in.Description, Service: in.Service, Region: in.Region,
		Application: in.Application, Scopes: in.Scopes, UseLoginUserCredentials: in.UseLoginUserCredentials,
	}
}

func (s *Server) describe(r *http.Request, c *Caller, conn store.Connection) (connectionJSON, error) {
	sum, err := s.conns.Describe(r.Context(), c.Actor, conn)
	if err != nil {
		return connectionJSON{}, err
	}
	out := connectionJSON{
		LinkName: conn.LinkName, Name: conn.Name, Description: conn.Description, Service: conn.ServiceKey,
		Region:      conn.Region,
		Application: conn.ApplicationID, Scopes: conn.Scopes, GrantedScopes: sum.GrantedScopes,
		MissingScopes: sum.MissingScopes, UseLoginUserCredentials: conn.UseLoginUserCredentials,
		Owner: sum.OwnerUsername, Status: sum.Status, MyStatus: sum.MyStatus, LastError: sum.LastError,
		CreatedAt: conn.CreatedAt, UpdatedAt: conn.UpdatedAt,
	}
	if !sum.Expiry.IsZero() {
		out.ExpiresAt = &sum.Expiry
	}
	if !sum.LastUsedAt.IsZero() {
		out.LastUsedAt = &sum.LastUsedAt
	}
	return out, nil
}

func (s *Server) listConnections(w http.ResponseWriter, r *http.Request, c *Caller) error {
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	conns, err := s.conns.ListConnections(r.Context(), c.Actor, r.URL.Query().Get("view"), after, limit+1)
	if err != nil {
		return err
	}
	out := list[connectionJSON]{Items: []connectionJSON{}}
	for i, conn := range conns {
		if i == limit {
			out.NextCursor = cursorOf(conns[i-1].LinkName)
			break
		}
		item, err := s.describe(r, c, conn)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, item)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) createConnection(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in connectionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	conn, err := s.conns.CreateConnection(r.Context(), c.Actor, in.domain())
	if err != nil {
		return err
	}
	out, err := s.describe(r, c, conn)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// usageJSON is a record that uses a connection.
type usageJSON struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (s *Server) getConnection(w http.ResponseWriter, r *http.Request, c *Caller) error {
	conn, err := s.conns.Connection(r.Context(), c.Actor.OrgID, r.PathValue("link"))
	if err != nil {
		return err
	}
	out, err := s.describe(r, c, conn)
	if err != nil {
		return err
	}
	usages, err := s.conns.Usages(r.Context(), conn)
	if err != nil {
		return err
	}
	out.UsedBy = []usageJSON{}
	for _, u := range usages {
		out.UsedBy = append(out.UsedBy, usageJSON{Type: u.Type, ID: u.ID, Name: u.Name})
	}
	return writeJSON(w, http.StatusOK, out)
}

// holderJSON is one member's credential of a connection, without tokens.
type holderJSON struct {
	User          string     `json:"user"`
	Status        string     `json:"status"`
	GrantedScopes []string   `json:"granted_scopes"`
	ConnectedAt   *time.Time `json:"connected_at,omitempty"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	LastError     string     `json:"last_error,omitempty"`
}

func (s *Server) listHolders(w http.ResponseWriter, r *http.Request, c *Caller) error {
	holders, err := s.conns.Holders(r.Context(), c.Actor, r.PathValue("link"))
	if err != nil {
		return err
	}
	out := list[holderJSON]{Items: []holderJSON{}}
	for _, h := range holders {
		item := holderJSON{User: h.Username, Status: h.Status, GrantedScopes: nonNilStrings(h.GrantedScopes), LastError: h.LastError}
		if !h.ConnectedAt.IsZero() {
			item.ConnectedAt = &h.ConnectedAt
		}
		if !h.Expiry.IsZero() {
			item.ExpiresAt = &h.Expiry
		}
		out.Items = append(out.Items, item)
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) revokeHolder(w http.ResponseWriter, r *http.Request, c *Caller) error {
	res, err := s.conns.RevokeMember(r.Context(), c.Actor, r.PathValue("link"), r.PathValue("user"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"status":           store.StatusNotConnected,
		"provider_revoked": res.ProviderRevoked,
	})
}

func (s *Server) updateConnection(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in connectionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	conn, err := s.conns.UpdateConnection(r.Context(), c.Actor, r.PathValue("link"), in.domain())
	if err != nil {
		return err
	}
	out, err := s.describe(r, c, conn)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteConnection(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.conns.DeleteConnection(r.Context(), c.Actor, r.PathValue("link")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type connectInput struct {
	ReturnTo    string                    `json:"return_to"`
	Credentials map[string]secrets.Secret `json:"credentials"`
}

func (s *Server) connect(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in connectInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	res, err := s.conns.Connect(r.Context(), c.Actor, r.PathValue("link"), in.ReturnTo, in.Credentials)
	if err != nil {
		return err
	}
	if res.AuthorizationURL != "" {
		return writeJSON(w, http.StatusOK, map[string]string{"authorization_url": res.AuthorizationURL})
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": res.Status})
}

func (s *Server) revoke(w http.ResponseWriter, r *http.Request, c *Caller) error {
	res, err := s.conns.Revoke(r.Context(), c.Actor, r.PathValue("link"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"status":           store.StatusNotConnected,
		"provider_revoked": res.ProviderRevoked,
	})
}

func (s *Server) credential(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if !c.Has(store.PermissionReadCredentials) {
		return problem.Forbidden("permission_required",
			"fetching access tokens needs an API token with the %q permission; create one with POST /v1/tokens",
			store.PermissionReadCredentials)
	}
	token, err := s.conns.Token(r.Context(), c.Actor, r.PathValue("link"))
	if err != nil {
		return err
	}
	s.logger.Info("credential read", "org_id", c.Actor.OrgID, "connection", r.PathValue("link"), "user_id", c.Actor.UserID)
	out := map[string]any{
		"access_token": token.Value.Reveal(),
		"token_type":   token.TokenType,
		"scopes":       token.Scopes,
	}
	if !token.Expiry.IsZero() {
		out["expires_at"] = token.Expiry
	}
	return writeJSON(w, http.StatusOK, out)
}
