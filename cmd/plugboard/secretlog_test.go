package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSecretsStayOutOfLogs signs in to the web UI, connects plugboard to
// itself through the consent page with that session, reads the access
// token and introspects it, with the log at debug level. Then no password,
// session cookie, CSRF token, API token, client secret, authorization code
// or access token may appear in the log or in a response that did not
// issue it.
func TestSecretsStayOutOfLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a plugboard process; run without -short")
	}
	inst := startInstance(t)
	v1 := inst.URL + "/v1"
	admin := testAdminToken
	secrets := map[string]string{"admin password": testAdminPassword, "admin API token": admin}

	browser := newConsentBrowser(t)
	if status, _, _ := browser.do(t, "POST", inst.URL+"/login", url.Values{
		"csrf_token": {"forged"}, "username": {"admin"}, "password": {"a-wrong-password-" + testAdminPassword},
	}); status != http.StatusForbidden {
		t.Errorf("sign-in with a forged form token: status %d, want 403", status)
	}
	_, _, form := browser.do(t, "GET", inst.URL+"/login", nil)
	token := csrfField.FindStringSubmatch(form)
	if token == nil {
		t.Fatalf("sign-in page has no csrf_token:\n%s", form)
	}
	secrets["sign-in form token"] = token[1]
	if status, _, _ := browser.do(t, "POST", inst.URL+"/login", url.Values{
		"csrf_token": {token[1]}, "username": {"admin"}, "password": {"a-wrong-password-" + testAdminPassword},
	}); status != http.StatusUnauthorized {
		t.Errorf("sign-in with a wrong password: status %d, want 401", status)
	}
	_, _, form = browser.do(t, "GET", inst.URL+"/login", nil)
	token = csrfField.FindStringSubmatch(form)
	status, _, body := browser.do(t, "POST", inst.URL+"/login", url.Values{
		"csrf_token": {token[1]}, "username": {"admin"}, "password": {testAdminPassword},
	})
	if status != http.StatusSeeOther {
		t.Fatalf("sign-in: status %d\n%s", status, body)
	}
	base, _ := url.Parse(inst.URL)
	for _, cookie := range browser.client.Jar.Cookies(base) {
		if cookie.Name == "plugboard_session" {
			secrets["session cookie"] = cookie.Value
			_, secret, _ := strings.Cut(cookie.Value, ".")
			secrets["session secret"] = secret
		}
	}
	if secrets["session cookie"] == "" {
		t.Fatal("sign-in set no plugboard_session cookie")
	}
	_, _, home := browser.do(t, "GET", inst.URL+"/", nil)
	if m := csrfField.FindStringSubmatch(home); m != nil {
		secrets["session CSRF token"] = m[1]
	}

	resp := call(t, "POST", v1+"/tokens", admin, map[string]any{"name": "reader", "permissions": []string{"credentials:read"}})
	mustStatus(t, "create a credentials:read token", resp, http.StatusCreated)
	reader, _ := resp.JSON(t)["token"].(string)
	secrets["new API token"] = reader
	clientSecret := "test-client-secret-0123456789abcdef"
	secrets["client secret"] = clientSecret
	clientID := builtinClient(t, inst, admin, clientSecret)

	mustStatus(t, "create the self connection", call(t, "POST", v1+"/connections", admin, map[string]any{
		"name": "Self", "service": "plugboard", "scopes": []string{"connections.read", "offline_access"},
	}), http.StatusCreated)
	resp = call(t, "POST", v1+"/connections/self/connect", admin, map[string]string{})
	mustStatus(t, "connect", resp, http.StatusOK)
	authURL, _ := resp.JSON(t)["authorization_url"].(string)
	page := browser.consentPage(t, authURL)
	callback := browser.submitConsent(t, inst, page, "accept")
	secrets["authorization code"] = callback.Query().Get("code")
	if status, _, body := browser.do(t, "GET", callback.String(), nil); status != http.StatusOK {
		t.Fatalf("callback: status %d\n%s", status, body)
	}
	access := accessTokenOf(t, inst, reader, "self")
	secrets["access token"] = access
	if info := introspect(t, inst, clientID, clientSecret, access); info["active"] != true {
		t.Errorf("introspection = %v, want active", info)
	}
	// A wrong client secret and a replayed code are rejected, and the
	// rejections are logged too.
	introspectRequest, _ := http.NewRequest("POST", inst.URL+"/oauth2/introspect", strings.NewReader(url.Values{"token": {access}}.Encode()))
	introspectRequest.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	introspectRequest.SetBasicAuth(url.QueryEscape(clientID), "wrong-"+clientSecret)
	if resp, err := http.DefaultClient.Do(introspectRequest); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	tokenRequest, _ := http.NewRequest("POST", inst.URL+"/oauth2/token", strings.NewReader(url.Values{
		"grant_type": {"authorization_code"}, "code": {secrets["authorization code"]}, "redirect_uri": {inst.URL + "/oauth/callback"},
		"code_verifier": {strings.Repeat("v", 43)},
	}.Encode()))
	tokenRequest.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tokenRequest.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	if resp, err := http.DefaultClient.Do(tokenRequest); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	// Responses that list or describe the holders of these secrets show
	// none of them.
	for _, path := range []string{"/v1/applications/plugboard", "/v1/tokens", "/v1/connections/self", "/v1/audit", "/v1/users/admin"} {
		resp := call(t, "GET", v1+strings.TrimPrefix(path, "/v1"), admin, nil)
		for kind, secret := range secrets {
			if secret != "" && kind != "admin API token" && strings.Contains(string(resp.Body), secret) {
				t.Errorf("GET %s shows the %s", path, kind)
			}
		}
	}
	for _, path := range []string{"/", "/members", "/members/tokens", "/audit", "/connections/self", "/services/plugboard"} {
		_, _, page := browser.do(t, "GET", inst.URL+path, nil)
		for kind, secret := range secrets {
			if secret != "" && !strings.Contains(kind, "CSRF") && strings.Contains(page, secret) {
				t.Errorf("page %s shows the %s", path, kind)
			}
		}
	}

	if err := inst.stop(t); err != nil {
		t.Fatalf("stopping plugboard: %v", err)
	}
	logs := inst.logs.String()
	if !strings.Contains(logs, `level=DEBUG`) && !strings.Contains(logs, `"level":"DEBUG"`) {
		t.Errorf("the log has no debug line; the check below ran on less than the debug log")
	}
	for kind, secret := range secrets {
		if secret == "" {
			t.Errorf("the test found no %s to look for", kind)
			continue
		}
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the %s", kind)
		}
	}
}
