package connections_test

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

func TestConnectAuthorizationRequest(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices", "devices.read", "devices.write"))

	result, err := f.manager.Connect(f.ctx, f.developer, conn.LinkName, "/connections/acme_devices", nil)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}

	authURL, err := url.Parse(result.AuthorizationURL)
	if err != nil {
		t.Fatalf("parsing authorization URL: %v", err)
	}
	if got, want := authURL.Scheme+"://"+authURL.Host+authURL.Path, f.provider.server.URL+"/authorize"; got != want {
		t.Errorf("authorization endpoint = %q, want %q", got, want)
	}
	query := authURL.Query()
	wantParams := map[string]string{
		"response_type":         "code",
		"client_id":             testClientID,
		"redirect_uri":          testPublicURL + "/oauth/callback",
		"scope":                 "devices.read devices.write",
		"code_challenge_method": "S256",
	}
	for name, want := range wantParams {
		if got := query.Get(name); got != want {
			t.Errorf("authorization URL parameter %s = %q, want %q", name, got, want)
		}
	}
	state := query.Get("state")
	random, ok := strings.CutPrefix(state, testOrgID+".")
	if !ok {
		t.Errorf("state %q does not start with the org ID %q", state, testOrgID+".")
	}
	if len(random) != 43 {
		t.Errorf("random part of the state is %d characters long, want 43 (32 bytes, base64url)", len(random))
	}
	challenge := query.Get("code_challenge")
	if challenge == "" {
		t.Fatalf("authorization URL has no code_challenge")
	}

	callback, err := f.manager.CompleteAuthorization(f.ctx, state, "code-1", "", "", nil)
	if err != nil {
		t.Fatalf("CompleteAuthorization: %v", err)
	}

	if callback.LinkName != conn.LinkName || callback.ReturnTo != "/connections/acme_devices" {
		t.Errorf("callback result = %+v, want link name %q and return_to /connections/acme_devices", callback, conn.LinkName)
	}
	exchanges := f.provider.tokenRequestsOf("authorization_code")
	if len(exchanges) != 1 {
		t.Fatalf("provider received %d code exchanges, want 1", len(exchanges))
	}
	exchange := exchanges[0]
	if got := exchange.form.Get("code"); got != "code-1" {
		t.Errorf("exchanged code = %q, want %q", got, "code-1")
	}
	if got, want := exchange.form.Get("redirect_uri"), testPublicURL+"/oauth/callback"; got != want {
		t.Errorf("exchange redirect_uri = %q, want %q", got, want)
	}
	verifier := exchange.form.Get("code_verifier")
	if verifier == "" {
		t.Errorf("code exchange has no code_verifier")
	} else if got := challengeOf(verifier); got != challenge {
		t.Errorf("S256 of the code_verifier = %q, want the code_challenge %q", got, challenge)
	}
	if exchange.authMethod != catalog.ClientSecretBasic || exchange.clientID != testClientID || exchange.clientSecret != testClientSecret {
		t.Errorf("exchange client authentication = %s %q, want %s %q with the client secret",
			exchange.authMethod, exchange.clientID, catalog.ClientSecretBasic, testClientID)
	}

	cred := f.credential(t, conn, f.developer.UserID)
	if cred.Status != store.StatusConnected {
		t.Errorf("credential status = %q, want %q", cred.Status, store.StatusConnected)
	}
	if want := []string{"devices.read", "devices.write"}; !slices.Equal(cred.GrantedScopes, want) {
		t.Errorf("granted scopes = %v, want the requested %v", cred.GrantedScopes, want)
	}
	if want := f.clock.Now().Add(time.Hour); !cred.Expiry.Equal(want) {
		t.Errorf("expiry = %v, want %v", cred.Expiry, want)
	}
	for _, sealed := range []string{cred.AccessTokenSealed, cred.RefreshTokenSealed} {
		f.checkNoSecret(t, "stored credential", sealed)
	}

	token, err := f.manager.Token(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if token.Value.Reveal() != "at-secret-1" || token.TokenType != "Bearer" {
		t.Errorf("token = %q of type %q, want %q of type Bearer", token.Value.Reveal(), token.TokenType, "at-secret-1")
	}
}

func TestConnectWithoutPKCE(t *testing.T) {
	f := newFixture(t, func(svc *catalog.Service) { svc.OAuth2.PKCE = ptr(false) })
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))

	query := f.authorize(t, f.developer, conn.LinkName, "")
	if _, err := f.manager.CompleteAuthorization(f.ctx, query.Get("state"), "code-1", "", "", nil); err != nil {
		t.Fatalf("CompleteAuthorization: %v", err)
	}

	if query.Has("code_challenge") {
		t.Errorf("authorization URL has code_challenge %q, want none with PKCE off", query.Get("code_challenge"))
	}
	exchanges := f.provider.tokenRequestsOf("authorization_code")
	if len(exchanges) != 1 {
		t.Fatalf("provider received %d code exchanges, want 1", len(exchanges))
	}
	if exchanges[0].form.Has("code_verifier") {
		t.Errorf("code exchange has a code_verifier, want none with PKCE off")
	}
}

func TestCompleteAuthorizationStateSingleUse(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
	state := f.authorize(t, f.developer, conn.LinkName, "").Get("state")

	if _, err := f.manager.CompleteAuthorization(f.ctx, state, "code-1", "", "", nil); err != nil {
		t.Fatalf("first CompleteAuthorization: %v", err)
	}
	_, err := f.manager.CompleteAuthorization(f.ctx, state, "code-2", "", "", nil)

	f.wantProblem(t, err, http.StatusBadRequest, "invalid_state")
	if n := len(f.provider.tokenRequestsOf("authorization_code")); n != 1 {
		t.Errorf("provider received %d code exchanges, want 1", n)
	}
}

func TestCompleteAuthorizationStateLifetime(t *testing.T) {
	tests := []struct {
		name     string
		wait     time.Duration
		wantCode string
	}{
		{"at the lifetime", connections.StateLifetime, ""},
		{"past the lifetime", connections.StateLifetime + time.Second, "state_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
			state := f.authorize(t, f.developer, conn.LinkName, "").Get("state")
			f.clock.Advance(tt.wait)

			_, err := f.manager.CompleteAuthorization(f.ctx, state, "code-1", "", "", nil)

			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("CompleteAuthorization: %v", err)
				}
				return
			}
			f.wantProblem(t, err, http.StatusBadRequest, tt.wantCode)
			if n := len(f.provider.tokenRequestsOf("authorization_code")); n != 0 {
				t.Errorf("provider received %d code exchanges, want 0", n)
			}
			_, err = f.store.GetCredential(f.ctx, testOrgID, conn.ID, f.developer.UserID)
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("GetCredential error = %v, want ErrNotFound", err)
			}
		})
	}
}

func TestCompleteAuthorizationUnknownState(t *testing.T) {
	tests := []struct {
		name  string
		state string
	}{
		{"empty", ""},
		{"no org", "no-dot"},
		{"empty org", ".missing-org"},
		{"unknown", testOrgID + ".unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)

			_, err := f.manager.CompleteAuthorization(f.ctx, tt.state, "code-1", "", "", nil)

			f.wantProblem(t, err, http.StatusBadRequest, "invalid_state")
		})
	}
}

func TestConnectReturnTo(t *testing.T) {
	tests := []struct {
		name     string
		returnTo string
		valid    bool
	}{
		{"empty", "", true},
		{"path", "/connections/acme_devices", true},
		{"path with query and fragment", "/connections/acme_devices?tab=scopes#top", true},
		{"absolute URL", "https://evil.test/", false},
		{"scheme-relative", "//evil.test", false},
		{"scheme-relative with path", "//evil.test/path", false},
		{"slash backslash", `/\evil`, false},
		{"backslashes", `\\evil.test`, false},
		{"tab between slashes", "/\t/evil.test", false},
		{"header injection", "/\r\nLocation: https://evil.test", false},
		{"relative", "evil.test", false},
		{"javascript", "javascript:alert(1)", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := connections.ValidReturnTo(tt.returnTo); got != tt.valid {
				t.Errorf("ValidReturnTo(%q) = %t, want %t", tt.returnTo, got, tt.valid)
			}

			f := newFixture(t)
			conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
			result, err := f.manager.Connect(f.ctx, f.developer, conn.LinkName, tt.returnTo, nil)

			if !tt.valid {
				f.wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_return_to")
				return
			}
			if err != nil {
				t.Fatalf("Connect: %v", err)
			}
			authURL, err := url.Parse(result.AuthorizationURL)
			if err != nil {
				t.Fatalf("parsing authorization URL: %v", err)
			}
			callback, err := f.manager.CompleteAuthorization(f.ctx, authURL.Query().Get("state"), "code-1", "", "", nil)
			if err != nil {
				t.Fatalf("CompleteAuthorization: %v", err)
			}
			if callback.ReturnTo != tt.returnTo {
				t.Errorf("return_to = %q, want %q", callback.ReturnTo, tt.returnTo)
			}
		})
	}
}

func TestCompleteAuthorizationDenied(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
	state := f.authorize(t, f.developer, conn.LinkName, "/connections/acme_devices").Get("state")

	callback, err := f.manager.CompleteAuthorization(f.ctx, state, "", "access_denied", "the user declined", nil)

	p := f.wantProblem(t, err, http.StatusBadRequest, "authorization_denied")
	if !strings.Contains(p.Detail, "access_denied") {
		t.Errorf("detail %q does not name the provider's error", p.Detail)
	}
	if callback.ReturnTo != "/connections/acme_devices" {
		t.Errorf("return_to = %q, want the stored one", callback.ReturnTo)
	}
	if n := len(f.provider.tokenRequestsOf("authorization_code")); n != 0 {
		t.Errorf("provider received %d code exchanges, want 0", n)
	}
	_, err = f.manager.CompleteAuthorization(f.ctx, state, "code-1", "", "", nil)
	f.wantProblem(t, err, http.StatusBadRequest, "invalid_state")
}

func TestCompleteAuthorizationExchangeRejected(t *testing.T) {
	f := newFixture(t)
	f.provider.setRespond(func(url.Values, int) providerResponse {
		return providerResponse{status: http.StatusBadRequest, body: map[string]any{
			"error": "invalid_grant", "error_description": "code expired",
		}}
	})
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
	state := f.authorize(t, f.developer, conn.LinkName, "").Get("state")

	_, err := f.manager.CompleteAuthorization(f.ctx, state, "code-1", "", "", nil)

	p := f.wantProblem(t, err, http.StatusBadGateway, "token_exchange_failed")
	if !strings.Contains(p.Detail, "invalid_grant") {
		t.Errorf("detail %q does not name the provider's error", p.Detail)
	}
	_, err = f.store.GetCredential(f.ctx, testOrgID, conn.ID, f.developer.UserID)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetCredential error = %v, want ErrNotFound", err)
	}
}

func TestCompleteAuthorizationGrantedScopes(t *testing.T) {
	tests := []struct {
		name        string
		scope       any // the response's scope member; nil leaves it out
		wantGranted []string
		wantMissing []string
	}{
		{"scope absent", nil, []string{"devices.read", "devices.write"}, []string{}},
		{"all granted", "devices.write devices.read", []string{"devices.write", "devices.read"}, []string{}},
		{"narrower grant", "devices.read", []string{"devices.read"}, []string{"devices.write"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.provider.setRespond(func(form url.Values, n int) providerResponse {
				resp := issueTokens(form, n)
				if tt.scope != nil {
					resp.body["scope"] = tt.scope
				}
				return resp
			})
			conn := f.createConnection(t, f.developer, connectionInput("Acme devices", "devices.read", "devices.write"))

			f.connect(t, f.developer, conn.LinkName)

			cred := f.credential(t, conn, f.developer.UserID)
			if !slices.Equal(cred.GrantedScopes, tt.wantGranted) {
				t.Errorf("stored granted scopes = %v, want %v", cred.GrantedScopes, tt.wantGranted)
			}
			summary, err := f.manager.Describe(f.ctx, f.developer, conn)
			if err != nil {
				t.Fatalf("Describe: %v", err)
			}
			if summary.Status != store.StatusConnected {
				t.Errorf("status = %q, want %q", summary.Status, store.StatusConnected)
			}
			if !slices.Equal(summary.GrantedScopes, tt.wantGranted) {
				t.Errorf("described granted scopes = %v, want %v", summary.GrantedScopes, tt.wantGranted)
			}
			if !slices.Equal(summary.MissingScopes, tt.wantMissing) {
				t.Errorf("described missing scopes = %v, want %v", summary.MissingScopes, tt.wantMissing)
			}
		})
	}
}

func TestConnectNotOwner(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))

	_, err := f.manager.Connect(f.ctx, f.otherDeveloper, conn.LinkName, "", nil)

	f.wantProblem(t, err, http.StatusForbidden, "not_owner")
}

func TestCompleteAuthorizationBrowserUser(t *testing.T) {
	f := newFixture(t)
	shared := connectionInput("Shared devices", "devices.read")
	shared.UseLoginUserCredentials = ptr(true)
	conn := f.createConnection(t, f.developer, shared)

	// Another member signed in to the browser that brings the callback:
	// rejected before any token request, and the state is used up.
	state := f.authorize(t, f.developer, conn.LinkName, "/connections/"+conn.LinkName).Get("state")
	other := f.admin
	result, err := f.manager.CompleteAuthorization(f.ctx, state, "code-1", "", "", &other)
	f.wantProblem(t, err, http.StatusBadRequest, "browser_user_mismatch")
	if result.ReturnTo != "" {
		t.Errorf("ReturnTo = %q after a mismatch, want empty so the callback shows the error itself", result.ReturnTo)
	}
	if n := len(f.provider.tokenRequestsOf("authorization_code")); n != 0 {
		t.Errorf("provider received %d code exchanges after a mismatch, want 0", n)
	}
	if _, err := f.manager.CompleteAuthorization(f.ctx, state, "code-1", "", "", nil); err == nil {
		t.Errorf("a rejected state completed afterwards, want it used up")
	}
	if _, err := f.store.GetCredential(f.ctx, conn.OrgID, conn.ID, f.developer.UserID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("credential after a mismatch: error = %v, want ErrNotFound", err)
	}

	// The same member of another org is another member too.
	state = f.authorize(t, f.developer, conn.LinkName, "").Get("state")
	otherOrg := f.developer
	otherOrg.OrgID = "another-org"
	_, err = f.manager.CompleteAuthorization(f.ctx, state, "code-1", "", "", &otherOrg)
	f.wantProblem(t, err, http.StatusBadRequest, "browser_user_mismatch")

	// The member who started the flow, and a browser without a session,
	// both complete it.
	state = f.authorize(t, f.developer, conn.LinkName, "").Get("state")
	self := f.developer
	if _, err := f.manager.CompleteAuthorization(f.ctx, state, "code-1", "", "", &self); err != nil {
		t.Fatalf("CompleteAuthorization(signed in as the starter) error = %v", err)
	}
	state = f.authorize(t, f.admin, conn.LinkName, "").Get("state")
	if _, err := f.manager.CompleteAuthorization(f.ctx, state, "code-2", "", "", nil); err != nil {
		t.Fatalf("CompleteAuthorization(no session) error = %v", err)
	}
	if n := len(f.provider.tokenRequestsOf("authorization_code")); n != 2 {
		t.Errorf("provider received %d code exchanges, want 2", n)
	}
}
