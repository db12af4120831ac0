package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestHasScope(t *testing.T) {
	s := validService()
	tests := []struct {
		name string
		want bool
	}{
		{"devices.read", true},
		{"devices.write", true},
		{"Devices.Read", false},
		{"devices", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := s.HasScope(tt.name); got != tt.want {
			t.Errorf("HasScope(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestCheckScopesAcceptsDeclared(t *testing.T) {
	s := validService()
	for _, requested := range [][]string{nil, {}, {"devices.read"}, {"devices.write", "devices.read"}} {
		if err := s.CheckScopes(requested); err != nil {
			t.Errorf("CheckScopes(%q) = %v, want nil", requested, err)
		}
	}
}

func TestCheckScopesRejectsUndeclared(t *testing.T) {
	s := validService()
	err := s.CheckScopes([]string{"devices.read", "admin", "billing", "admin"})

	var se *ScopeError
	if !errors.As(err, &se) {
		t.Fatalf("CheckScopes() = %v, want a *ScopeError", err)
	}
	if se.Service != "acme_devices" {
		t.Errorf("Service = %q, want %q", se.Service, "acme_devices")
	}
	if want := []string{"admin", "billing"}; !slices.Equal(se.Undeclared, want) {
		t.Errorf("Undeclared = %q, want %q (each once, in request order)", se.Undeclared, want)
	}
	if want := []string{"devices.read", "devices.write"}; !slices.Equal(se.Declared, want) {
		t.Errorf("Declared = %q, want %q", se.Declared, want)
	}

	msg := err.Error()
	for _, want := range []string{`"admin"`, `"billing"`, "devices.read, devices.write", "custom service", "free scopes"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not contain %q", msg, want)
		}
	}
}

func TestCheckScopesAllowsFreeScopes(t *testing.T) {
	s := validService()
	s.FreeScopes = true
	if err := s.CheckScopes([]string{"anything.goes", "devices.read"}); err != nil {
		t.Errorf("CheckScopes() with free scopes = %v, want nil", err)
	}
}

func TestCheckScopesRejectsMalformedNames(t *testing.T) {
	tests := []struct {
		name      string
		free      bool
		separator string
		requested []string
		wantField string
		wantText  string
	}{
		{"empty", false, " ", []string{"devices.read", ""}, "scopes[1]", "is missing"},
		{"whitespace", true, " ", []string{"devices.read devices.write"}, "scopes[0]", "whitespace"},
		{"separator", true, ",", []string{"a,b"}, "scopes[0]", `separator ","`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validService()
			s.FreeScopes = tt.free
			s.OAuth2.ScopeSeparator = tt.separator
			err := s.CheckScopes(tt.requested)

			if got := fieldsOf(err); !slices.Equal(got, []string{tt.wantField}) {
				t.Errorf("fields = %v, want [%s]; error: %v", got, tt.wantField, err)
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("CheckScopes() = %v, want it to contain %q", err, tt.wantText)
			}
			var se *ScopeError
			if errors.As(err, &se) {
				t.Errorf("CheckScopes() reported undeclared scopes %q for malformed names only", se.Undeclared)
			}
		})
	}
}

func TestScopeErrorMessage(t *testing.T) {
	tests := []struct {
		name     string
		declared int
		want     string
	}{
		{"none declared", 0, "it declares no scopes, so request none"},
		{"few declared", 2, "request only declared scopes (s0, s1)"},
		{"many declared", maxListedScopes + 5, "s19 and 5 more)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			declared := make([]string, tt.declared)
			for i := range declared {
				declared[i] = fmt.Sprintf("s%d", i)
			}
			err := &ScopeError{Service: "acme", Undeclared: []string{"x"}, Declared: declared}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("Error() = %q, want it to contain %q", msg, tt.want)
			}
			if !strings.HasPrefix(msg, `service "acme" does not declare scope "x": `) {
				t.Errorf("Error() = %q, want it to start by naming the service and the scope", msg)
			}
		})
	}
}
