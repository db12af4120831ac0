package api_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestWebhooksHideTemplatesFromViewers(t *testing.T) {
	s := newStack(t)
	viewer := s.addUser("vera", "viewer")
	resp := s.admin("POST", "/v1/webhooks", map[string]any{
		"name": "Ticket on alarm", "url": "https://desk.acme.example/tickets?token=url-secret-0123456789", "method": "POST",
		"headers": map[string]string{"X-Desk-Key": "desk-key-0123456789"},
		"body":    `{"subject": "{{.data.device}} alarm"}`, "events": []string{"device.alarm"},
	})
	wantStatus(t, resp, http.StatusCreated)
	created := decode[map[string]any](t, resp)
	id, _ := created["id"].(string)
	if secret, _ := created["secret"].(string); !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("create response secret = %.8q..., want a whsec_ secret shown once", secret)
	}

	for _, path := range []string{"/v1/webhooks", "/v1/webhooks/" + id} {
		resp := s.do("GET", path, viewer, nil)
		wantStatus(t, resp, http.StatusOK)
		if strings.Contains(string(resp.body), "desk-key-0123456789") || strings.Contains(string(resp.body), "{{.data.device}}") ||
			strings.Contains(string(resp.body), "url-secret-0123456789") {
			t.Errorf("viewer's GET %s shows a header value or the body: %s", path, resp.body)
		}
		if strings.Contains(string(resp.body), "whsec_") {
			t.Errorf("GET %s shows the signing secret: %s", path, resp.body)
		}
	}
	resp = s.admin("GET", "/v1/webhooks/"+id, nil)
	if !strings.Contains(string(resp.body), "desk-key-0123456789") {
		t.Errorf("admin's GET does not show the header value: %s", resp.body)
	}

	wantProblem(t, s.do("POST", "/v1/events", viewer, map[string]any{"type": "device.alarm", "data": map[string]any{}}),
		http.StatusForbidden, "forbidden")
}
