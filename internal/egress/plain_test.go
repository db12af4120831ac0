package egress

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
)

func TestDoWithoutCredentialSendsNoCredential(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	req := &Request{Method: "GET", URL: up.URL + "/public", Headers: map[string]string{"Authorization": "Bearer caller", "X-Tag": "kept"}}

	resp, err := newTestSender(t, true).DoWithoutCredential(t.Context(), req)
	if err != nil {
		t.Fatalf("DoWithoutCredential: %v", err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("StatusCode = %d, want the upstream's 401", resp.StatusCode)
	}
	got := up.recorded()
	if len(got) != 1 {
		t.Fatalf("upstream got %d requests, want 1 because a 401 is not retried", len(got))
	}
	if v := got[0].Header.Get("Authorization"); v != "" {
		t.Errorf("Authorization = %q, want none", v)
	}
	if v := got[0].Header.Get("X-Tag"); v != "kept" {
		t.Errorf("X-Tag = %q, want kept", v)
	}
}

func TestDoWithoutCredentialGuarded(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int, _ string) {})
	_, err := newTestSender(t, false).DoWithoutCredential(t.Context(), &Request{URL: up.URL + "/public"})
	if !errors.Is(err, ErrBlockedAddress) {
		t.Errorf("error = %v, want ErrBlockedAddress", err)
	}
	if got := up.recorded(); len(got) != 0 {
		t.Errorf("upstream got %d requests, want none", len(got))
	}
}

func TestAnyHostAllowlist(t *testing.T) {
	for _, raw := range []string{"http://api.acme.example/x", "https://api.acme.example:8443/x", "http://127.0.0.1:9/x"} {
		u, _ := url.Parse(raw)
		if err := anyHost.Check(u); err != nil {
			t.Errorf("anyHost.Check(%s) = %v, want nil", raw, err)
		}
	}
	for _, raw := range []string{"ftp://api.acme.example/x", "https://user:pw@api.acme.example/x"} {
		u, _ := url.Parse(raw)
		if err := anyHost.Check(u); !errors.Is(err, ErrHostNotAllowed) {
			t.Errorf("anyHost.Check(%s) = %v, want ErrHostNotAllowed", raw, err)
		}
	}

	// A service's allow-list still rejects hosts it does not list.
	service, err := NewAllowlist("https://api.acme.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := url.Parse("https://other.example/x")
	if err := service.Check(other); !errors.Is(err, ErrHostNotAllowed) {
		t.Errorf("service allow-list Check(other) = %v, want ErrHostNotAllowed", err)
	}
}
