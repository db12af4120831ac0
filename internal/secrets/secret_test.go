package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const secretValue = "tok-3f9a7c"

// appConfig is a struct with a Secret in an exported field, as the project
// stores them.
type appConfig struct {
	ClientID     string
	ClientSecret Secret
	Nested       struct{ Token Secret }
	Ptr          *Secret
}

func newAppConfig() appConfig {
	s := Secret(secretValue)
	cfg := appConfig{ClientID: "client-1", ClientSecret: Secret(secretValue), Ptr: &s}
	cfg.Nested.Token = Secret(secretValue)
	return cfg
}

func TestSecretMethods(t *testing.T) {
	tests := []struct {
		secret                   Secret
		wantString, wantGoString string
		wantJSON                 string
	}{
		{Secret(secretValue), "[redacted]", `"[redacted]"`, `"[redacted]"`},
		{Secret(""), "", `""`, `""`},
	}
	for _, tt := range tests {
		if got := tt.secret.String(); got != tt.wantString {
			t.Errorf("String() = %q, want %q", got, tt.wantString)
		}
		if got := tt.secret.GoString(); got != tt.wantGoString {
			t.Errorf("GoString() = %q, want %q", got, tt.wantGoString)
		}
		if got := tt.secret.LogValue(); got.String() != tt.wantString {
			t.Errorf("LogValue() = %q, want %q", got, tt.wantString)
		}
		got, err := json.Marshal(tt.secret)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tt.wantJSON {
			t.Errorf("json.Marshal = %s, want %s", got, tt.wantJSON)
		}
		if got := tt.secret.Reveal(); got != string(tt.secret) {
			t.Errorf("Reveal() = %q, want %q", got, string(tt.secret))
		}
	}
}

func TestSecretFmtRedacts(t *testing.T) {
	s := Secret(secretValue)
	cfg := newAppConfig()

	tests := []struct {
		format string
		arg    any
		want   string // exact output when not empty
	}{
		{"%v", s, "[redacted]"},
		{"%s", s, "[redacted]"},
		{"%+v", s, "[redacted]"},
		{"%#v", s, `"[redacted]"`},
		{"%q", s, `"[redacted]"`},
		{"%x", s, "[redacted]"},
		{"%12s|", s, "  [redacted]|"},
		{"%-12v|", s, "[redacted]  |"},
		{"%v", &s, ""},
		{"%v", cfg, ""},
		{"%s", cfg, ""},
		{"%+v", cfg, ""},
		{"%#v", cfg, ""},
		{"%q", cfg, ""},
		{"%x", cfg, ""},
		{"%v", []Secret{s}, ""},
		{"%v", map[string]Secret{"k": s}, ""},
		{"%v", fmt.Errorf("connecting with %v: %w", s, errors.New("failed")), ""},
	}
	for _, tt := range tests {
		got := fmt.Sprintf(tt.format, tt.arg)
		if strings.Contains(got, secretValue) || strings.Contains(got, fmt.Sprintf("%x", secretValue)) {
			t.Errorf("Sprintf(%q, %T) = %q, contains the secret", tt.format, tt.arg, got)
		}
		if tt.want != "" && got != tt.want {
			t.Errorf("Sprintf(%q, %T) = %q, want %q", tt.format, tt.arg, got, tt.want)
		}
	}

	// One call with every verb, as a careless log line would write it.
	got := fmt.Sprintf("%v %s %+v %#v %q", cfg, cfg, cfg, cfg, cfg)
	if strings.Contains(got, secretValue) {
		t.Errorf("Sprintf of the struct = %q, contains the secret", got)
	}
	if !strings.Contains(got, "client-1") || !strings.Contains(got, "[redacted]") {
		t.Errorf("Sprintf of the struct = %q, want the client ID and [redacted]", got)
	}
}

func TestSecretSlogRedacts(t *testing.T) {
	cfg := newAppConfig()
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	}
	for name, newHandler := range handlers {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(newHandler(&buf))
			logger.Info("connecting",
				"secret", Secret(secretValue),
				"config", cfg,
				slog.Any("pointer", cfg.Ptr),
				slog.Group("group", "token", Secret(secretValue)),
			)

			if strings.Contains(buf.String(), secretValue) {
				t.Errorf("log output contains the secret: %s", buf.String())
			}
			if !strings.Contains(buf.String(), "[redacted]") {
				t.Errorf("log output has no [redacted]: %s", buf.String())
			}
		})
	}
}

func TestSecretJSONInStruct(t *testing.T) {
	got, err := json.Marshal(newAppConfig())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), secretValue) {
		t.Errorf("json.Marshal = %s, contains the secret", got)
	}

	var decoded struct{ ClientSecret Secret }
	if err := json.Unmarshal([]byte(`{"ClientSecret":"`+secretValue+`"}`), &decoded); err != nil {
		t.Fatal(err)
	}
	if got := decoded.ClientSecret.Reveal(); got != secretValue {
		t.Errorf("json.Unmarshal gave %q, want %q", got, secretValue)
	}
}
