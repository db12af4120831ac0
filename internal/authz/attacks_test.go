package authz

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

func TestCodeOfAnotherClient(t *testing.T) {
	f := newFixture(t)
	verifier := "verifier-" + strings.Repeat("a", 43)
	otherID, otherSecret := f.addClient(t, f.org.ID, "second")

	code := f.authorize(t, f.defaultParams("connections.read", verifier))
	status, resp := f.postClient(t, "/token", otherID, otherSecret, url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {f.auth.RedirectURI()}, "code_verifier": {verifier},
	})
	if status != http.StatusBadRequest || resp.str("error") != "invalid_grant" {
		t.Errorf("exchange of the built-in client's code by another client = %d %v, want 400 invalid_grant", status, resp)
	}
	// The code still works for its own client: a stranger's attempt
	// revokes nothing.
	if status, resp := f.exchange(t, code, verifier); status != http.StatusOK {
		t.Errorf("exchange by the code's client after another client's attempt = %d %v, want 200", status, resp)
	}
}

func TestCodeExchangeRedirectURIMismatch(t *testing.T) {
	f := newFixture(t)
	verifier := "verifier-" + strings.Repeat("b", 43)
	code := f.authorize(t, f.defaultParams("connections.read", verifier))
	for _, redirectURI := range []string{"", f.auth.RedirectURI() + "/", f.srv.URL + "/elsewhere"} {
		status, resp := f.postClient(t, "/token", f.clientID, f.secret, url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}, "code_verifier": {verifier},
		})
		if status != http.StatusBadRequest || resp.str("error") != "invalid_grant" {
			t.Errorf("exchange with redirect_uri %q = %d %v, want 400 invalid_grant", redirectURI, status, resp)
		}
	}
}

func TestCodeExchangeWithoutVerifier(t *testing.T) {
	f := newFixture(t)
	verifier := "verifier-" + strings.Repeat("c", 43)
	code := f.authorize(t, f.defaultParams("connections.read", verifier))
	for name, form := range map[string]url.Values{
		"no verifier":        {},
		"challenge as plain": {"code_verifier": {challengeOf(verifier)}},
	} {
		form.Set("grant_type", "authorization_code")
		form.Set("code", code)
		form.Set("redirect_uri", f.auth.RedirectURI())
		status, resp := f.postClient(t, "/token", f.clientID, f.secret, form)
		if status != http.StatusBadRequest || resp.str("access_token") != "" {
			t.Errorf("%s: exchange = %d %v, want 400 and no token", name, status, resp)
		}
	}
}

func TestClientSecretOfAnotherOrg(t *testing.T) {
	f := newFixture(t)
	other := store.Org{ID: "0rgb", Name: "org-b", CreatedAt: time.Now()}
	if err := f.store.CreateOrg(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	otherID, otherSecret := f.addClient(t, other.ID, "client")
	verifier := "verifier-" + strings.Repeat("d", 43)
	code := f.authorize(t, f.defaultParams("connections.read", verifier))

	for name, client := range map[string][2]string{
		"org B's client":                     {otherID, otherSecret},
		"org A's client with org B's secret": {f.clientID, otherSecret},
		"org B's client with org A's secret": {otherID, f.secret},
	} {
		status, resp := f.postClient(t, "/token", client[0], client[1], url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {f.auth.RedirectURI()}, "code_verifier": {verifier},
		})
		if status == http.StatusOK {
			t.Errorf("%s: exchange of org A's code = 200 %v, want an error", name, resp)
		}
	}
	if status, resp := f.exchange(t, code, verifier); status != http.StatusOK {
		t.Errorf("exchange by org A's client afterwards = %d %v, want 200", status, resp)
	}
}

func TestRefreshTokenOfAnotherClient(t *testing.T) {
	f := newFixture(t)
	tokens := f.tokens(t, "connections.read offline_access")
	otherID, otherSecret := f.addClient(t, f.org.ID, "second")
	status, resp := f.postClient(t, "/token", otherID, otherSecret, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {tokens.str("refresh_token")},
	})
	if status != http.StatusBadRequest || resp.str("error") != "invalid_grant" {
		t.Errorf("refresh with another client's refresh token = %d %v, want 400 invalid_grant", status, resp)
	}
	if status, _ := f.refresh(t, tokens.str("refresh_token"), ""); status != http.StatusOK {
		t.Errorf("refresh by the token's client afterwards = %d, want 200", status)
	}
}

func TestConsentPageScopeEscalation(t *testing.T) {
	f := newFixture(t)
	viewer := store.User{OrgID: f.org.ID, ID: "viewer-1", Username: "vera", Role: store.RoleViewer, CreatedAt: time.Now()}
	if err := f.store.CreateUser(t.Context(), viewer); err != nil {
		t.Fatal(err)
	}
	verifier := "verifier-" + strings.Repeat("e", 43)
	browser := f.browser(t, &viewer)
	_, id := f.consentFor(t, browser, f.defaultParams("members.write credentials.read", verifier))
	answered := post(t, browser, f.srv.URL+PathPrefix+"/consent", url.Values{"id": {id}, "csrf_token": {"csrf-123"}, "decision": {"accept"}})
	callback := get(t, browser, answered.location.String())
	code := callback.location.Query().Get("code")
	status, resp := f.exchange(t, code, verifier)
	if status != http.StatusOK {
		t.Fatalf("exchange = %d %v", status, resp)
	}
	access, err := f.auth.VerifyAccessToken(t.Context(), resp.str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	// The grant names the viewer, whose role the API applies to every call.
	if access.UserID != viewer.ID || access.OrgID != f.org.ID {
		t.Errorf("access token of the viewer's consent = %+v, want the viewer of org %s", access, f.org.ID)
	}
}

func TestAuthorizeErrorPages(t *testing.T) {
	f := newFixture(t)
	browser := f.browser(t, &f.user)
	p := f.defaultParams("connections.read", "verifier-"+strings.Repeat("f", 43))
	p.redirectURI = "https://evil.example/<script>alert(1)</script>"
	got := get(t, browser, p.url(f.srv.URL))
	if got.location != nil && got.location.Host == "evil.example" {
		t.Fatalf("redirected to the unregistered redirect URI %s", got.location)
	}
	if strings.Contains(got.body, "<script>") && !strings.HasPrefix(got.header.Get("Content-Type"), "text/plain") {
		t.Errorf("authorization error page (Content-Type %q) shows the redirect URI unescaped:\n%s", got.header.Get("Content-Type"), got.body)
	}

	p = f.defaultParams("connections.read", "verifier-"+strings.Repeat("f", 43))
	p.clientID = "no-such-org.plugboard"
	got = get(t, browser, p.url(f.srv.URL))
	if got.location != nil {
		t.Errorf("authorization request of an unknown client redirected to %s", got.location)
	}
}

func TestVerifyAccessTokenRejectsForgeries(t *testing.T) {
	f := newFixture(t)
	tokens := f.tokens(t, "connections.read offline_access")
	verifier := "verifier-" + strings.Repeat("g", 43)
	code := f.authorize(t, f.defaultParams("connections.read", verifier))
	for name, token := range map[string]string{
		"refresh token":        tokens.str("refresh_token"),
		"authorization code":   code,
		"truncated":            tokens.str("access_token")[:len(tokens.str("access_token"))-4],
		"another prefix":       "pbo_" + strings.TrimPrefix(tokens.str("refresh_token"), "pbr_"),
		"refresh token as row": strings.TrimPrefix(tokens.str("refresh_token"), "pbr_"),
	} {
		if _, err := f.auth.VerifyAccessToken(t.Context(), token); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("VerifyAccessToken(%s) error = %v, want ErrInvalidToken", name, err)
		}
	}
}

func TestIntrospectionByAnotherClient(t *testing.T) {
	f := newFixture(t)
	tokens := f.tokens(t, "connections.read offline_access")
	otherID, otherSecret := f.addClient(t, f.org.ID, "second")

	status, info := f.postClient(t, "/introspect", otherID, otherSecret, url.Values{"token": {tokens.str("access_token")}})
	if status != http.StatusOK || info["active"] != false {
		t.Errorf("introspection by another client of the org = %d %v, want 200 and inactive", status, info)
	}
	for _, field := range []string{"username", "sub", "scope", "client_id"} {
		if _, ok := info[field]; ok {
			t.Errorf("introspection by another client shows %s: %v", field, info)
		}
	}
	if _, info := f.postClient(t, "/introspect", f.clientID, f.secret, url.Values{"token": {tokens.str("access_token")}}); info["active"] != true {
		t.Errorf("introspection by the token's client = %v, want active", info)
	}
}

func TestConsentPageFormAction(t *testing.T) {
	f := newFixture(t)
	browser := f.browser(t, &f.user)
	consent, _ := f.consentFor(t, browser, f.defaultParams("connections.read", "verifier-"+strings.Repeat("h", 43)))
	csp := consent.header.Get("Content-Security-Policy")
	redirectOrigin := f.srv.URL
	if !strings.Contains(csp, "form-action 'self' "+redirectOrigin) {
		t.Errorf("consent page: Content-Security-Policy %q, want form-action 'self' and the redirect URI's origin %s", csp, redirectOrigin)
	}

	expired := get(t, browser, f.srv.URL+consentPath(f.org.ID+".0123456789abcdef"))
	if expired.status != http.StatusNotFound {
		t.Fatalf("consent page of an unknown request: status %d, want 404", expired.status)
	}
	if csp := expired.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'none'") {
		t.Errorf("consent error page: Content-Security-Policy %q, want form-action 'none'", csp)
	}
}

func TestAuthorizeBoundsStoredValues(t *testing.T) {
	f := newFixture(t)
	browser := f.browser(t, &f.user)
	verifier := "verifier-" + strings.Repeat("i", 43)

	// Any party with the client ID may send authorization requests, and
	// each is stored, so its values are bounded.
	for name, change := range map[string]func(*authParams){
		"long state":     func(p *authParams) { p.state = strings.Repeat("s", 64<<10) },
		"long challenge": func(p *authParams) { p.challenge = strings.Repeat("c", 64<<10) },
	} {
		p := f.defaultParams("connections.read", verifier)
		change(&p)
		got := get(t, browser, p.url(f.srv.URL))
		if got.location == nil || got.location.Query().Get("error") != "invalid_request" {
			t.Errorf("%s: status %d to %v, want a redirect with invalid_request", name, got.status, got.location)
		}
	}

	p := f.defaultParams(strings.TrimSpace(strings.Repeat("connections.read services.read ", 2000)), verifier)
	consent, id := f.consentFor(t, browser, p)
	if n := strings.Count(consent.body, `class="consent-scope"`); n != 2 {
		t.Errorf("consent page of 4000 alternating scopes lists %d scopes, want 2", n)
	}
	req, err := f.store.GetAuthzRequest(t.Context(), f.org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Scopes) != 2 {
		t.Errorf("stored scopes = %d entries, want 2", len(req.Scopes))
	}
}
