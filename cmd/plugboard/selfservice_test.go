package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/testkit"
)

// consentBrowser is a cookie-keeping HTTP client that stops at every
// redirect. Once signed in through the web UI's sign-in form, it carries
// the member's session to the consent page.
type consentBrowser struct {
	client *http.Client
}

func newConsentBrowser(t *testing.T) *consentBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &consentBrowser{client: &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// signedInBrowser returns a consent browser signed in to inst as a member
// of an org through the sign-in form, with the form's CSRF token.
func signedInBrowser(t *testing.T, inst *instance, org, username, password string) *consentBrowser {
	t.Helper()
	b := newConsentBrowser(t)
	status, _, page := b.do(t, "GET", inst.URL+"/login", nil)
	if status != http.StatusOK {
		t.Fatalf("sign-in page: status %d\n%s", status, page)
	}
	csrf := csrfField.FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("sign-in page has no csrf_token field:\n%s", page)
	}
	status, location, body := b.do(t, "POST", inst.URL+"/login", url.Values{
		"csrf_token": {csrf[1]}, "org": {org}, "username": {username}, "password": {password}, "next": {"/"},
	})
	if status != http.StatusSeeOther || location != inst.URL+"/" {
		t.Fatalf("signing in as %s of org %s: status %d to %q, want 303 to /\n%s", username, org, status, location, body)
	}
	return b
}

// setPasswordOf sets a member's web UI password through the API with an
// admin's token.
func setPasswordOf(t *testing.T, inst *instance, adminToken, username, password string) {
	t.Helper()
	resp := call(t, "PATCH", inst.URL+"/v1/users/"+username, adminToken, map[string]string{"password": password})
	mustStatus(t, "set the password of "+username, resp, http.StatusOK)
}

// do sends a request and returns the status, the Location header resolved
// against the request URL, and the body.
func (b *consentBrowser) do(t *testing.T, method, target string, form url.Values) (int, string, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	location := ""
	if loc, err := resp.Location(); err == nil {
		location = loc.String()
	}
	return resp.StatusCode, location, string(data)
}

var (
	csrfField      = regexp.MustCompile(`name="csrf_token" value="([^"]*)"`)
	requestIDField = regexp.MustCompile(`name="id" value="([^"]*)"`)
)

// consentPage follows an authorization URL to the consent page and returns
// its HTML.
func (b *consentBrowser) consentPage(t *testing.T, authURL string) string {
	t.Helper()
	status, location, body := b.do(t, "GET", authURL, nil)
	if status != http.StatusFound && status != http.StatusSeeOther {
		t.Fatalf("authorization request: status %d, want a redirect to the consent page\n%s", status, body)
	}
	if !strings.Contains(location, "/oauth2/consent?id=") {
		t.Fatalf("authorization request redirected to %q, want the consent page", location)
	}
	status, _, page := b.do(t, "GET", location, nil)
	if status != http.StatusOK {
		t.Fatalf("consent page: status %d\n%s", status, page)
	}
	return page
}

// submitConsent posts decision ("accept" or "deny") on a consent page and
// follows the redirects up to the client's redirect URI, which it returns.
func (b *consentBrowser) submitConsent(t *testing.T, inst *instance, page, decision string) *url.URL {
	t.Helper()
	csrf, id := csrfField.FindStringSubmatch(page), requestIDField.FindStringSubmatch(page)
	if csrf == nil || id == nil {
		t.Fatalf("consent page has no csrf_token or id field:\n%s", page)
	}
	status, location, body := b.do(t, "POST", inst.URL+"/oauth2/consent",
		url.Values{"id": {id[1]}, "csrf_token": {csrf[1]}, "decision": {decision}})
	if status != http.StatusSeeOther {
		t.Fatalf("posting %s: status %d\n%s", decision, status, body)
	}
	for range 3 {
		target, err := url.Parse(location)
		if err != nil {
			t.Fatal(err)
		}
		if target.Path == "/oauth/callback" {
			return target
		}
		status, location, body = b.do(t, "GET", location, nil)
		if status != http.StatusFound && status != http.StatusSeeOther {
			t.Fatalf("following the redirects after %s: status %d\n%s", decision, status, body)
		}
	}
	t.Fatalf("no redirect to /oauth/callback after %s; last location %q", decision, location)
	return nil
}

// connectSelf starts the connect of a plugboard connection with apiToken,
// accepts on the consent page in browser, signed in as the same member,
// and checks that the connection is connected.
func connectSelf(t *testing.T, inst *instance, browser *consentBrowser, apiToken, link string, wantScopes ...string) {
	t.Helper()
	resp := call(t, "POST", inst.URL+"/v1/connections/"+link+"/connect", apiToken, map[string]string{})
	mustStatus(t, "connect "+link, resp, http.StatusOK)
	authURL, _ := resp.JSON(t)["authorization_url"].(string)
	if !strings.HasPrefix(authURL, inst.URL+"/oauth2/authorize?") {
		t.Fatalf("authorization_url = %q, want the instance's own /oauth2/authorize", authURL)
	}

	page := browser.consentPage(t, authURL)
	if !strings.Contains(page, "plugboard wants to:") {
		t.Errorf("consent page does not say what plugboard wants:\n%s", page)
	}
	for _, scope := range wantScopes {
		if !strings.Contains(page, `<code class="consent-scope-name">`+scope+`</code>`) {
			t.Errorf("consent page does not list scope %s:\n%s", scope, page)
		}
	}
	callback := browser.submitConsent(t, inst, page, "accept")
	if callback.Query().Get("code") == "" {
		t.Fatalf("callback %q has no code", callback)
	}
	mustStatus(t, "callback of "+link, call(t, "GET", callback.String(), "", nil), http.StatusOK)

	resp = call(t, "GET", inst.URL+"/v1/connections/"+link, apiToken, nil)
	mustStatus(t, "read "+link, resp, http.StatusOK)
	if got := resp.JSON(t)["status"]; got != "connected" {
		t.Fatalf("%s status = %v after the callback, want connected: %s", link, got, resp.Body)
	}
}

// introspect sends a token to the introspection endpoint with the
// client's credentials (RFC 7662).
func introspect(t *testing.T, inst *instance, clientID, secret, token string) map[string]any {
	t.Helper()
	req, err := http.NewRequest("POST", inst.URL+"/oauth2/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("introspection: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("introspection: status %d\n%s", resp.StatusCode, data)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("introspection response is not JSON: %v\n%s", err, data)
	}
	return out
}

// builtinClient returns the client ID of the org's built-in application of
// the plugboard service after setting its secret, as an admin may.
func builtinClient(t *testing.T, inst *instance, adminToken, secret string) string {
	t.Helper()
	resp := call(t, "PATCH", inst.URL+"/v1/applications/plugboard", adminToken, map[string]string{"client_secret": secret})
	mustStatus(t, "set the built-in client secret", resp, http.StatusOK)
	clientID, _ := resp.JSON(t)["client_id"].(string)
	if clientID == "" {
		t.Fatalf("built-in application has no client_id: %s", resp.Body)
	}
	return clientID
}

// accessTokenOf returns the access token of a connection's credential.
func accessTokenOf(t *testing.T, inst *instance, token, link string) string {
	t.Helper()
	resp := call(t, "GET", inst.URL+"/v1/connections/"+link+"/credential", token, nil)
	mustStatus(t, "credential of "+link, resp, http.StatusOK)
	access, _ := resp.JSON(t)["access_token"].(string)
	if !strings.HasPrefix(access, "pbo_") {
		t.Fatalf("access token of %s = %.8q..., want a pbo_ token", link, access)
	}
	return access
}

// TestSelfServiceEndToEnd connects a plugboard connection to the instance
// itself through its own authorization server and consent page, with the
// egress guard on, and calls the API through it.
func TestSelfServiceEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds and starts plugboard processes; run without -short")
	}
	const lifetime = 4 * time.Second
	opts := instanceOptions{
		DataDir: t.TempDir(), Addr: freeAddr(t), GuardEgress: true,
		Args: []string{"--oauth2-access-token-lifetime", lifetime.String(), "--refresh-skew", "0s"},
	}
	first := startInstanceWith(t, opts)

	// A second org, made while the first instance runs, gets its built-in
	// client at the next start.
	var stdout, stderr strings.Builder
	if err := createOrg(context.Background(), []string{"other-org", "--data-dir", opts.DataDir}, &stdout, &stderr); err != nil {
		t.Fatalf("creating org other-org: %v\n%s", err, stderr.String())
	}
	otherAdmin := printedToken.FindString(stdout.String())
	if otherAdmin == "" {
		t.Fatalf("create-org printed no token: %q", stdout.String())
	}
	if err := first.stop(t); err != nil {
		t.Fatalf("stopping the first instance: %v", err)
	}
	inst := startInstanceWith(t, opts)
	v1 := inst.URL + "/v1"
	admin := testAdminToken

	// The admin creates a connection to plugboard itself: no application
	// is needed, the built-in one is used.
	resp := call(t, "POST", v1+"/connections", admin, map[string]any{
		"name": "Self", "service": "plugboard",
		"scopes": []string{"connections.read", "connections.use", "credentials.read", "offline_access"},
	})
	mustStatus(t, "create the self connection", resp, http.StatusCreated)
	if got := resp.JSON(t)["application"]; got != "plugboard" {
		t.Errorf("application = %v, want the built-in plugboard", got)
	}
	adminBrowser := signedInBrowser(t, inst, "default", "admin", testAdminPassword)
	connectSelf(t, inst, adminBrowser, admin, "self", "connections.read", "connections.use", "offline_access")

	// Through the proxy and through invoke, plugboard's own API responds.
	resp = call(t, "GET", v1+"/connections/self/proxy/connections", admin, nil)
	mustStatus(t, "list connections through the proxy", resp, http.StatusOK)
	if !strings.Contains(string(resp.Body), `"link_name":"self"`) {
		t.Errorf("connections through the proxy = %s, want the self connection", resp.Body)
	}
	resp = call(t, "POST", v1+"/invoke", admin, map[string]any{"url": "/connections", "method": "GET", "connection": "self"})
	mustStatus(t, "invoke", resp, http.StatusOK)
	invoked := resp.JSON(t)
	if invoked["status_code"] != float64(http.StatusOK) || !strings.Contains(fmt.Sprint(invoked["body"]), "self") {
		t.Errorf("invoke = %s, want status_code 200 and the self connection", resp.Body)
	}

	// The access token acts as the admin within its scopes. Reading it
	// needs an API token with credentials:read.
	resp = call(t, "POST", v1+"/tokens", admin, map[string]any{"name": "reader", "permissions": []string{"credentials:read"}})
	mustStatus(t, "create a credentials:read token", resp, http.StatusCreated)
	reader, _ := resp.JSON(t)["token"].(string)
	secret := "test-client-secret-0123456789abcdef"
	clientID := builtinClient(t, inst, admin, secret)
	access := accessTokenOf(t, inst, reader, "self")
	resp = call(t, "GET", v1+"/connections", access, nil)
	mustStatus(t, "list connections with the access token", resp, http.StatusOK)
	resp = call(t, "GET", v1+"/webhooks", access, nil)
	mustStatus(t, "list webhooks without webhooks.read", resp, http.StatusForbidden)
	if problem := resp.JSON(t); problem["code"] != "insufficient_scope" || problem["scope"] != "webhooks.read" {
		t.Errorf("webhooks without the scope = %s, want insufficient_scope naming webhooks.read", resp.Body)
	}
	info := introspect(t, inst, clientID, secret, access)
	if info["active"] != true || info["username"] != "admin" || !strings.Contains(fmt.Sprint(info["scope"]), "connections.read") {
		t.Errorf("introspection of a live token = %v, want active, admin, with connections.read", info)
	}

	// A connection without connections.read cannot list connections.
	mustStatus(t, "create the narrow connection", call(t, "POST", v1+"/connections", admin, map[string]any{
		"name": "Narrow", "service": "plugboard", "scopes": []string{"webhooks.read", "offline_access"},
	}), http.StatusCreated)
	connectSelf(t, inst, adminBrowser, admin, "narrow", "webhooks.read")
	resp = call(t, "GET", v1+"/connections/narrow/proxy/connections", admin, nil)
	mustStatus(t, "list connections through the narrow connection", resp, http.StatusForbidden)
	if !strings.Contains(string(resp.Body), "insufficient_scope") {
		t.Errorf("narrow call = %s, want insufficient_scope", resp.Body)
	}
	mustStatus(t, "list webhooks through the narrow connection",
		call(t, "GET", v1+"/connections/narrow/proxy/webhooks", admin, nil), http.StatusOK)

	// Once the access token expires, the next call refreshes it.
	expired := accessTokenOf(t, inst, reader, "self")
	time.Sleep(lifetime + time.Second)
	if info := introspect(t, inst, clientID, secret, expired); info["active"] != false {
		t.Errorf("introspection of an expired token = %v, want inactive", info)
	}
	mustStatus(t, "list connections after expiry", call(t, "GET", v1+"/connections/self/proxy/connections", admin, nil), http.StatusOK)
	refreshed := accessTokenOf(t, inst, reader, "self")
	if refreshed == expired {
		t.Error("the access token did not change after it expired")
	}
	if info := introspect(t, inst, clientID, secret, refreshed); info["active"] != true {
		t.Errorf("introspection of the refreshed token = %v, want active", info)
	}

	// Org guard: the other org's admin cannot see org A's connections, and
	// org A's token is inactive to org B's client.
	resp = call(t, "GET", v1+"/connections/self", otherAdmin, nil)
	mustStatus(t, "other org reads the self connection", resp, http.StatusNotFound)
	mustStatus(t, "other org's connection", call(t, "POST", v1+"/connections", otherAdmin, map[string]any{
		"name": "Theirs", "service": "plugboard", "scopes": []string{"connections.read"},
	}), http.StatusCreated)
	resp = call(t, "GET", v1+"/connections/theirs", refreshed, nil)
	mustStatus(t, "org A's token reads org B's connection", resp, http.StatusNotFound)
	resp = call(t, "GET", v1+"/connections", refreshed, nil)
	if strings.Contains(string(resp.Body), "theirs") {
		t.Errorf("org A's token lists org B's connection: %s", resp.Body)
	}
	otherSecret := "other-client-secret-0123456789abcdef"
	otherClient := builtinClient(t, inst, otherAdmin, otherSecret)
	if info := introspect(t, inst, otherClient, otherSecret, refreshed); info["active"] != false {
		t.Errorf("org B's client introspecting org A's token = %v, want inactive", info)
	}
	resp = call(t, "POST", v1+"/connections/self/connect", admin, map[string]string{})
	authURL, _ := resp.JSON(t)["authorization_url"].(string)
	const otherPassword = "other-admin-password-0123"
	setPasswordOf(t, inst, otherAdmin, "admin", otherPassword)
	page := signedInBrowser(t, inst, "other-org", "admin", otherPassword)
	if status, location, _ := page.do(t, "GET", authURL, nil); status != http.StatusFound {
		t.Errorf("authorization request: status %d, want 302", status)
	} else if status, _, body := page.do(t, "GET", location, nil); status != http.StatusForbidden {
		t.Errorf("org B's member on org A's consent page: status %d, want 403\n%s", status, body)
	}

	// Revoking the connection revokes its tokens at the authorization
	// server: the token turns inactive and calls with it fail.
	mustStatus(t, "revoke the self connection", call(t, "POST", v1+"/connections/self/revoke", admin, nil), http.StatusOK)
	if info := introspect(t, inst, clientID, secret, refreshed); info["active"] != false {
		t.Errorf("introspection of a revoked token = %v, want inactive", info)
	}
	resp = call(t, "GET", v1+"/connections", refreshed, nil)
	mustStatus(t, "call with a revoked token", resp, http.StatusUnauthorized)
	if problem := resp.JSON(t); problem["code"] != "invalid_token" {
		t.Errorf("revoked token = %s, want invalid_token", resp.Body)
	}
}

// TestSelfServiceConsentDeny checks that Deny sends access_denied to the
// callback and leaves the connection unconnected, and that a visitor who
// is not signed in is sent to /login.
func TestSelfServiceConsentDeny(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds and starts plugboard processes; run without -short")
	}
	inst := startInstanceWith(t, instanceOptions{DataDir: t.TempDir(), GuardEgress: true})
	admin := testAdminToken
	mustStatus(t, "create connection", call(t, "POST", inst.URL+"/v1/connections", admin, map[string]any{
		"name": "Self", "service": "plugboard", "scopes": []string{"connections.read"},
	}), http.StatusCreated)
	resp := call(t, "POST", inst.URL+"/v1/connections/self/connect", admin, map[string]string{})
	mustStatus(t, "connect", resp, http.StatusOK)
	authURL, _ := resp.JSON(t)["authorization_url"].(string)

	anonymous := newConsentBrowser(t)
	_, consentURL, _ := anonymous.do(t, "GET", authURL, nil)
	status, location, _ := anonymous.do(t, "GET", consentURL, nil)
	if status != http.StatusSeeOther || !strings.HasPrefix(location, inst.URL+"/login?next=%2Foauth2%2Fconsent") {
		t.Errorf("consent page without sign-in: status %d to %q, want 303 to /login?next=...", status, location)
	}

	browser := signedInBrowser(t, inst, "default", "admin", testAdminPassword)
	page := browser.consentPage(t, authURL)
	callback := browser.submitConsent(t, inst, page, "deny")
	if got := callback.Query().Get("error"); got != "access_denied" {
		t.Errorf("callback error = %q, want access_denied", got)
	}
	resp = call(t, "GET", callback.String(), "", nil)
	mustStatus(t, "callback after deny", resp, http.StatusBadRequest)
	resp = call(t, "GET", inst.URL+"/v1/connections/self", admin, nil)
	if got := resp.JSON(t)["status"]; got != "not_connected" {
		t.Errorf("status after deny = %v, want not_connected", got)
	}

	// A form with a forged CSRF token is rejected.
	page = browser.consentPage(t, authURL)
	id := requestIDField.FindStringSubmatch(page)
	status, _, _ = browser.do(t, "POST", inst.URL+"/oauth2/consent", url.Values{"id": {id[1]}, "csrf_token": {"forged"}, "decision": {"accept"}})
	if status != http.StatusForbidden {
		t.Errorf("accept with a forged csrf_token: status %d, want 403", status)
	}
}

// onInstance returns target with the host of inst, so a test can send a
// step of a flow to another instance behind the same public URL.
func onInstance(t *testing.T, target string, inst *instance) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(inst.URL)
	u.Host = base.Host
	return u.String()
}

// TestSelfServiceAcrossInstances runs the plugboard service's flow on two
// instances that share one PostgreSQL database and one public URL, with
// every step on the other instance than the one before: the authorization
// server keeps no state in a process.
func TestSelfServiceAcrossInstances(t *testing.T) {
	databaseURL := testkit.NewPostgresDatabase(t)
	t.Setenv("PLUGBOARD_MASTER_KEY", base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")))
	addr := freeAddr(t)
	args := []string{"--database-url", databaseURL, "--public-url", "http://" + addr}
	first := startInstanceWith(t, instanceOptions{DataDir: t.TempDir(), Addr: addr, GuardEgress: true, Args: args})
	second := startInstanceWith(t, instanceOptions{DataDir: t.TempDir(), GuardEgress: true, Args: args})
	admin := testAdminToken

	mustStatus(t, "create connection", call(t, "POST", second.URL+"/v1/connections", admin, map[string]any{
		"name": "Self", "service": "plugboard", "scopes": []string{"connections.read", "offline_access"},
	}), http.StatusCreated)
	resp := call(t, "POST", second.URL+"/v1/connections/self/connect", admin, map[string]string{})
	mustStatus(t, "connect on the second instance", resp, http.StatusOK)
	authURL, _ := resp.JSON(t)["authorization_url"].(string)

	browser := signedInBrowser(t, first, "default", "admin", testAdminPassword)
	status, consentURL, body := browser.do(t, "GET", onInstance(t, authURL, second), nil)
	if status != http.StatusFound {
		t.Fatalf("authorization request on the second instance: status %d\n%s", status, body)
	}
	status, _, page := browser.do(t, "GET", onInstance(t, consentURL, first), nil)
	if status != http.StatusOK {
		t.Fatalf("consent page on the first instance: status %d\n%s", status, page)
	}
	csrf, id := csrfField.FindStringSubmatch(page), requestIDField.FindStringSubmatch(page)
	if csrf == nil || id == nil {
		t.Fatalf("consent page has no form:\n%s", page)
	}
	status, callbackURL, body := browser.do(t, "POST", second.URL+"/oauth2/consent",
		url.Values{"id": {id[1]}, "csrf_token": {csrf[1]}, "decision": {"accept"}})
	if status != http.StatusSeeOther {
		t.Fatalf("accept on the second instance: status %d\n%s", status, body)
	}
	status, redirect, body := browser.do(t, "GET", onInstance(t, callbackURL, first), nil)
	if status != http.StatusFound || !strings.Contains(redirect, "/oauth/callback?code=") {
		t.Fatalf("authorize callback on the first instance: status %d to %q\n%s", status, redirect, body)
	}
	mustStatus(t, "OAuth callback on the second instance", call(t, "GET", onInstance(t, redirect, second), "", nil), http.StatusOK)

	for name, inst := range map[string]*instance{"first": first, "second": second} {
		resp := call(t, "GET", inst.URL+"/v1/connections/self/proxy/connections", admin, nil)
		mustStatus(t, "proxy on the "+name+" instance", resp, http.StatusOK)
		if !strings.Contains(string(resp.Body), `"link_name":"self"`) {
			t.Errorf("%s instance's call = %s, want the self connection", name, resp.Body)
		}
	}
}

// TestSelfServiceTokenFollowsRole checks that an access token acts with the
// current role of the member who consented: after the member becomes a
// viewer, the token still reads but can no longer create connections,
// though it was granted connections.write.
func TestSelfServiceTokenFollowsRole(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test builds and starts plugboard processes; run without -short")
	}
	inst := startInstanceWith(t, instanceOptions{DataDir: t.TempDir(), GuardEgress: true})
	v1 := inst.URL + "/v1"
	admin := testAdminToken

	mustStatus(t, "create ann", call(t, "POST", v1+"/users", admin, map[string]string{"username": "ann", "role": "admin"}), http.StatusCreated)
	resp := call(t, "POST", v1+"/tokens", admin, map[string]any{"name": "ann", "user": "ann", "permissions": []string{"credentials:read"}})
	mustStatus(t, "create ann's token", resp, http.StatusCreated)
	ann, _ := resp.JSON(t)["token"].(string)

	mustStatus(t, "ann creates a connection", call(t, "POST", v1+"/connections", ann, map[string]any{
		"name": "Ann self", "service": "plugboard", "scopes": []string{"connections.read", "connections.write", "offline_access"},
	}), http.StatusCreated)
	const annPassword = "anns-password-0123"
	setPasswordOf(t, inst, admin, "ann", annPassword)
	annBrowser := signedInBrowser(t, inst, "default", "ann", annPassword)
	connectSelf(t, inst, annBrowser, ann, "ann_self", "connections.write")
	access := accessTokenOf(t, inst, ann, "ann_self")

	mustStatus(t, "create a connection as admin ann", call(t, "POST", v1+"/connections", access, map[string]any{
		"name": "First", "service": "plugboard", "scopes": []string{"connections.read"},
	}), http.StatusCreated)

	mustStatus(t, "make ann a viewer", call(t, "PATCH", v1+"/users/ann", admin, map[string]string{"role": "viewer"}), http.StatusOK)
	resp = call(t, "POST", v1+"/connections", access, map[string]any{
		"name": "Second", "service": "plugboard", "scopes": []string{"connections.read"},
	})
	mustStatus(t, "create a connection as viewer ann", resp, http.StatusForbidden)
	if code := resp.JSON(t)["code"]; code != "forbidden" {
		t.Errorf("viewer's create = %s, want forbidden by role", resp.Body)
	}
	mustStatus(t, "list connections as viewer ann", call(t, "GET", v1+"/connections", access, nil), http.StatusOK)
}
