package connections_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/egress"
)

func TestReconnectWithoutRefreshTokenKeepsOld(t *testing.T) {
	f, conn := connectedFixture(t)
	f.provider.setRespond(func(_ url.Values, n int) providerResponse {
		return providerResponse{status: http.StatusOK, body: map[string]any{
			"access_token": fmt.Sprintf("at-secret-%d", n), "token_type": "Bearer", "expires_in": 3600,
		}}
	})
	f.connect(t, f.developer, conn.LinkName)

	f.clock.Advance(untilRefresh)
	f.token(t, conn.LinkName)
	refreshes := f.provider.tokenRequestsOf("refresh_token")
	if len(refreshes) != 1 || refreshes[0].form.Get("refresh_token") != "rt-secret-1" {
		t.Errorf("refresh after a reconnect without a refresh token sent %v, want the first connect's rt-secret-1", refreshes)
	}
}

func TestRotationFiveCyclesUseNewest(t *testing.T) {
	f, conn := connectedFixture(t)
	for cycle := 2; cycle <= 6; cycle++ {
		f.clock.Advance(untilRefresh)
		if got := f.token(t, conn.LinkName); got != fmt.Sprintf("at-secret-%d", cycle) {
			t.Fatalf("cycle %d: token %q, want at-secret-%d", cycle, got, cycle)
		}
	}
	refreshes := f.provider.tokenRequestsOf("refresh_token")
	if len(refreshes) != 5 {
		t.Fatalf("provider received %d refreshes, want 5", len(refreshes))
	}
	for i, r := range refreshes {
		// The provider accepts each refresh token once: refresh i must
		// carry the token issued by the request before it.
		if want := fmt.Sprintf("rt-secret-%d", i+1); r.form.Get("refresh_token") != want {
			t.Errorf("refresh %d sent %q, want the newest %q", i+1, r.form.Get("refresh_token"), want)
		}
	}
}

func TestSalesforceStyleRefreshKeepsTokenAndInstance(t *testing.T) {
	f := newFixture(t, func(s *catalog.Service) {
		s.APIBaseURLExtra = "instance_url"
		s.DefaultTokenLifetime = catalog.Duration(2 * time.Hour)
	})
	f.provider.setRespond(func(_ url.Values, n int) providerResponse {
		body := map[string]any{"access_token": fmt.Sprintf("at-secret-%d", n), "token_type": "Bearer",
			"instance_url": fmt.Sprintf("https://na%d.salesforce.example", n)}
		if n == 1 {
			body["refresh_token"] = "rt-secret-1"
		}
		return providerResponse{status: http.StatusOK, body: body}
	})
	conn := f.createConnection(t, f.developer, connectionInput("Salesforce", "devices.read"))
	f.connect(t, f.developer, conn.LinkName)
	f.clock.Advance(2*time.Hour - time.Second)
	f.token(t, conn.LinkName)

	cred := f.credential(t, conn, f.developer.UserID)
	if cred.RefreshTokenSealed == "" {
		t.Fatal("refresh token lost after a response without one")
	}
	if !cred.Expiry.Equal(f.clock.Now().Add(2 * time.Hour)) {
		t.Errorf("expiry = %v, want the default 2h from the refresh", cred.Expiry)
	}
	if got := cred.Extras["instance_url"]; got != "https://na2.salesforce.example" {
		t.Errorf("instance_url = %v, want the refresh response's", got)
	}
	f.clock.Advance(2 * time.Hour)
	f.token(t, conn.LinkName)
	if r := f.provider.tokenRequestsOf("refresh_token"); len(r) != 2 || r[1].form.Get("refresh_token") != "rt-secret-1" {
		t.Errorf("second refresh = %v, want the kept rt-secret-1", r)
	}
}

func TestSlackUserTokenFromNestedObject(t *testing.T) {
	f := newFixture(t, func(s *catalog.Service) { s.OAuth2.TokenPath = "authed_user" })
	api := newAPIServer(t)
	f.provider.setRespond(func(url.Values, int) providerResponse {
		return providerResponse{status: http.StatusOK, body: map[string]any{
			"ok": true, "app_id": "A1", "team": map[string]any{"id": "T1"},
			"authed_user": map[string]any{"id": "U1", "scope": "devices.read", "access_token": "xoxp-user-0123456789", "token_type": "user"},
		}}
	})
	if _, err := f.manager.UpdateService(f.ctx, f.admin, testServiceKey, func(s *catalog.Service) error {
		s.APIBaseURL = api.server.URL
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	conn := f.createConnection(t, f.developer, connectionInput("Slack", "devices.read"))
	f.connect(t, f.developer, conn.LinkName)

	call, err := f.manager.PrepareCall(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatal(err)
	}
	sender := egress.NewSender(egress.TransportOptions{AllowPrivate: true}, slog.New(slog.DiscardHandler))
	target, _ := call.Resolve("/chat.postMessage")
	if _, err := sender.Do(f.ctx, &egress.Request{Method: "POST", URL: target.String()}, call.Allowlist, call.Authorizer); err != nil {
		t.Fatal(err)
	}
	if len(api.auth) != 1 || api.auth[0] != "Bearer xoxp-user-0123456789" {
		t.Errorf("API received %v, want the nested user token", api.auth)
	}
}

func TestConcurrentProxiedCallsShareOneRefresh(t *testing.T) {
	var requests atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.Header.Get("Authorization") != "Bearer at-secret-2" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte("ok"))
	}))
	t.Cleanup(upstream.Close)
	f := newFixture(t, func(s *catalog.Service) { s.APIBaseURL = upstream.URL })
	conn := f.createConnection(t, f.developer, connectionInput("Devices", "devices.read"))
	f.connect(t, f.developer, conn.LinkName)
	f.provider.setTokenDelay(100 * time.Millisecond)
	f.clock.Advance(untilRefresh)

	sender := egress.NewSender(egress.TransportOptions{AllowPrivate: true}, slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	statuses := make([]int, 50)
	for i := range statuses {
		wg.Go(func() {
			call, err := f.manager.PrepareCall(f.ctx, f.developer, conn.LinkName)
			if err != nil {
				t.Error(err)
				return
			}
			target, _ := call.Resolve("/devices")
			resp, err := sender.Do(f.ctx, &egress.Request{Method: "GET", URL: target.String()}, call.Allowlist, call.Authorizer)
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != 1 {
		t.Errorf("50 concurrent calls caused %d refreshes, want 1", n)
	}
	for i, s := range statuses {
		if s != http.StatusOK {
			t.Errorf("call %d: status %d, want 200", i, s)
		}
	}
}

func TestUpstream401ForeverRefreshesOnce(t *testing.T) {
	var requests atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	t.Cleanup(upstream.Close)
	f := newFixture(t, func(s *catalog.Service) { s.APIBaseURL = upstream.URL })
	conn := f.createConnection(t, f.developer, connectionInput("Devices", "devices.read"))
	f.connect(t, f.developer, conn.LinkName)

	call, err := f.manager.PrepareCall(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatal(err)
	}
	sender := egress.NewSender(egress.TransportOptions{AllowPrivate: true}, slog.New(slog.DiscardHandler))
	target, _ := call.Resolve("/devices")
	resp, err := sender.Do(f.ctx, &egress.Request{Method: "GET", URL: target.String()}, call.Allowlist, call.Authorizer)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want the upstream's 401 back", resp.StatusCode)
	}
	if n := requests.Load(); n != 2 {
		t.Errorf("upstream received %d requests, want 2: the call and one retry", n)
	}
	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != 1 {
		t.Errorf("provider received %d refreshes, want 1", n)
	}
}
