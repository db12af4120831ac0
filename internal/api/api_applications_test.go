package api_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"slices"
	"strconv"
	"testing"
)

// Client secrets with characters that a careless encoder would change.
const (
	firstClientSecret  = "cs-first/+:%S3cr3t-4f1d9a"
	secondClientSecret = "cs-second/+:%S3cr3t-77be20"
)

func TestApplicationsSecretWriteOnly(t *testing.T) {
	s := newStack(t)
	s.createService(oauthService("acme_devices"))
	s.addSecret(secondClientSecret)

	created := s.createApplication(map[string]any{
		"service": "acme_devices", "name": "Production", "client_id": "acme-client",
		"client_secret": firstClientSecret, "default": true,
	})
	patchResp := s.admin("PATCH", "/v1/applications/"+created.ID, map[string]any{
		"name": "Production EU", "client_secret": secondClientSecret,
	})
	wantStatus(t, patchResp, http.StatusOK)
	getResp := s.admin("GET", "/v1/applications/"+created.ID, nil)
	wantStatus(t, getResp, http.StatusOK)
	listResp := s.admin("GET", "/v1/applications?service=acme_devices", nil)
	wantStatus(t, listResp, http.StatusOK)

	listed := decode[struct {
		Items []applicationBody `json:"items"`
	}](t, listResp).Items
	if len(listed) != 1 {
		t.Fatalf("list has %d applications, want 1", len(listed))
	}
	wantRedirect := s.url + "/oauth/callback"
	for _, tt := range []struct {
		name     string
		app      applicationBody
		wantName string
	}{
		{name: "create", app: created, wantName: "Production"},
		{name: "patch", app: decode[applicationBody](t, patchResp), wantName: "Production EU"},
		{name: "get", app: decode[applicationBody](t, getResp), wantName: "Production EU"},
		{name: "list", app: listed[0], wantName: "Production EU"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.app.ID != created.ID || tt.app.Service != "acme_devices" || tt.app.ClientID != "acme-client" || !tt.app.Default {
				t.Errorf("application = %+v, want the created one", tt.app)
			}
			if tt.app.Name != tt.wantName {
				t.Errorf("name = %q, want %q", tt.app.Name, tt.wantName)
			}
			if !tt.app.HasClientSecret {
				t.Error("has_client_secret = false, want true")
			}
			if tt.app.RedirectURI != wantRedirect {
				t.Errorf("redirect_uri = %q, want %q", tt.app.RedirectURI, wantRedirect)
			}
		})
	}
	// The cleanup of newStack checks every response for the secrets, and
	// this check names the responses at hand.
	for _, resp := range []response{patchResp, getResp, listResp} {
		for _, secret := range []string{firstClientSecret, secondClientSecret} {
			if bytes.Contains(resp.body, []byte(secret)) {
				t.Errorf("%s returned the client secret: %s", resp.request, resp.body)
			}
		}
	}
}

func TestApplicationsSecretCleared(t *testing.T) {
	s := newStack(t)
	s.createService(oauthService("acme_devices"))
	created := s.createApplication(map[string]any{
		"service": "acme_devices", "name": "Production", "client_id": "acme-client", "client_secret": firstClientSecret,
	})

	resp := s.admin("PATCH", "/v1/applications/"+created.ID, map[string]any{"client_secret": ""})

	wantStatus(t, resp, http.StatusOK)
	if decode[applicationBody](t, resp).HasClientSecret {
		t.Error("has_client_secret = true after setting an empty secret, want false")
	}
}

func TestApplicationsRejects(t *testing.T) {
	s := newStack(t)
	s.createService(apiKeyService("acme_keys", "https://api.acme.example", "X-API-Key", "header"))
	s.createService(oauthService("acme_devices"))

	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{
			name:   "api_key service",
			body:   map[string]any{"service": "acme_keys", "name": "Production", "client_id": "acme-client"},
			status: http.StatusUnprocessableEntity, code: "invalid_application",
		},
		{
			name:   "missing client_id",
			body:   map[string]any{"service": "acme_devices", "name": "Production"},
			status: http.StatusUnprocessableEntity, code: "invalid_application",
		},
		{
			name:   "unknown service",
			body:   map[string]any{"service": "nothing_here", "name": "Production", "client_id": "acme-client"},
			status: http.StatusNotFound, code: "service_not_found",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, s.admin("POST", "/v1/applications", tt.body), tt.status, tt.code)
		})
	}
}

func TestApplicationsDeleteInUse(t *testing.T) {
	s := newStack(t)
	s.createService(oauthService("acme_devices"))
	app := s.createApplication(map[string]any{"service": "acme_devices", "name": "Production", "client_id": "acme-client"})
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme devices", "service": "acme_devices"})

	wantProblem(t, s.admin("DELETE", "/v1/applications/"+app.ID, nil), http.StatusConflict, "application_in_use")

	wantStatus(t, s.admin("DELETE", "/v1/connections/"+conn.LinkName, nil), http.StatusNoContent)
	wantStatus(t, s.admin("DELETE", "/v1/applications/"+app.ID, nil), http.StatusNoContent)
	wantProblem(t, s.admin("GET", "/v1/applications/"+app.ID, nil), http.StatusNotFound, "application_not_found")
}

func TestApplicationsPagination(t *testing.T) {
	s := newStack(t)
	s.createService(oauthService("acme_devices"))
	var want []string
	for i := range 5 {
		app := s.createApplication(map[string]any{
			"service": "acme_devices", "name": "App " + strconv.Itoa(i), "client_id": "client-" + strconv.Itoa(i),
		})
		want = append(want, app.ID)
	}

	pages := s.listAll(adminToken, "/v1/applications", 2)
	if len(pages) != 3 {
		t.Fatalf("got %d pages of 2, want 3", len(pages))
	}
	var got []string
	for _, p := range pages {
		for _, item := range p.Items {
			id, _ := item["id"].(string)
			got = append(got, id)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged IDs = %v, want %v in creation order", got, want)
	}

	wantProblem(t, s.admin("GET", "/v1/applications?cursor="+base64.RawURLEncoding.EncodeToString([]byte("gone")), nil),
		http.StatusBadRequest, "invalid_cursor")
}

func TestApplicationsServiceImmutable(t *testing.T) {
	s := newStack(t)
	s.createService(oauthService("acme_devices"))
	s.createService(oauthService("acme_other"))
	app := s.createApplication(map[string]any{"service": "acme_devices", "name": "Production", "client_id": "acme-client"})
	wantProblem(t, s.admin("PATCH", "/v1/applications/"+app.ID, map[string]any{"service": "acme_other"}),
		http.StatusUnprocessableEntity, "immutable_field")
}
