package webhooks

import (
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/problem"
)

func TestValidEventType(t *testing.T) {
	tests := []struct {
		eventType string
		want      bool
	}{
		{"device.alarm", true},
		{"connection.needs_reauth", true},
		{"a.b.c2", true},
		{"device", false},
		{"Device.alarm", false},
		{"device.", false},
		{".alarm", false},
		{"device..alarm", false},
		{"device.2alarm", false},
		{"device.alarm-high", false},
		{"device.*", false},
		{"d." + strings.Repeat("a", 98), true},
		{"d." + strings.Repeat("a", 99), false},
	}
	for _, tt := range tests {
		if got := ValidEventType(tt.eventType); got != tt.want {
			t.Errorf("ValidEventType(%q) = %t, want %t", tt.eventType, got, tt.want)
		}
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		name      string
		url       string
		bound     bool
		wantErr   string // part of the detail; empty for no error
		wantFixed bool   // the URL has no template actions
	}{
		{name: "absolute https", url: "https://desk.example/api/tickets", wantFixed: true},
		{name: "absolute http", url: "http://127.0.0.1:8080/hook", wantFixed: true},
		{name: "template in path", url: "https://desk.example/api/{{.data.device}}"},
		{name: "template in host when bound", url: "https://{{.data.host}}/hook", bound: true},
		{name: "template in host when unbound", url: "https://{{.data.host}}/hook", wantErr: "before any template action"},
		{name: "path when bound", url: "/devices/{{.data.device}}", bound: true},
		{name: "path when unbound", url: "/devices", wantErr: "only a webhook with a connection"},
		{name: "protocol-relative", url: "//desk.example/hook", bound: true, wantErr: "not an absolute"},
		{name: "scheme from template", url: "{{.data.url}}", wantErr: "without template actions"},
		{name: "partial scheme", url: "ht{{.data.s}}", wantErr: "without template actions"},
		{name: "ftp", url: "ftp://desk.example/", wantErr: "not an absolute"},
		{name: "no host", url: "https:///path", wantErr: "has no host"},
		{name: "user info", url: "https://user:pw@desk.example/", wantErr: "user information"},
		{name: "bad template", url: "https://desk.example/{{.data", wantErr: "not a valid template"},
		{name: "empty", url: "", wantErr: "missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := checkURL(tt.url, tt.bound)

			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("checkURL(%q): %v", tt.url, err)
				}
				if got := u != nil; got != tt.wantFixed {
					t.Errorf("parsed = %t, want %t", got, tt.wantFixed)
				}
				return
			}
			p, ok := problem.As(err)
			if !ok {
				t.Fatalf("checkURL(%q) = %v, want a problem", tt.url, err)
			}
			if p.Code != "invalid_webhook" || p.Extra["field"] != "url" {
				t.Errorf("code = %s, field = %v, want invalid_webhook on url", p.Code, p.Extra["field"])
			}
			if !strings.Contains(p.Detail, tt.wantErr) {
				t.Errorf("detail %q does not contain %q", p.Detail, tt.wantErr)
			}
		})
	}
}

func TestNormalizeHeaders(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    map[string]string
		wantErr string
	}{
		{
			name:    "canonical names",
			headers: map[string]string{"content-type": "application/json", "x-device": "{{.data.device}}"},
			want:    map[string]string{"Content-Type": "application/json", "X-Device": "{{.data.device}}"},
		},
		{name: "authorization", headers: map[string]string{"authorization": "Bearer x"}, wantErr: "Authorization cannot be set"},
		{name: "signature header", headers: map[string]string{"Webhook-Signature": "v1,x"}, wantErr: "plugboard sets it"},
		{name: "hop-by-hop", headers: map[string]string{"Proxy-Authorization": "x"}, wantErr: "hop-by-hop"},
		{name: "invalid name", headers: map[string]string{"X Device": "x"}, wantErr: "not valid"},
		{name: "same name twice", headers: map[string]string{"X-A": "1", "x-a": "2"}, wantErr: "twice"},
		{name: "bad template", headers: map[string]string{"X-A": "{{"}, wantErr: "headers.X-A is not a valid template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := normalizeHeaders(tt.headers)

			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("normalizeHeaders = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("normalizeHeaders: %v", err)
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			for name, value := range tt.want {
				if got[name] != value {
					t.Errorf("%s = %q, want %q", name, got[name], value)
				}
			}
		})
	}
}

func TestCheckPostedType(t *testing.T) {
	tests := []struct {
		eventType string
		wantErr   string
	}{
		{eventType: "device.alarm"},
		{eventType: "connection.connected", wantErr: "reserved"},
		{eventType: "webhook.test", wantErr: "reserved"},
		{eventType: "Device.Alarm", wantErr: "not valid"},
	}
	for _, tt := range tests {
		err := checkPostedType(tt.eventType)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("checkPostedType(%q): %v", tt.eventType, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("checkPostedType(%q) = %v, want an error containing %q", tt.eventType, err, tt.wantErr)
		}
	}
}
