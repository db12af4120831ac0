package egress

import (
	"errors"
	"net/http"
	"testing"
)

func TestNewTransportLetsSelfHostThrough(t *testing.T) {
	self := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusNoContent)
	})
	other := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusNoContent)
	})
	selfHost, err := SelfHostPort(self.URL)
	if err != nil {
		t.Fatalf("SelfHostPort(%q) error = %v", self.URL, err)
	}
	transport := NewTransport(TransportOptions{SelfHost: selfHost})
	t.Cleanup(transport.CloseIdleConnections)
	client := &http.Client{Transport: transport}

	resp, err := client.Get(self.URL)
	if err != nil {
		t.Fatalf("GET of the self host: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("status = %d, want %d", resp.StatusCode, http.StatusNoContent)
	}

	resp, err = client.Get(other.URL)
	if err == nil {
		resp.Body.Close()
		t.Fatal("GET of another loopback port succeeded, want blocked")
	}
	var blocked *BlockedAddressError
	if !errors.As(err, &blocked) {
		t.Errorf("error %v is not a *BlockedAddressError", err)
	}
	if got := other.conns.Load(); got != 0 {
		t.Errorf("connections to the other port = %d, want 0", got)
	}
}

func TestSelfHostPort(t *testing.T) {
	tests := []struct{ publicURL, want string }{
		{"http://127.0.0.1:8080", "127.0.0.1:8080"},
		{"https://Plugboard.example", "plugboard.example:443"},
		{"http://plugboard.example/base", "plugboard.example:80"},
		{"http://[::1]:9000", "[::1]:9000"},
	}
	for _, tt := range tests {
		got, err := SelfHostPort(tt.publicURL)
		if err != nil {
			t.Errorf("SelfHostPort(%q) error = %v", tt.publicURL, err)
			continue
		}
		if got != tt.want {
			t.Errorf("SelfHostPort(%q) = %q, want %q", tt.publicURL, got, tt.want)
		}
	}
	if _, err := SelfHostPort("not a url"); err == nil {
		t.Error(`SelfHostPort("not a url") error = nil, want an error`)
	}
}
