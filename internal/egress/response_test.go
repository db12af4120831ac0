package egress

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// hijackUpstream starts an upstream that writes raw onto the connection of
// every request, as a faulty or malicious server can. With echo set it
// then sends back whatever the caller sends, as a tunnel would; otherwise
// it closes the connection.
func hijackUpstream(t *testing.T, raw string, echo bool) *upstream {
	t.Helper()
	return newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijacking: %v", err)
			return
		}
		defer conn.Close()
		// A test that fails by letting a tunnel through ends here.
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		_, _ = buf.WriteString(raw)
		_ = buf.Flush()
		if echo {
			_, _ = io.Copy(conn, bufio.NewReader(conn))
		}
	})
}

const switchProtocols = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n"

func TestProxyRejectsUnrequestedSwitch(t *testing.T) {
	up := hijackUpstream(t, switchProtocols, true)
	front := newProxyFront(t, newTestSender(t, true), up, allowlistFor(t, up), newFakeAuthorizer())
	client := front.client()
	// A tunnel that was let through would keep the request open.
	client.Timeout = 5 * time.Second

	resp, err := client.Get(front.URL + "/v1/tunnel")
	if err != nil {
		t.Fatalf("GET through the proxy: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status = %d, want 502 from the front's error path", resp.StatusCode)
	}
	errs := front.proxyErrors()
	if len(errs) != 1 || !errors.Is(errs[0], ErrInvalidResponse) {
		t.Fatalf("proxy errors = %v, want one wrapping ErrInvalidResponse", errs)
	}
	if !strings.Contains(errs[0].Error(), "101 Switching Protocols") {
		t.Errorf("error = %q, want it to name the 101", errs[0])
	}
}

func TestDoRejectsUnrequestedSwitch(t *testing.T) {
	up := hijackUpstream(t, switchProtocols, true)
	_, err := newTestSender(t, true).Do(t.Context(), &Request{URL: up.URL + "/v1/tunnel"}, allowlistFor(t, up), newFakeAuthorizer())
	if !errors.Is(err, ErrInvalidResponse) {
		t.Errorf("Do() error = %v, want ErrInvalidResponse", err)
	}
}

func TestProxyRejectsHugeHeaders(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.Header().Set("X-Big", strings.Repeat("b", MaxResponseHeaderBytes+1))
		w.WriteHeader(http.StatusOK)
	})
	front := newProxyFront(t, newTestSender(t, true), up, allowlistFor(t, up), newFakeAuthorizer())

	resp, err := front.client().Get(front.URL + "/v1/items")
	if err != nil {
		t.Fatalf("GET through the proxy: %v", err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Big"); got != "" {
		t.Errorf("X-Big reached the caller with %d bytes, want it dropped", len(got))
	}
	errs := front.proxyErrors()
	if len(errs) != 1 || !errors.Is(errs[0], ErrInvalidResponse) {
		t.Fatalf("proxy errors = %v, want one wrapping ErrInvalidResponse", errs)
	}
}

func TestDoRejectsTruncatedBody(t *testing.T) {
	up := hijackUpstream(t, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", false)
	_, err := newTestSender(t, true).Do(t.Context(), &Request{URL: up.URL + "/v1/items"}, allowlistFor(t, up), newFakeAuthorizer())
	if !errors.Is(err, ErrInvalidResponse) {
		t.Errorf("Do() error = %v, want ErrInvalidResponse", err)
	}
}

func TestDoStopsRedirectLoop(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ int, _ string) {
		http.Redirect(w, r, "/v1/again", http.StatusFound)
	})
	_, err := newTestSender(t, true).Do(t.Context(), &Request{URL: up.URL + "/v1/start"}, allowlistFor(t, up), newFakeAuthorizer())
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Errorf("Do() error = %v, want ErrTooManyRedirects", err)
	}
}
