package egress

import (
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestIsBlockedAddress(t *testing.T) {
	// Classification only: none of these addresses is dialed.
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"10.0.0.1", true},
		{"10.255.255.255", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"172.32.0.1", false},
		{"192.168.1.1", true},
		{"169.254.169.254", true},
		{"169.254.0.1", true},
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"fd00::1", true},
		{"fc00::1", true},
		{"fec0::1", true},
		{"0.0.0.0", true},
		{"0.1.2.3", true},
		{"::", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"ff02::1", true},
		{"255.255.255.255", true},
		{"100.64.0.1", true},
		{"100.127.255.255", true},
		{"100.63.255.255", false},
		{"100.128.0.1", false},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::ffff:100.64.0.1", true},
		{"64:ff9b::a00:1", true},     // NAT64 of 10.0.0.1
		{"64:ff9b::a9fe:a9fe", true}, // NAT64 of 169.254.169.254
		{"64:ff9b::808:808", false},  // NAT64 of 8.8.8.8
		{"8.8.8.8", false},
		{"203.0.113.10", false},
		{"::ffff:8.8.8.8", false},
		{"2001:4860:4860::8888", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.addr)
			if got := isBlockedAddress(ip); got != tt.want {
				t.Errorf("isBlockedAddress(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestGuardControl(t *testing.T) {
	tests := []struct {
		address string
		blocked bool
	}{
		{"127.0.0.1:80", true},
		{"[::ffff:127.0.0.1]:443", true},
		{"[fe80::1%eth0]:80", true},
		{"169.254.169.254:80", true},
		{"8.8.8.8:443", false},
		{"[2001:4860:4860::8888]:443", false},
		{"not-an-address", true},
		{"example.test:443", true},
	}
	for _, tt := range tests {
		t.Run(tt.address, func(t *testing.T) {
			err := guardControl("tcp", tt.address, nil)
			if got := err != nil; got != tt.blocked {
				t.Fatalf("guardControl(%q) = %v, want blocked %v", tt.address, err, tt.blocked)
			}
			if tt.blocked && !errors.Is(err, ErrBlockedAddress) {
				t.Errorf("error %v does not wrap ErrBlockedAddress", err)
			}
		})
	}
}

func TestNewTransportGuardsLoopback(t *testing.T) {
	tests := []struct {
		name         string
		allowPrivate bool
		wantBlocked  bool
	}{
		{"guard on", false, true},
		{"private egress allowed", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
				w.WriteHeader(http.StatusNoContent)
			})
			transport := NewTransport(TransportOptions{AllowPrivate: tt.allowPrivate})
			t.Cleanup(transport.CloseIdleConnections)
			client := &http.Client{Transport: transport}

			resp, err := client.Get(up.URL)
			if !tt.wantBlocked {
				if err != nil {
					t.Fatalf("GET: %v", err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusNoContent {
					t.Errorf("status = %d, want %d", resp.StatusCode, http.StatusNoContent)
				}
				if got := up.conns.Load(); got != 1 {
					t.Errorf("upstream connections = %d, want 1", got)
				}
				return
			}

			if err == nil {
				resp.Body.Close()
				t.Fatal("GET succeeded, want blocked")
			}
			var blocked *BlockedAddressError
			if !errors.As(err, &blocked) {
				t.Fatalf("error %v is not a *BlockedAddressError", err)
			}
			if blocked.Address != up.hostPort() {
				t.Errorf("Address = %q, want %q", blocked.Address, up.hostPort())
			}
			if !errors.Is(err, ErrBlockedAddress) {
				t.Errorf("error %v does not wrap ErrBlockedAddress", err)
			}
			if !strings.Contains(err.Error(), "--allow-private-egress") {
				t.Errorf("error %q does not name --allow-private-egress", err)
			}
			if got := up.conns.Load(); got != 0 {
				t.Errorf("upstream connections = %d, want 0", got)
			}
		})
	}
}

func TestNewTransportUsesNoProxy(t *testing.T) {
	transport := NewTransport(TransportOptions{})
	if transport.Proxy != nil {
		t.Error("Proxy is set; credentials could go to an environment-configured proxy")
	}
}
