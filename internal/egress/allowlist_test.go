package egress

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestAllowlistAllows(t *testing.T) {
	allow, err := NewAllowlist("https://api.acme.example/v1", []string{
		"files.acme.example",
		"uploads.acme.example:8443",
		"API2.Acme.Example",
		"[2001:db8::1]:8443",
		"192.0.2.7",
		"dotted.acme.example.",
	})
	if err != nil {
		t.Fatalf("NewAllowlist: %v", err)
	}

	tests := []struct {
		name   string
		target string
		want   bool
	}{
		{"base host", "https://api.acme.example/v1/devices?page=2", true},
		{"base host upper case", "https://API.ACME.EXAMPLE/v1", true},
		{"base host explicit default port", "https://api.acme.example:443/v1", true},
		{"base host port with leading zero", "https://api.acme.example:0443/v1", true},
		{"base host trailing dot", "https://api.acme.example./v1", false},
		{"base host over http", "http://api.acme.example/v1", false},
		{"base host over http on port 443", "http://api.acme.example:443/v1", false},
		{"base host other port", "https://api.acme.example:8443/v1", false},
		{"bare entry over https", "https://files.acme.example/f/1", true},
		{"bare entry over http", "http://files.acme.example/f/1", false},
		{"bare entry over http upper case", "HTTP://FILES.ACME.EXAMPLE/f/1", false},
		{"bare entry over http trailing dot", "HTTP://FILES.ACME.EXAMPLE./f/1", false},
		{"bare entry trailing dot", "https://files.acme.example./f/1", false},
		{"dotted entry with dot", "https://dotted.acme.example./", true},
		{"dotted entry upper case", "https://DOTTED.ACME.EXAMPLE./", true},
		{"dotted entry without dot", "https://dotted.acme.example/", false},
		{"bare entry explicit default port", "https://files.acme.example:443/", true},
		{"bare entry other port", "https://files.acme.example:8443/", false},
		{"entry with port", "https://uploads.acme.example:8443/", true},
		{"entry with port on default port", "https://uploads.acme.example/", false},
		{"entry in upper case", "https://api2.acme.example/", true},
		{"IPv6 entry", "https://[2001:db8::1]:8443/", true},
		{"IPv6 entry long form", "https://[2001:db8:0:0::1]:8443/", true},
		{"IPv6 entry default port", "https://[2001:db8::1]/", false},
		{"IPv4 entry", "https://192.0.2.7/", true},
		{"prefix lookalike", "https://evil-api.acme.example/", false},
		{"suffix lookalike", "https://api.acme.example.evil.test/", false},
		{"parent domain", "https://acme.example/", false},
		{"subdomain", "https://sub.api.acme.example/", false},
		{"userinfo trick", "https://api.acme.example@evil.test/", false},
		{"userinfo with password", "https://api.acme.example:443@evil.test/", false},
		{"userinfo on allowed host", "https://user:pass@api.acme.example/v1", false},
		{"ftp scheme", "ftp://api.acme.example/", false},
		{"websocket scheme", "wss://api.acme.example/", false},
		{"relative URL", "/v1/devices", false},
		{"empty host", "https:///v1/devices", false},
		{"opaque URL", "mailto:ops@api.acme.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, err := url.Parse(tt.target)
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", tt.target, err)
			}
			if got := allow.Allows(target); got != tt.want {
				t.Errorf("Allows(%q) = %v, want %v", tt.target, got, tt.want)
			}
		})
	}
}

func TestAllowlistHTTPOnlyForLoopback(t *testing.T) {
	allow, err := NewAllowlist("http://127.0.0.1:8080/v1", []string{
		"localhost:8080",
		"[::1]:8080",
		"127.0.0.2:8080",
		"files.acme.example:8080",
		"localhost.:8080",
	})
	if err != nil {
		t.Fatalf("NewAllowlist: %v", err)
	}

	tests := []struct {
		name   string
		target string
		want   bool
	}{
		{"IPv4 loopback base", "http://127.0.0.1:8080/v1", true},
		{"other IPv4 loopback", "http://127.0.0.2:8080/", true},
		{"localhost", "http://localhost:8080/", true},
		{"localhost upper case", "HTTP://LOCALHOST:8080/", true},
		{"IPv6 loopback", "http://[::1]:8080/", true},
		{"localhost trailing dot", "http://localhost.:8080/", false},
		{"other host over http", "http://files.acme.example:8080/", false},
		{"other host over https", "https://files.acme.example:8080/", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, err := url.Parse(tt.target)
			if err != nil {
				t.Fatalf("url.Parse(%q): %v", tt.target, err)
			}
			if got := allow.Allows(target); got != tt.want {
				t.Errorf("Allows(%q) = %v, want %v", tt.target, got, tt.want)
			}
		})
	}
}

func TestAllowlistCheckError(t *testing.T) {
	allow, err := NewAllowlist("https://api.acme.example/v1", []string{"files.acme.example"})
	if err != nil {
		t.Fatalf("NewAllowlist: %v", err)
	}

	tests := []struct {
		name        string
		target      *url.URL
		wantHost    string
		wantMessage string
	}{
		{
			name:        "host not on the list",
			target:      &url.URL{Scheme: "https", Host: "Evil.Test", Path: "/secret-path", RawQuery: "token=abc"},
			wantHost:    "evil.test:443",
			wantMessage: "host evil.test:443 is not allowed",
		},
		{
			name:        "http to allowed host",
			target:      &url.URL{Scheme: "http", Host: "files.acme.example", Path: "/secret-path", RawQuery: "token=abc"},
			wantHost:    "files.acme.example:80",
			wantMessage: "credentials are only sent over https",
		},
		{
			name:        "http to host on https port",
			target:      &url.URL{Scheme: "HTTP", Host: "api.acme.example:443", Path: "/secret-path", RawQuery: "token=abc"},
			wantHost:    "api.acme.example:443",
			wantMessage: "credentials are only sent over https",
		},
		{
			name:        "trailing dot",
			target:      &url.URL{Scheme: "https", Host: "files.acme.example.", Path: "/secret-path", RawQuery: "token=abc"},
			wantHost:    "files.acme.example.:443",
			wantMessage: "trailing dot",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := allow.Check(tt.target)

			var notAllowed *HostNotAllowedError
			if !errors.As(err, &notAllowed) {
				t.Fatalf("Check error %v is not a *HostNotAllowedError", err)
			}
			if !errors.Is(err, ErrHostNotAllowed) {
				t.Errorf("Check error %v does not wrap ErrHostNotAllowed", err)
			}
			if notAllowed.Host != tt.wantHost {
				t.Errorf("Host = %q, want %q", notAllowed.Host, tt.wantHost)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantMessage) {
				t.Errorf("message %q does not contain %q", msg, tt.wantMessage)
			}
			for _, hidden := range []string{"secret-path", "token=abc"} {
				if strings.Contains(msg, hidden) {
					t.Errorf("message %q contains %q", msg, hidden)
				}
			}
		})
	}
}

func TestAllowlistNil(t *testing.T) {
	var allow *Allowlist
	target := &url.URL{Scheme: "https", Host: "api.acme.example"}
	if allow.Allows(target) {
		t.Error("nil Allowlist allows a URL, want none")
	}
}

func TestAllowlistWithoutBaseURL(t *testing.T) {
	allow, err := NewAllowlist("", []string{"files.acme.example"})
	if err != nil {
		t.Fatalf("NewAllowlist: %v", err)
	}
	if !allow.Allows(&url.URL{Scheme: "https", Host: "files.acme.example"}) {
		t.Error("extra host not allowed")
	}
	if allow.Allows(&url.URL{Scheme: "https", Host: "api.acme.example"}) {
		t.Error("host outside the list allowed")
	}
}

func TestNewAllowlistRejectsInvalid(t *testing.T) {
	tests := []struct {
		name  string
		base  string
		extra []string
	}{
		{"base ftp scheme", "ftp://api.acme.example", nil},
		{"base without host", "https:///v1", nil},
		{"base relative", "/v1", nil},
		{"base with userinfo", "https://user:pass@api.acme.example/v1", nil},
		{"base with invalid port", "https://api.acme.example:99999/v1", nil},
		{"base unparsable", "https://api.acme.example:port/v1", nil},
		{"entry empty", "", []string{""}},
		{"entry with scheme", "", []string{"https://files.acme.example"}},
		{"entry with path", "", []string{"files.acme.example/upload"}},
		{"entry with userinfo", "", []string{"user@files.acme.example"}},
		{"entry wildcard", "", []string{"*.acme.example"}},
		{"entry with space", "", []string{"files.acme.example "}},
		{"entry port zero", "", []string{"files.acme.example:0"}},
		{"entry port too large", "", []string{"files.acme.example:65536"}},
		{"entry port not a number", "", []string{"files.acme.example:https"}},
		{"entry empty port", "", []string{"files.acme.example:"}},
		{"entry without host", "", []string{":443"}},
		{"entry IPv6 without brackets", "", []string{"2001:db8::1"}},
		{"entry IPv6 with zone", "", []string{"[fe80::1%eth0]"}},
		{"entry non-ASCII", "", []string{"bücher.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			allow, err := NewAllowlist(tt.base, tt.extra)
			if err == nil {
				t.Errorf("NewAllowlist(%q, %q) = %+v, want error", tt.base, tt.extra, allow)
			}
		})
	}
}
