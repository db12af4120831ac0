package webhooks

import (
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

var renderEvent = store.Event{
	ID:        "ev-1",
	Type:      "device.alarm",
	Data:      map[string]any{"device": "pump-7", "level": 3, "note": `say "hi" & <go>`},
	CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
}

func TestRenderEventData(t *testing.T) {
	hook := store.Webhook{
		Method:  "POST",
		URL:     "https://desk.example/api/{{.data.device}}?event={{.id}}",
		Headers: map[string]string{"X-Event": "{{.type}}"},
		Body:    `{"subject": "{{.data.device}} alarm", "level": {{.data.level}}, "note": {{json .data.note}}, "at": "{{.created_at}}"}`,
	}

	req, err := Render(hook, renderEvent)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}

	if want := "https://desk.example/api/pump-7?event=ev-1"; req.URL != want {
		t.Errorf("URL = %q, want %q", req.URL, want)
	}
	if got := req.Headers["X-Event"]; got != "device.alarm" {
		t.Errorf("X-Event = %q, want device.alarm", got)
	}
	wantBody := `{"subject": "pump-7 alarm", "level": 3, "note": "say \"hi\" & <go>", "at": "2026-01-02T03:04:05.000000006Z"}`
	if string(req.Body) != wantBody {
		t.Errorf("body = %s, want %s", req.Body, wantBody)
	}
	if got := req.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json for a JSON body", got)
	}
}

func TestRenderDefaultBody(t *testing.T) {
	tests := []struct {
		method   string
		wantBody string
	}{
		{"POST", `{"created_at":"2026-01-02T03:04:05.000000006Z","data":{"device":"pump-7","level":3,"note":"say \"hi\" & <go>"},"id":"ev-1","type":"device.alarm"}`},
		{"PUT", `{"created_at":"2026-01-02T03:04:05.000000006Z","data":{"device":"pump-7","level":3,"note":"say \"hi\" & <go>"},"id":"ev-1","type":"device.alarm"}`},
		{"GET", ""},
		{"DELETE", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			req, err := Render(store.Webhook{Method: tt.method, URL: "https://desk.example/"}, renderEvent)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if string(req.Body) != tt.wantBody {
				t.Errorf("body = %s, want %s", req.Body, tt.wantBody)
			}
			if tt.wantBody == "" && req.Body != nil {
				t.Errorf("body = %q, want none", req.Body)
			}
		})
	}
}

func TestRenderKeepsGivenContentType(t *testing.T) {
	hook := store.Webhook{
		Method: "POST", URL: "https://desk.example/",
		Headers: map[string]string{"Content-Type": "application/vnd.desk+json"},
		Body:    `{"a": 1}`,
	}

	req, err := Render(hook, renderEvent)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}

	if got := req.Headers["Content-Type"]; got != "application/vnd.desk+json" {
		t.Errorf("Content-Type = %q, want the given one", got)
	}
}

func TestRenderPlainBodyHasNoContentType(t *testing.T) {
	hook := store.Webhook{Method: "POST", URL: "https://desk.example/", Body: "alarm on {{.data.device}}"}

	req, err := Render(hook, renderEvent)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}

	if got, ok := req.Headers["Content-Type"]; ok {
		t.Errorf("Content-Type = %q, want none for a text body", got)
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name    string
		hook    store.Webhook
		wantHas string
	}{
		{
			name:    "missing key",
			hook:    store.Webhook{URL: "https://desk.example/", Body: "{{.data.room}}"},
			wantHas: `map has no entry for key "room"`,
		},
		{
			name:    "missing key in header",
			hook:    store.Webhook{URL: "https://desk.example/", Headers: map[string]string{"X-Room": "{{.data.room}}"}},
			wantHas: "headers.X-Room",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Render(tt.hook, renderEvent)
			if err == nil {
				t.Fatal("Render succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantHas) {
				t.Errorf("error %q does not contain %q", err, tt.wantHas)
			}
		})
	}
}

func TestRenderBodyTooLong(t *testing.T) {
	event := renderEvent
	event.Data = map[string]any{"items": make([]any, maxRenderedBody/8)}
	hook := store.Webhook{URL: "https://desk.example/", Body: "{{range .data.items}}0123456789{{end}}"}

	_, err := Render(hook, event)

	if err == nil {
		t.Fatal("Render succeeded, want an error")
	}
	if want := "exceeds 1048576 bytes"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestRenderOptionalKey(t *testing.T) {
	hook := store.Webhook{
		Method: "POST", URL: "https://desk.example/",
		Body: `room={{with index .data "room"}}{{.}}{{end}} device={{with index .data "device"}}{{.}}{{end}}`,
	}

	req, err := Render(hook, renderEvent)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}

	if want := "room= device=pump-7"; string(req.Body) != want {
		t.Errorf("body = %q, want %q", req.Body, want)
	}
}
