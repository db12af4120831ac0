package connections_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

// connectedFixture returns a fixture whose developer has connected "Acme
// devices" (link name acme_devices) with the tokens at-secret-1 and
// rt-secret-1, which expire an hour after the fixture clock's reading.
func connectedFixture(t *testing.T) (*fixture, store.Connection) {
	t.Helper()
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices", "devices.read"))
	f.connect(t, f.developer, conn.LinkName)
	return f, conn
}

// untilRefresh is how far the clock moves after connecting for a token
// issued for an hour to fall within the default refresh skew.
const untilRefresh = time.Hour - connections.DefaultRefreshSkew

func (f *fixture) token(t *testing.T, link string) string {
	t.Helper()
	token, err := f.manager.Token(f.ctx, f.developer, link)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	return token.Value.Reveal()
}

func TestTokenRefreshWithinSkew(t *testing.T) {
	f, conn := connectedFixture(t)

	f.clock.Advance(untilRefresh - time.Second)
	if got := f.token(t, conn.LinkName); got != "at-secret-1" {
		t.Errorf("token before the skew = %q, want %q", got, "at-secret-1")
	}
	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != 0 {
		t.Errorf("provider received %d refresh requests before the skew, want 0", n)
	}

	f.clock.Advance(time.Second)
	if got := f.token(t, conn.LinkName); got != "at-secret-2" {
		t.Errorf("token within the skew = %q, want the refreshed %q", got, "at-secret-2")
	}

	refreshes := f.provider.tokenRequestsOf("refresh_token")
	if len(refreshes) != 1 {
		t.Fatalf("provider received %d refresh requests, want 1", len(refreshes))
	}
	if got := refreshes[0].form.Get("refresh_token"); got != "rt-secret-1" {
		t.Errorf("refresh request sent refresh token %q, want %q", got, "rt-secret-1")
	}
	if r := refreshes[0]; r.authMethod != catalog.ClientSecretBasic || r.clientID != testClientID || r.clientSecret != testClientSecret {
		t.Errorf("refresh client authentication = %s %q, want %s %q with the client secret",
			r.authMethod, r.clientID, catalog.ClientSecretBasic, testClientID)
	}
	cred := f.credential(t, conn, f.developer.UserID)
	if want := f.clock.Now().Add(time.Hour); !cred.Expiry.Equal(want) {
		t.Errorf("expiry after refresh = %v, want %v", cred.Expiry, want)
	}
	if !cred.RefreshedAt.Equal(f.clock.Now()) {
		t.Errorf("refreshed_at = %v, want %v", cred.RefreshedAt, f.clock.Now())
	}
}

func TestTokenConcurrentCallersShareRefresh(t *testing.T) {
	f, conn := connectedFixture(t)
	f.provider.setTokenDelay(100 * time.Millisecond)
	f.clock.Advance(untilRefresh)

	const callers = 20
	var wg sync.WaitGroup
	tokens := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			token, err := f.manager.Token(f.ctx, f.developer, conn.LinkName)
			tokens[i], errs[i] = token.Value.Reveal(), err
		})
	}
	wg.Wait()

	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != 1 {
		t.Errorf("provider received %d refresh requests from %d callers, want 1", n, callers)
	}
	for i := range callers {
		if errs[i] != nil {
			t.Errorf("caller %d: Token: %v", i, errs[i])
			continue
		}
		if tokens[i] != "at-secret-2" {
			t.Errorf("caller %d got token %q, want %q", i, tokens[i], "at-secret-2")
		}
	}
}

func TestRefreshTokenRotation(t *testing.T) {
	f, conn := connectedFixture(t)
	// The first refresh returns no refresh token, the second a new one.
	f.provider.setRespond(func(form url.Values, n int) providerResponse {
		resp := issueTokens(form, n)
		if n == 2 {
			delete(resp.body, "refresh_token")
		}
		return resp
	})

	var sent []string
	for range 3 {
		f.clock.Advance(untilRefresh)
		f.token(t, conn.LinkName)
		refreshes := f.provider.tokenRequestsOf("refresh_token")
		sent = append(sent, refreshes[len(refreshes)-1].form.Get("refresh_token"))
	}

	// Request 1 was the code exchange (rt-secret-1), request 2 the refresh
	// without a refresh token, request 3 the refresh that issued rt-secret-3.
	want := []string{"rt-secret-1", "rt-secret-1", "rt-secret-3"}
	for i := range want {
		if sent[i] != want[i] {
			t.Errorf("refresh %d sent refresh token %q, want %q", i+1, sent[i], want[i])
		}
	}
}

func TestRefreshInvalidGrant(t *testing.T) {
	f, conn := connectedFixture(t)
	f.provider.setRespond(func(url.Values, int) providerResponse {
		return providerResponse{status: http.StatusBadRequest, body: map[string]any{
			"error": "invalid_grant", "error_description": "refresh token revoked by the user",
		}}
	})
	f.clock.Advance(untilRefresh)

	_, err := f.manager.Token(f.ctx, f.developer, conn.LinkName)

	p := f.wantProblem(t, err, http.StatusConflict, "connection_needs_reauth")
	if p.Extra["connect_url"] == nil {
		t.Errorf("problem has no connect_url")
	}
	cred := f.credential(t, conn, f.developer.UserID)
	if cred.Status != store.StatusNeedsReauth {
		t.Errorf("status = %q, want %q", cred.Status, store.StatusNeedsReauth)
	}
	if cred.LastErrorClass != connections.ErrorClassPermanent {
		t.Errorf("last error class = %q, want %q", cred.LastErrorClass, connections.ErrorClassPermanent)
	}
	if !strings.Contains(cred.LastError, "invalid_grant") {
		t.Errorf("last error = %q, want it to name invalid_grant", cred.LastError)
	}

	_, err = f.manager.Token(f.ctx, f.developer, conn.LinkName)
	f.wantProblem(t, err, http.StatusConflict, "connection_needs_reauth")
	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != 1 {
		t.Errorf("provider received %d refresh requests, want 1: a credential that needs reauthorization is not refreshed", n)
	}
	summary, err := f.manager.Describe(f.ctx, f.developer, conn)
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if summary.Status != store.StatusNeedsReauth {
		t.Errorf("described status = %q, want %q", summary.Status, store.StatusNeedsReauth)
	}
}

func TestRefreshTransientFailure(t *testing.T) {
	f, conn := connectedFixture(t)
	f.provider.setRespond(func(url.Values, int) providerResponse {
		return providerResponse{status: http.StatusServiceUnavailable}
	})
	f.clock.Advance(untilRefresh)

	_, err := f.manager.Token(f.ctx, f.developer, conn.LinkName)

	f.wantProblem(t, err, http.StatusBadGateway, "token_refresh_failed")
	cred := f.credential(t, conn, f.developer.UserID)
	if cred.Status != store.StatusConnected {
		t.Errorf("status = %q, want %q", cred.Status, store.StatusConnected)
	}
	if cred.LastErrorClass != connections.ErrorClassTransient {
		t.Errorf("last error class = %q, want %q", cred.LastErrorClass, connections.ErrorClassTransient)
	}
	if cred.LastError == "" {
		t.Errorf("last error is empty, want the failure recorded")
	}

	f.provider.setRespond(issueTokens)
	if got := f.token(t, conn.LinkName); got != "at-secret-3" {
		t.Errorf("token after recovery = %q, want %q", got, "at-secret-3")
	}

	cred = f.credential(t, conn, f.developer.UserID)
	if cred.LastError != "" || cred.LastErrorClass != "" || !cred.LastErrorAt.IsZero() {
		t.Errorf("last error after a successful refresh = %q (%q at %v), want it cleared",
			cred.LastError, cred.LastErrorClass, cred.LastErrorAt)
	}
}

func TestRefreshWithoutRefreshToken(t *testing.T) {
	f := newFixture(t)
	f.provider.setRespond(func(form url.Values, n int) providerResponse {
		resp := issueTokens(form, n)
		delete(resp.body, "refresh_token")
		return resp
	})
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
	f.connect(t, f.developer, conn.LinkName)
	f.clock.Advance(untilRefresh)

	_, err := f.manager.Token(f.ctx, f.developer, conn.LinkName)

	f.wantProblem(t, err, http.StatusConflict, "connection_needs_reauth")
	if n := len(f.provider.tokenRequestsOf("refresh_token")); n != 0 {
		t.Errorf("provider received %d refresh requests, want 0", n)
	}
	cred := f.credential(t, conn, f.developer.UserID)
	if cred.Status != store.StatusNeedsReauth {
		t.Errorf("status = %q, want %q", cred.Status, store.StatusNeedsReauth)
	}
}

func TestTokenNotConnected(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
	shared := connectionInput("Shared devices")
	shared.UseLoginUserCredentials = ptr(true)
	sharedConn := f.createConnection(t, f.developer, shared)
	f.connect(t, f.developer, sharedConn.LinkName)

	_, err := f.manager.Token(f.ctx, f.developer, conn.LinkName)
	f.wantProblem(t, err, http.StatusConflict, "connection_not_connected")

	_, err = f.manager.Token(f.ctx, f.otherDeveloper, sharedConn.LinkName)
	p := f.wantProblem(t, err, http.StatusConflict, "authorization_required")
	if p.Extra["connect_url"] != testPublicURL+"/v1/connections/shared_devices/connect" {
		t.Errorf("connect_url = %v, want %q", p.Extra["connect_url"], testPublicURL+"/v1/connections/shared_devices/connect")
	}
}

func TestNoSecretInProviderError(t *testing.T) {
	// The provider echoes every token it receives and the client secret in
	// its error description. Errors, the stored last error and the logs
	// (checked when the fixture closes) must not repeat them.
	echo := func(form url.Values) map[string]any {
		return map[string]any{
			"error": "invalid_grant",
			"error_description": "token " + form.Get("refresh_token") + form.Get("code") + form.Get("code_verifier") +
				form.Get("token") + " rejected for client secret " + testClientSecret,
		}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, f *fixture, conn store.Connection)
	}{
		{"code exchange", func(t *testing.T, f *fixture, conn store.Connection) {
			f.provider.setRespond(func(form url.Values, _ int) providerResponse {
				return providerResponse{status: http.StatusBadRequest, body: echo(form)}
			})
			state := f.authorize(t, f.developer, conn.LinkName, "").Get("state")

			_, err := f.manager.CompleteAuthorization(f.ctx, state, "code-secret", "", "", nil)

			f.wantProblem(t, err, http.StatusBadGateway, "token_exchange_failed")
			verifier := f.provider.tokenRequestsOf("authorization_code")[0].form.Get("code_verifier")
			for _, secret := range []string{"code-secret", verifier} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error text contains the code or code verifier %q: %s", secret, err)
				}
			}
		}},
		{"refresh", func(t *testing.T, f *fixture, conn store.Connection) {
			f.connect(t, f.developer, conn.LinkName)
			f.provider.setRespond(func(form url.Values, _ int) providerResponse {
				return providerResponse{status: http.StatusBadRequest, body: echo(form)}
			})
			f.clock.Advance(untilRefresh)

			_, err := f.manager.Token(f.ctx, f.developer, conn.LinkName)

			f.wantProblem(t, err, http.StatusConflict, "connection_needs_reauth")
			cred := f.credential(t, conn, f.developer.UserID)
			f.checkNoSecret(t, "last error", cred.LastError)
			summary, err := f.manager.Describe(f.ctx, f.viewer, conn)
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			f.checkNoSecret(t, "described last error", summary.LastError)
		}},
		{"revocation", func(t *testing.T, f *fixture, conn store.Connection) {
			f.connect(t, f.developer, conn.LinkName)
			f.provider.setRevokeRespond(func(form url.Values) providerResponse {
				return providerResponse{status: http.StatusBadRequest, body: echo(form)}
			})

			result, err := f.manager.Revoke(f.ctx, f.developer, conn.LinkName)
			if err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if result.ProviderRevoked {
				t.Errorf("ProviderRevoked = true, want false after a 400")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
			tt.run(t, f, conn)
		})
	}
}
