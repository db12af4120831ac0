package api_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/members"
)

// TestSecondOrgSeesNothingOfFirst builds one org's services, application,
// connection, credential, webhook and audit entries, then checks through the
// API that a second org's admin can neither list nor reach any of them.
func TestSecondOrgSeesNothingOfFirst(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")
	s.createService(oauthService("acme_devices"))
	app := s.createApplication(map[string]any{"service": "acme_devices", "name": "Production", "client_id": "acme-client"})
	resp := s.admin("POST", "/v1/webhooks", map[string]any{
		"name": "Ticket on alarm", "url": "/tickets", "connection": link, "events": []string{"device.alarm"},
	})
	wantStatus(t, resp, http.StatusCreated)
	hookID, _ := decode[map[string]any](t, resp)["id"].(string)

	other, err := members.NewManager(members.Options{Store: s.store, Logger: slog.New(slog.DiscardHandler)}).
		CreateOrg(t.Context(), "other-team", "eve")
	if err != nil {
		t.Fatal(err)
	}
	eve := string(other.Token)
	s.addSecret(eve)

	for _, path := range []string{"/v1/services?kind=custom", "/v1/applications", "/v1/connections", "/v1/webhooks", "/v1/audit"} {
		resp := s.do("GET", path, eve, nil)
		wantStatus(t, resp, http.StatusOK)
		if items := decode[map[string][]any](t, resp)["items"]; len(items) != 0 {
			t.Errorf("second org's GET %s lists %d items of the first org: %s", path, len(items), resp.body)
		}
	}
	for _, tc := range []struct {
		method, path string
		body         any
		code         string
	}{
		{"GET", "/v1/services/acme_keys", nil, "service_not_found"},
		{"GET", "/v1/applications/" + app.ID, nil, "application_not_found"},
		{"GET", "/v1/connections/" + link, nil, "connection_not_found"},
		{"GET", "/v1/connections/" + link + "/proxy/devices", nil, "connection_not_found"},
		{"POST", "/v1/invoke", map[string]any{"url": "/devices", "connection": link}, "connection_not_found"},
		{"DELETE", "/v1/connections/" + link, nil, "connection_not_found"},
		{"GET", "/v1/webhooks/" + hookID, nil, "webhook_not_found"},
		{"DELETE", "/v1/webhooks/" + hookID, nil, "webhook_not_found"},
	} {
		wantProblem(t, s.do(tc.method, tc.path, eve, tc.body), http.StatusNotFound, tc.code)
	}
	if n := len(up.received()); n != 0 {
		t.Errorf("the first org's upstream received %d requests from the second org, want 0", n)
	}

	// The first org's admin still reads everything.
	resp = s.admin("GET", "/v1/connections/"+link, nil)
	wantStatus(t, resp, http.StatusOK)
	if !strings.Contains(string(resp.body), `"status":"connected"`) {
		t.Errorf("first org's connection after the second org's attempts = %s, want it still connected", resp.body)
	}
}
