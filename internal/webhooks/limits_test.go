package webhooks

import (
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func TestTemplateCostLimits(t *testing.T) {
	tests := []struct {
		name, body, wantHas string
	}{
		{"range over a number", "{{range 1000000000000000}}{{end}}", "range goes only over a field"},
		{"range over a variable", "{{$n := 1000000000000}}{{range $n}}{{end}}", "range goes only over a field"},
		{"range over len", "{{range len .data.items}}{{end}}", "range goes only over a field"},
		{"nested range", "{{range .data.items}}{{range $.data.items}}x{{end}}{{end}}", "range inside a range"},
		{"nested range in if", "{{range .data.items}}{{if .}}{{range $.data.items}}{{end}}{{end}}{{end}}", "range inside a range"},
		{"define", `{{define "x"}}{{template "x"}}{{end}}{{template "x"}}`, "define other templates"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkTemplate("body", tt.body, maxBodyTemplate)
			if err == nil || !strings.Contains(err.Error(), tt.wantHas) {
				t.Errorf("checkTemplate(%q) = %v, want an error containing %q", tt.body, err, tt.wantHas)
			}
		})
	}
	for _, ok := range []string{
		"{{range .data.items}}{{.}},{{end}}",
		"{{range $i, $e := $.data.items}}{{$i}}={{$e}}{{end}}",
		`{{with index .data "room"}}{{.}}{{end}}`,
	} {
		if err := checkTemplate("body", ok, maxBodyTemplate); err != nil {
			t.Errorf("checkTemplate(%q) = %v, want it accepted", ok, err)
		}
	}
}

func TestTemplateStringGrowthCapped(t *testing.T) {
	event := store.Event{ID: "ev1", Type: "device.alarm", CreatedAt: time.Now(),
		Data: map[string]any{"items": make([]any, 40)}}
	for name, body := range map[string]string{
		"doubling":   `{{$x := "0123456789"}}{{range .data.items}}{{$x = printf "%s%s" $x $x}}{{end}}{{len $x}}`,
		"wide width": `{{printf "%0999999999d" 0}}`,
		"print":      `{{$x := "0123456789"}}{{range .data.items}}{{$x = print $x $x}}{{end}}`,
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			_, err := Render(store.Webhook{URL: "https://desk.example/", Body: body}, event)
			if err == nil {
				t.Fatal("Render succeeded, want an error")
			}
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Render took %v, want it stopped early", elapsed)
			}
		})
	}
}
