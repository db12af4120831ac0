package authz

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/store"
)

func TestCodeFlowIssuesTokens(t *testing.T) {
	f := newFixture(t)
	resp := f.tokens(t, "connections.read offline_access")

	access, refresh := resp.str("access_token"), resp.str("refresh_token")
	if !strings.HasPrefix(access, "pbo_") {
		t.Errorf("access_token = %.8q..., want a pbo_ token", access)
	}
	if !strings.HasPrefix(refresh, "pbr_") {
		t.Errorf("refresh_token = %.8q..., want a pbr_ token", refresh)
	}
	if got := resp.str("token_type"); !strings.EqualFold(got, "bearer") {
		t.Errorf("token_type = %q, want Bearer", got)
	}
	if got, _ := resp["expires_in"].(float64); got < 3500 || got > 3600 {
		t.Errorf("expires_in = %v, want about 3600", resp["expires_in"])
	}
	if got := resp.str("scope"); got != "connections.read offline_access" {
		t.Errorf("scope = %q, want connections.read offline_access", got)
	}

	got, err := f.auth.VerifyAccessToken(t.Context(), access)
	if err != nil {
		t.Fatalf("VerifyAccessToken() error = %v", err)
	}
	if got.OrgID != f.org.ID || got.UserID != f.user.ID || got.ClientID != f.clientID {
		t.Errorf("VerifyAccessToken() = %+v, want org %s, user %s, client %s", got, f.org.ID, f.user.ID, f.clientID)
	}
	if !got.HasScope("connections.read") || got.HasScope("connections.use") {
		t.Errorf("VerifyAccessToken() scopes = %v, want connections.read and not connections.use", got.Scopes)
	}
}

func TestConsentIsAudited(t *testing.T) {
	f := newFixture(t)
	f.tokens(t, "connections.read")

	entries, err := f.audit.List(t.Context(), f.org.ID, store.ListAuditOptions{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(entries, func(e store.AuditEntry) bool { return e.Action == audit.ActionConsentAccepted })
	if i < 0 {
		t.Fatalf("audit log has no %s entry: %+v", audit.ActionConsentAccepted, entries)
	}
	if e := entries[i]; e.ActorID != f.user.ID || e.TargetID != f.clientID || e.RemoteAddr != "127.0.0.1" {
		t.Errorf("audit entry = %+v, want the admin, the built-in client and 127.0.0.1", e)
	}
}

func TestCallbackAfterExchangeIssuesNoCode(t *testing.T) {
	f := newFixture(t)
	verifier := "verifier-" + strings.Repeat("k", 43)
	browser := f.browser(t, &f.user)
	_, id := f.consentFor(t, browser, f.defaultParams("connections.read", verifier))
	accepted := post(t, browser, f.srv.URL+PathPrefix+"/consent", url.Values{"id": {id}, "csrf_token": {"csrf-123"}, "decision": {"accept"}})
	callbackURL := accepted.location.String()
	first := get(t, browser, callbackURL)
	code := first.location.Query().Get("code")
	if status, resp := f.exchange(t, code, verifier); status != http.StatusOK {
		t.Fatalf("exchange = %d %v", status, resp)
	}

	again := get(t, browser, callbackURL)
	if again.location != nil && again.location.Query().Get("code") != "" {
		t.Errorf("authorize callback after the exchange issued another code: %s", again.location)
	}
}

func TestCodeFlowWithoutOfflineAccess(t *testing.T) {
	f := newFixture(t)
	resp := f.tokens(t, "connections.read")
	if resp.str("refresh_token") != "" {
		t.Errorf("refresh_token issued without offline_access")
	}
	if _, err := f.auth.VerifyAccessToken(t.Context(), resp.str("access_token")); err != nil {
		t.Errorf("VerifyAccessToken() error = %v", err)
	}
}

func TestCodeExchangeChecks(t *testing.T) {
	f := newFixture(t)
	verifier := "verifier-" + strings.Repeat("y", 43)

	code := f.authorize(t, f.defaultParams("connections.read", verifier))
	if status, resp := f.exchange(t, code, "wrong-"+verifier); status != http.StatusBadRequest || resp.str("error") != "invalid_grant" {
		t.Errorf("exchange with a wrong verifier = %d %v, want 400 invalid_grant", status, resp)
	}

	code = f.authorize(t, f.defaultParams("connections.read", verifier))
	status, first := f.exchange(t, code, verifier)
	if status != http.StatusOK {
		t.Fatalf("exchange = %d %v, want 200", status, first)
	}
	// Without the verifier, a second use fails and revokes nothing.
	if status, resp := f.exchange(t, code, "wrong-"+verifier); status != http.StatusBadRequest || resp.str("error") != "invalid_grant" {
		t.Errorf("second exchange with a wrong verifier = %d %v, want 400 invalid_grant", status, resp)
	}
	if _, err := f.auth.VerifyAccessToken(t.Context(), first.str("access_token")); err != nil {
		t.Errorf("VerifyAccessToken() after a replay without the verifier error = %v, want nil", err)
	}
	if status, resp := f.exchange(t, code, verifier); status != http.StatusBadRequest || resp.str("error") != "invalid_grant" {
		t.Errorf("second exchange of a code = %d %v, want 400 invalid_grant", status, resp)
	}
	if _, err := f.auth.VerifyAccessToken(t.Context(), first.str("access_token")); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("VerifyAccessToken(token of a code used twice) error = %v, want ErrInvalidToken", err)
	}

	code = f.authorize(t, f.defaultParams("connections.read", verifier))
	status, resp := f.postClient(t, "/token", f.clientID, "wrong-secret", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {f.auth.RedirectURI()}, "code_verifier": {verifier},
	})
	if status != http.StatusUnauthorized || resp.str("error") != "invalid_client" {
		t.Errorf("exchange with a wrong client secret = %d %v, want 401 invalid_client", status, resp)
	}
}

func TestAuthorizeRejectsBadRequests(t *testing.T) {
	f := newFixture(t)
	browser := f.browser(t, &f.user)
	tests := []struct {
		name      string
		change    func(*authParams)
		wantError string
	}{
		{"no PKCE", func(p *authParams) { p.challenge, p.method = "", "" }, "invalid_request"},
		{"plain PKCE", func(p *authParams) { p.method = "plain" }, "invalid_request"},
		{"unknown scope", func(p *authParams) { p.scope = "connections.read admin.everything" }, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := f.defaultParams("connections.read", "verifier-"+strings.Repeat("z", 43))
			tt.change(&p)
			got := get(t, browser, p.url(f.srv.URL))
			if got.location == nil {
				t.Fatalf("status %d without a redirect\n%s", got.status, got.body)
			}
			if !strings.HasPrefix(got.location.String(), f.auth.RedirectURI()) {
				t.Fatalf("redirected to %s, want the client's redirect URI", got.location)
			}
			if got := got.location.Query().Get("error"); got != tt.wantError {
				t.Errorf("error = %q, want %q", got, tt.wantError)
			}
		})
	}

	t.Run("unregistered redirect URI", func(t *testing.T) {
		p := f.defaultParams("connections.read", "verifier-"+strings.Repeat("z", 43))
		p.redirectURI = "https://attacker.example/callback"
		got := get(t, browser, p.url(f.srv.URL))
		if got.location != nil && strings.HasPrefix(got.location.String(), "https://attacker.example") {
			t.Errorf("redirected to the unregistered redirect URI %s", got.location)
		}
	})
}

func TestRefreshRotates(t *testing.T) {
	f := newFixture(t)
	first := f.tokens(t, "connections.read connections.use offline_access")

	status, second := f.refresh(t, first.str("refresh_token"), "")
	if status != http.StatusOK {
		t.Fatalf("refresh = %d %v, want 200", status, second)
	}
	if second.str("refresh_token") == "" || second.str("refresh_token") == first.str("refresh_token") {
		t.Errorf("refresh did not rotate the refresh token")
	}
	if _, err := f.auth.VerifyAccessToken(t.Context(), second.str("access_token")); err != nil {
		t.Errorf("VerifyAccessToken(refreshed) error = %v", err)
	}

	if _, err := f.auth.VerifyAccessToken(t.Context(), second.str("access_token")); err != nil {
		t.Errorf("VerifyAccessToken(refreshed) before any reuse error = %v", err)
	}

	// A narrower scope applies to the access token only, and the next
	// refresh may request the consented scopes again.
	status, narrow := f.refresh(t, second.str("refresh_token"), "connections.read")
	if status != http.StatusOK {
		t.Fatalf("refresh with a narrower scope = %d %v", status, narrow)
	}
	access, err := f.auth.VerifyAccessToken(t.Context(), narrow.str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(access.Scopes, []string{"connections.read"}) {
		t.Errorf("narrowed access token scopes = %v, want [connections.read]", access.Scopes)
	}
	status, wide := f.refresh(t, narrow.str("refresh_token"), "connections.read connections.use")
	if status != http.StatusOK {
		t.Errorf("refresh with the consented scopes after a narrow one = %d %v, want 200", status, wide)
	}
	if status, resp := f.refresh(t, wide.str("refresh_token"), "members.write"); status != http.StatusBadRequest || resp.str("error") != "invalid_scope" {
		t.Errorf("refresh asking for a scope beyond the consent = %d %v, want 400 invalid_scope", status, resp)
	}
}

func TestRefreshReuseRevokesGrant(t *testing.T) {
	f := newFixture(t)
	first := f.tokens(t, "connections.read offline_access")
	status, second := f.refresh(t, first.str("refresh_token"), "")
	if status != http.StatusOK {
		t.Fatalf("refresh = %d %v, want 200", status, second)
	}

	if status, resp := f.refresh(t, first.str("refresh_token"), ""); status != http.StatusBadRequest || resp.str("error") != "invalid_grant" {
		t.Errorf("reuse of a rotated refresh token = %d %v, want 400 invalid_grant", status, resp)
	}
	if _, err := f.auth.VerifyAccessToken(t.Context(), second.str("access_token")); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("VerifyAccessToken(access token of the reused grant) error = %v, want ErrInvalidToken", err)
	}
	if status, resp := f.refresh(t, second.str("refresh_token"), ""); status != http.StatusBadRequest || resp.str("error") != "invalid_grant" {
		t.Errorf("refresh with the newest token of the reused grant = %d %v, want 400 invalid_grant", status, resp)
	}

	other := f.tokens(t, "connections.read offline_access")
	if _, err := f.auth.VerifyAccessToken(t.Context(), other.str("access_token")); err != nil {
		t.Errorf("VerifyAccessToken(token of another grant) error = %v, want nil", err)
	}
}

func TestRevocation(t *testing.T) {
	f := newFixture(t)

	t.Run("refresh token ends the grant", func(t *testing.T) {
		resp := f.tokens(t, "connections.read offline_access")
		status, _ := f.postClient(t, "/revoke", f.clientID, f.secret, url.Values{"token": {resp.str("refresh_token")}, "token_type_hint": {"refresh_token"}})
		if status != http.StatusOK {
			t.Fatalf("revoke = %d, want 200", status)
		}
		if _, err := f.auth.VerifyAccessToken(t.Context(), resp.str("access_token")); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("VerifyAccessToken(access token of a revoked grant) error = %v, want ErrInvalidToken", err)
		}
		if status, got := f.refresh(t, resp.str("refresh_token"), ""); status != http.StatusBadRequest || got.str("error") != "invalid_grant" {
			t.Errorf("refresh with a revoked token = %d %v, want 400 invalid_grant", status, got)
		}
	})

	t.Run("access token alone", func(t *testing.T) {
		resp := f.tokens(t, "connections.read offline_access")
		status, _ := f.postClient(t, "/revoke", f.clientID, f.secret, url.Values{"token": {resp.str("access_token")}, "token_type_hint": {"access_token"}})
		if status != http.StatusOK {
			t.Fatalf("revoke = %d, want 200", status)
		}
		if _, err := f.auth.VerifyAccessToken(t.Context(), resp.str("access_token")); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("VerifyAccessToken(revoked) error = %v, want ErrInvalidToken", err)
		}
		if status, _ := f.refresh(t, resp.str("refresh_token"), ""); status != http.StatusOK {
			t.Errorf("refresh after revoking only the access token = %d, want 200", status)
		}
	})

	t.Run("unknown token", func(t *testing.T) {
		status, _ := f.postClient(t, "/revoke", f.clientID, f.secret, url.Values{"token": {"pbr_not-a-token"}})
		if status != http.StatusOK {
			t.Errorf("revoke of an unknown token = %d, want 200 (RFC 7009 section 2.2)", status)
		}
	})

	t.Run("another client's token", func(t *testing.T) {
		resp := f.tokens(t, "connections.read offline_access")
		otherID, otherSecret := f.addClient(t, f.org.ID, "second")
		status, _ := f.postClient(t, "/revoke", otherID, otherSecret, url.Values{"token": {resp.str("refresh_token")}})
		if status == http.StatusOK {
			t.Errorf("revoke by another client = 200, want an error")
		}
		if _, err := f.auth.VerifyAccessToken(t.Context(), resp.str("access_token")); err != nil {
			t.Errorf("VerifyAccessToken() after another client's revoke error = %v, want nil", err)
		}
	})
}

// addClient stores a client of org with a hashed secret.
func (f *fixture) addClient(t *testing.T, orgID, name string) (string, string) {
	t.Helper()
	id, secret := orgID+"."+name, "secret-of-"+name
	now := time.Now()
	err := f.store.PutAuthzClient(t.Context(), store.AuthzClient{
		OrgID: orgID, ID: id, Name: name, SecretHash: hashOf(secret), RedirectURIs: []string{f.auth.RedirectURI()},
		CreatedAt: now, UpdatedAt: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, secret
}

func TestIntrospection(t *testing.T) {
	f := newFixture(t)
	resp := f.tokens(t, "connections.read offline_access")

	status, info := f.postClient(t, "/introspect", f.clientID, f.secret, url.Values{"token": {resp.str("access_token")}})
	if status != http.StatusOK || info["active"] != true {
		t.Fatalf("introspection = %d %v, want 200 and active", status, info)
	}
	if info.str("username") != "admin" || info.str("sub") != f.user.ID || info.str("client_id") != f.clientID {
		t.Errorf("introspection = %v, want admin's token of the built-in client", info)
	}
	if info.str("scope") != "connections.read offline_access" {
		t.Errorf("introspection scope = %q", info.str("scope"))
	}

	other := store.Org{ID: "0ther0rg", Name: "other", CreatedAt: time.Now()}
	if err := f.store.CreateOrg(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	otherID, otherSecret := f.addClient(t, other.ID, "client")
	_, info = f.postClient(t, "/introspect", otherID, otherSecret, url.Values{"token": {resp.str("access_token")}})
	if info["active"] != false {
		t.Errorf("introspection by another org's client = %v, want inactive", info)
	}

	_, info = f.postClient(t, "/introspect", f.clientID, f.secret, url.Values{"token": {resp.str("refresh_token")}})
	if info["active"] != false {
		t.Errorf("introspection of a refresh token = %v, want inactive: only access tokens are introspected", info)
	}
	if status, _ := f.postClient(t, "/introspect", f.clientID, "wrong", url.Values{"token": {resp.str("access_token")}}); status != http.StatusUnauthorized {
		t.Errorf("introspection with a wrong secret = %d, want 401", status)
	}
}

func TestConsentPage(t *testing.T) {
	f := newFixture(t)
	p := f.defaultParams("connections.read webhooks.write", "verifier-"+strings.Repeat("c", 43))
	consent, _ := f.consentFor(t, f.browser(t, &f.user), p)

	for _, want := range []string{
		"plugboard wants to:", "Signed in as <strong>admin</strong>",
		"see your connections", `<code class="consent-scope-name">webhooks.write</code>`,
		`name="csrf_token" value="csrf-123"`, `value="accept"`, `value="deny"`,
	} {
		if !strings.Contains(consent.body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	for _, unwanted := range []string{"<script", "https://", "style="} {
		if strings.Contains(consent.body, unwanted) {
			t.Errorf("consent page contains %q", unwanted)
		}
	}
	if csp := consent.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if got := consent.header.Get("X-Frame-Options"); got != "DENY" {
		t.Errorf("X-Frame-Options = %q, want DENY", got)
	}

	t.Run("escapes the client name", func(t *testing.T) {
		id, _ := f.addClient(t, f.org.ID, "evil")
		rec, _ := f.store.GetAuthzClient(t.Context(), f.org.ID, id)
		rec.Name = `<script>alert(1)</script>`
		if err := f.store.PutAuthzClient(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
		p := f.defaultParams("connections.read", "verifier-"+strings.Repeat("e", 43))
		p.clientID = id
		got, _ := f.consentFor(t, f.browser(t, &f.user), p)
		if strings.Contains(got.body, "<script>") || !strings.Contains(got.body, "&lt;script&gt;") {
			t.Errorf("consent page does not escape the client name:\n%s", got.body)
		}
	})

	t.Run("deny", func(t *testing.T) {
		browser := f.browser(t, &f.user)
		_, id := f.consentFor(t, browser, p)
		denied := post(t, browser, f.srv.URL+PathPrefix+"/consent", url.Values{"id": {id}, "csrf_token": {"csrf-123"}, "decision": {"deny"}})
		if denied.location == nil || !strings.HasPrefix(denied.location.String(), f.auth.RedirectURI()) {
			t.Fatalf("deny: status %d to %v, want the client's redirect URI", denied.status, denied.location)
		}
		if q := denied.location.Query(); q.Get("error") != "access_denied" || q.Get("state") != p.state {
			t.Errorf("deny redirect query = %v, want error=access_denied and the state", q)
		}
		again := get(t, browser, f.srv.URL+consentPath(id))
		if again.status != http.StatusNotFound {
			t.Errorf("consent page after deny: status %d, want 404", again.status)
		}
	})

	t.Run("csrf", func(t *testing.T) {
		browser := f.browser(t, &f.user)
		_, id := f.consentFor(t, browser, p)
		forged := post(t, browser, f.srv.URL+PathPrefix+"/consent", url.Values{"id": {id}, "csrf_token": {"forged"}, "decision": {"accept"}})
		if forged.status != http.StatusForbidden {
			t.Errorf("accept with a forged csrf_token: status %d, want 403", forged.status)
		}
	})

	t.Run("not signed in", func(t *testing.T) {
		browser := f.browser(t, nil)
		first := get(t, browser, p.url(f.srv.URL))
		got := get(t, browser, first.location.String())
		want := "/login?next=" + url.QueryEscape(first.location.RequestURI())
		if got.status != http.StatusSeeOther || got.location == nil || got.location.RequestURI() != want {
			t.Errorf("consent page without sign-in: status %d to %v, want 303 to %s", got.status, got.location, want)
		}
	})

	t.Run("member of another org", func(t *testing.T) {
		other := store.Org{ID: "an0ther0rg", Name: "another", CreatedAt: time.Now()}
		if err := f.store.CreateOrg(t.Context(), other); err != nil {
			t.Fatal(err)
		}
		stranger := store.User{OrgID: other.ID, ID: "stranger", Username: "stranger", Role: store.RoleAdmin, CreatedAt: time.Now()}
		if err := f.store.CreateUser(t.Context(), stranger); err != nil {
			t.Fatal(err)
		}
		browser := f.browser(t, &stranger)
		first := get(t, browser, p.url(f.srv.URL))
		got := get(t, browser, first.location.String())
		if got.status != http.StatusForbidden {
			t.Errorf("consent page for a member of another org: status %d, want 403", got.status)
		}
	})
}

func TestDiscovery(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{PathPrefix + "/.well-known/openid-configuration", MetadataPath} {
		t.Run(path, func(t *testing.T) {
			checkMetadata(t, f, path)
		})
	}
}

func checkMetadata(t *testing.T, f *fixture, path string) {
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc map[string]any
	if err := decodeJSON(resp, &doc); err != nil {
		t.Fatalf("GET %s: status %d, %v", path, resp.StatusCode, err)
	}
	issuer := f.srv.URL + PathPrefix
	checks := map[string]string{
		"issuer":                 issuer,
		"authorization_endpoint": issuer + "/authorize",
		"token_endpoint":         issuer + "/token",
		"revocation_endpoint":    issuer + "/revoke",
		"introspection_endpoint": issuer + "/introspect",
	}
	for key, want := range checks {
		if got, _ := doc[key].(string); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if methods, _ := doc["code_challenge_methods_supported"].([]any); !slices.Contains(methods, any("S256")) {
		t.Errorf("code_challenge_methods_supported = %v, want S256", doc["code_challenge_methods_supported"])
	}
}

func TestCatalogDeclaresEveryScope(t *testing.T) {
	svc, ok := catalog.Lookup("plugboard")
	if !ok {
		t.Fatal("the catalog has no plugboard service")
	}
	var names []string
	for _, s := range svc.Scopes {
		names = append(names, s.Name)
		want, ok := LookupScope(s.Name)
		if !ok {
			t.Errorf("catalog scope %q is not a scope of the authorization server", s.Name)
			continue
		}
		if !strings.EqualFold(s.Description, want.Description) {
			t.Errorf("catalog scope %q description = %q, want %q", s.Name, s.Description, want.Description)
		}
	}
	if !slices.Equal(names, ScopeNames()) {
		t.Errorf("catalog scopes = %v, want %v", names, ScopeNames())
	}
}
