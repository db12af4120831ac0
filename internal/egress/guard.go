package egress

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Dial settings of http.DefaultTransport as of Go 1.26.
const (
	defaultDialTimeout = 30 * time.Second
	defaultKeepAlive   = 30 * time.Second
)

// TransportOptions configures NewTransport.
type TransportOptions struct {
	// AllowPrivate turns the egress guard off, so private and loopback
	// destinations can be reached. The --allow-private-egress flag sets it,
	// for development and tests.
	AllowPrivate bool

	// DialTimeout bounds the connection to one address. Zero means 30 seconds.
	DialTimeout time.Duration

	// ResponseHeaderTimeout bounds the wait for the response headers after
	// the request has been written. Zero means no limit.
	ResponseHeaderTimeout time.Duration

	// StandIns maps "host:port" to the loopback address that serves it,
	// and RootCAs adds the certificate authorities that stand-ins present.
	// Tests set them to play a provider's real hosts, such as
	// accounts.zoho.eu:443, on 127.0.0.1. The server's flags never set them.
	StandIns map[string]string
	RootCAs  *x509.CertPool

	// SelfHost is the "host:port" of the instance's public URL, which the
	// guard lets through whatever address it resolves to, so that calls
	// through the plugboard service reach the instance itself. Every other
	// destination is still guarded. SelfHostPort returns it for a URL.
	SelfHost string
}

// SelfHostPort returns the "host:port" that a dial to publicURL names,
// with the scheme's default port when the URL has none.
func SelfHostPort(publicURL string) (string, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("public URL %q has no host", publicURL)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port), nil
}

// NewTransport returns a transport with the settings of http.DefaultTransport
// (Go 1.26), except that it uses no proxy and its dialer runs the egress
// guard. The guard checks every IP address the dialer is about to connect to,
// after DNS resolution, so a host name that resolves to a private address is
// blocked as well, on the first request and on every redirect. A blocked dial
// fails with a *BlockedAddressError.
//
// The transport is built field by field rather than cloned from
// http.DefaultTransport, so a program that changes the default transport
// cannot bring in a dial function that bypasses the guard.
func NewTransport(opts TransportOptions) *http.Transport {
	dialer := &net.Dialer{
		Timeout:   opts.DialTimeout,
		KeepAlive: defaultKeepAlive,
	}
	if dialer.Timeout == 0 {
		dialer.Timeout = defaultDialTimeout
	}
	dial := dialer.DialContext
	if !opts.AllowPrivate {
		guarded := *dialer
		guarded.Control = guardControl
		dial = guarded.DialContext
		if opts.SelfHost != "" {
			self := opts.SelfHost
			dial = func(ctx context.Context, network, address string) (net.Conn, error) {
				if strings.EqualFold(address, self) {
					return dialer.DialContext(ctx, network, address)
				}
				return guarded.DialContext(ctx, network, address)
			}
		}
	}
	if len(opts.StandIns) > 0 {
		next := dial
		dial = func(ctx context.Context, network, address string) (net.Conn, error) {
			if standIn, ok := opts.StandIns[address]; ok {
				address = standIn
			}
			return next(ctx, network, address)
		}
	}
	var tlsConfig *tls.Config
	if opts.RootCAs != nil {
		tlsConfig = &tls.Config{RootCAs: opts.RootCAs}
	}

	return &http.Transport{
		// Proxy stays nil: an environment-configured proxy would receive
		// every request, credentials included.
		Proxy:             nil,
		DialContext:       dial,
		TLSClientConfig:   tlsConfig,
		ForceAttemptHTTP2: true,
		MaxIdleConns:      100,
		// Calls through one service go to few hosts, so keep more idle
		// connections per host than the default two.
		MaxIdleConnsPerHost:    32,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  1 * time.Second,
		ResponseHeaderTimeout:  opts.ResponseHeaderTimeout,
		MaxResponseHeaderBytes: MaxResponseHeaderBytes,
	}
}

// MaxResponseHeaderBytes bounds the response headers that the egress
// transport reads from an upstream, a tenth of net/http's default of
// 10 MiB, so that one response cannot make plugboard hold and relay
// megabytes of headers.
const MaxResponseHeaderBytes = 1 << 20

// guardControl is a net.Dialer Control function. It runs after DNS
// resolution, just before connect, with the literal IP address and port.
func guardControl(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		// The dialer always passes "ip:port"; anything else is blocked
		// rather than guessed at.
		return &BlockedAddressError{Address: address}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || isBlockedAddress(ip) {
		return &BlockedAddressError{Address: address}
	}
	return nil
}

// isBlockedAddress reports whether ip is an address the egress guard blocks:
// loopback, private (RFC 1918), link-local, unique-local (fc00::/7), IPv6
// site-local (fec0::/10), unspecified, 0.0.0.0/8, multicast, the IPv4
// broadcast address or carrier-grade NAT (100.64.0.0/10). IPv4-mapped IPv6
// addresses and addresses in the NAT64 prefix 64:ff9b::/96 (RFC 6052) are
// judged by the IPv4 address they carry.
func isBlockedAddress(ip netip.Addr) bool {
	ip = ip.WithZone("").Unmap()
	if v4, ok := nat64Embedded(ip); ok {
		ip = v4
	}
	if !ip.IsValid() {
		return true
	}

	if ip.IsUnspecified() || ip.IsLoopback() || ip.IsPrivate() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return true
	}

	if ip.Is4() {
		b := ip.As4()
		switch {
		case b[0] == 0: // 0.0.0.0/8, "this network" (RFC 1122)
			return true
		case b[0] == 100 && b[1]&0xc0 == 64: // 100.64.0.0/10, carrier-grade NAT (RFC 6598)
			return true
		case b == [4]byte{255, 255, 255, 255}:
			return true
		}
		return false
	}

	b := ip.As16()
	return b[0] == 0xfe && b[1]&0xc0 == 0xc0 // fec0::/10, deprecated site-local
}

// nat64Embedded returns the IPv4 address inside an address of the NAT64
// well-known prefix 64:ff9b::/96, where a NAT64 gateway would connect.
func nat64Embedded(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	prefix := [12]byte{0x00, 0x64, 0xff, 0x9b}
	if [12]byte(b[:12]) != prefix {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte(b[12:])), true
}
