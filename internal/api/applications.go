package api

import (
	"net/http"
	"slices"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// applicationJSON is an application as the API shows it; the client secret
// is write-only and only its presence is shown.
type applicationJSON struct {
	ID              string    `json:"id"`
	Service         string    `json:"service"`
	Name            string    `json:"name"`
	ClientID        string    `json:"client_id"`
	HasClientSecret bool      `json:"has_client_secret"`
	RedirectURI     string    `json:"redirect_uri"`
	Default         bool      `json:"default"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

type applicationInput struct {
	Service      string          `json:"service"`
	Name         *string         `json:"name"`
	ClientID     *string         `json:"client_id"`
	ClientSecret *secrets.Secret `json:"client_secret"`
	Default      *bool           `json:"default"`
}

func (s *Server) applicationJSON(a store.Application) applicationJSON {
	return applicationJSON{
		ID: a.ID, Service: a.ServiceKey, Name: a.Name, ClientID: a.ClientID,
		HasClientSecret: a.ClientSecretSealed != "", RedirectURI: s.conns.RedirectURI(),
		Default: a.Default, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request, c *Caller) error {
	apps, err := s.conns.ListApplications(r.Context(), c.Actor.OrgID, r.URL.Query().Get("service"))
	if err != nil {
		return err
	}
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	// Applications come in creation order, and the cursor is the ID of the
	// last one of the previous page.
	start := 0
	if after != "" {
		start = slices.IndexFunc(apps, func(a store.Application) bool { return a.ID == after }) + 1
		if start == 0 {
			return problem.BadRequest("invalid_cursor", "cursor names an application that no longer exists; list from the first page again")
		}
	}
	out := list[applicationJSON]{Items: []applicationJSON{}}
	for _, a := range apps[start:] {
		if len(out.Items) == limit {
			out.NextCursor = cursorOf(out.Items[len(out.Items)-1].ID)
			break
		}
		out.Items = append(out.Items, s.applicationJSON(a))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) getApplication(w http.ResponseWriter, r *http.Request, c *Caller) error {
	app, err := s.conns.Application(r.Context(), c.Actor.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.applicationJSON(app))
}

func (s *Server) createApplication(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in applicationInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	app, err := s.conns.CreateApplication(r.Context(), c.Actor, connections.ApplicationInput{
		Service: in.Service, Name: in.Name, ClientID: in.ClientID, ClientSecret: in.ClientSecret, Default: in.Default,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, s.applicationJSON(app))
}

func (s *Server) updateApplication(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in applicationInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Service != "" {
		return problem.Invalid("immutable_field", "an application's service cannot change; register a new application for the other service")
	}
	app, err := s.conns.UpdateApplication(r.Context(), c.Actor, r.PathValue("id"), connections.ApplicationInput{
		Name: in.Name, ClientID: in.ClientID, ClientSecret: in.ClientSecret, Default: in.Default,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, s.applicationJSON(app))
}

func (s *Server) deleteApplication(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.conns.DeleteApplication(r.Context(), c.Actor, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
