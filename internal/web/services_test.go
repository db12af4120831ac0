package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

// adminClient returns a client signed in as the admin.
func (s *site) adminClient() *client {
	s.t.Helper()
	c := s.newClient()
	s.mustSignIn(c)
	return c
}

// postForm posts a form from page with the page's CSRF token.
func (c *client) postForm(page, path string, form url.Values) page {
	c.s.t.Helper()
	form.Set("csrf_token", c.get(page).csrf(c.s.t))
	return c.post(path, form)
}

// wantContains reports each of parts that the body of p lacks, prefixed
// with description.
func wantContains(t *testing.T, description string, p page, parts ...string) {
	t.Helper()
	for _, part := range parts {
		if !strings.Contains(p.body, part) {
			t.Errorf("%s: page lacks %q\n%s", description, part, p.body)
		}
	}
}

func TestCustomAPIKeyService(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()

	resp := c.postForm("/services/new", "/services/new", url.Values{
		"key": {"acme_keys"}, "name": {"Acme keys"}, "auth_type": {"api_key"},
		"param_name": {"X-API-Key", "tenant", ""}, "param_in": {"header", "query", "header"},
		"scope_name": {"devices.read", ""}, "scope_description": {"Read devices", ""},
		"api_base_url": {"https://api.acme.example/v1"}, "allowed_hosts": {"files.acme.example\n"},
	})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/services/acme_keys?notice=service_created" {
		t.Fatalf("create: %d to %q, want 303 to the service page\n%s", resp.status, resp.header.Get("Location"), resp.body)
	}
	svc, err := s.conns.Service(t.Context(), s.orgID, "acme_keys")
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.APIKeyParam{{Name: "X-API-Key", In: "header"}, {Name: "tenant", In: "query"}}
	if svc.APIKey == nil || len(svc.APIKey.Params) != 2 || svc.APIKey.Params[0] != want[0] || svc.APIKey.Params[1] != want[1] {
		t.Errorf("stored api_key = %+v, want params %v", svc.APIKey, want)
	}
	if len(svc.Scopes) != 1 || svc.Scopes[0].Description != "Read devices" {
		t.Errorf("stored scopes = %+v, want devices.read with its description", svc.Scopes)
	}

	page := c.get(resp.header.Get("Location"))
	wantContains(t, "service page", page, "The service was created.", "<code>X-API-Key</code> in the header", "<code>tenant</code> in the query",
		"devices.read", "Read devices", "files.acme.example", `id="edit-service"`, `id="delete-service"`)
	if strings.Contains(page.body, `id="redirect-uri"`) {
		t.Errorf("an api_key service's page shows applications")
	}
	list := c.get("/services?q=acme")
	wantContains(t, "services search", list, "Custom services", `href="/services/acme_keys"`, "AK")
	if strings.Contains(list.body, `href="/services/github"`) {
		t.Errorf("search for acme lists github")
	}

	// Editing keeps the key and replaces the parameters.
	resp = c.postForm("/services/acme_keys/edit", "/services/acme_keys/edit", url.Values{
		"name": {"Acme keys v2"}, "auth_type": {"api_key"},
		"param_name": {"X-API-Key", "secret"}, "param_in": {"header", "form"},
		"api_base_url": {"https://api.acme.example/v2"},
	})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("edit: status %d, want 303\n%s", resp.status, resp.body)
	}
	svc, _ = s.conns.Service(t.Context(), s.orgID, "acme_keys")
	if svc.Name != "Acme keys v2" || len(svc.APIKey.Params) != 2 || svc.APIKey.Params[1].In != "form" {
		t.Errorf("after edit: %+v", svc)
	}

	resp = c.postForm("/services/acme_keys", "/services/acme_keys/delete", url.Values{})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/services?notice=service_deleted" {
		t.Errorf("delete: %d to %q, want 303 to the services page", resp.status, resp.header.Get("Location"))
	}
}

func TestServiceFormErrorsNextToFields(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()

	resp := c.postForm("/services/new", "/services/new", url.Values{
		"key": {"9bad"}, "name": {"Broken"}, "auth_type": {"api_key"},
		"param_name": {"Bad Header:", "X-Other"}, "param_in": {"header", "header"},
		"scope_name": {"", "two words"}, "scope_description": {"orphan description", "x"},
		"api_base_url": {"not a url"}, "allowed_hosts": {"ok.example\nhttps://bad.example/path"},
	})
	if resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid service: status %d, want 422\n%s", resp.status, resp.body)
	}
	for _, id := range []string{"key-error", "param_name_0-error", "scope_name_0-error", "scope_name_1-error", "api_base_url-error", "allowed_hosts-error"} {
		if !strings.Contains(resp.body, `id="`+id+`"`) {
			t.Errorf("no error with id %s next to its field", id)
		}
	}
	wantContains(t, "failed form", resp, `value="9bad"`, `value="Bad Header:"`, `value="X-Other"`, "orphan description", "https://bad.example/path", "Line 2:")

	// An oauth2 service without a token URL.
	resp = c.postForm("/services/new", "/services/new", url.Values{
		"key": {"acme_oauth"}, "name": {"Acme"}, "auth_type": {"oauth2"}, "authorization_url": {"https://auth.acme.example/authorize"},
		"token_auth_method": {"client_secret_basic"}, "api_base_url": {"https://api.acme.example"}, "authorization_params": {"prompt"},
	})
	if resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("oauth2 without token URL: status %d, want 422", resp.status)
	}
	wantContains(t, "oauth2 errors", resp, `id="authorization_params-error"`, "has no &#34;=&#34;")

	resp = c.postForm("/services/new", "/services/new", url.Values{
		"key": {"acme_oauth"}, "name": {"Acme"}, "auth_type": {"oauth2"}, "authorization_url": {"https://auth.acme.example/authorize"},
		"token_auth_method": {"client_secret_basic"}, "api_base_url": {"https://api.acme.example"},
	})
	wantContains(t, "oauth2 errors", resp, `id="token_url-error">Token URL is missing`)

	// The add-row buttons post the form back with one more empty row.
	resp = c.postForm("/services/new", "/services/new", url.Values{"action": {"add_scope"}, "key": {"kept"}, "scope_name": {"a"}, "scope_description": {""}})
	if resp.status != http.StatusOK || !strings.Contains(resp.body, `id="scope_name_3"`) || !strings.Contains(resp.body, `value="kept"`) {
		t.Errorf("add a scope row: status %d, want the form with 4 scope rows and the key kept", resp.status)
	}
}

func TestServiceFormAuthTypes(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	for _, tt := range []struct {
		key  string
		form url.Values
		want catalog.AuthType
	}{
		{"t_oauth2", url.Values{"auth_type": {"oauth2"}, "authorization_url": {"https://a.example/authorize"}, "token_url": {"https://a.example/token"},
			"token_auth_method": {"client_secret_post"}, "pkce": {"off"}, "authorization_params": {"prompt=consent"}}, catalog.AuthOAuth2},
		{"t_client_credentials", url.Values{"auth_type": {"oauth2_client_credentials"}, "token_url": {"https://a.example/token"},
			"token_auth_method": {"client_secret_basic"}}, catalog.AuthOAuth2ClientCredentials},
		{"t_basic", url.Values{"auth_type": {"basic"}}, catalog.AuthBasic},
		{"t_none", url.Values{"auth_type": {"none"}}, catalog.AuthNone},
		{"t_github_plus", url.Values{"auth_type": {""}, "based_on": {"github"}, "api_base_url": {""},
			"scope_name": {"admin:org"}, "scope_description": {"Manage the org"}}, catalog.AuthOAuth2},
	} {
		form := tt.form
		form.Set("key", tt.key)
		form.Set("name", "Service "+tt.key)
		if form.Get("api_base_url") == "" && form.Get("based_on") == "" {
			form.Set("api_base_url", "https://api.example.com")
		}
		resp := c.postForm("/services/new", "/services/new", form)
		if resp.status != http.StatusSeeOther {
			t.Errorf("%s: status %d, want 303\n%s", tt.key, resp.status, resp.body)
			continue
		}
		svc, err := s.conns.Service(t.Context(), s.orgID, tt.key)
		if err != nil {
			t.Fatal(err)
		}
		if svc.AuthType != tt.want {
			t.Errorf("%s: auth type %q, want %q", tt.key, svc.AuthType, tt.want)
		}
	}
	oauth, _ := s.conns.Service(t.Context(), s.orgID, "t_oauth2")
	if oauth.OAuth2.PKCEEnabled() || oauth.OAuth2.AuthorizationParams["prompt"] != "consent" {
		t.Errorf("t_oauth2 settings = %+v, want PKCE off and prompt=consent", oauth.OAuth2)
	}
	based, _ := s.conns.Service(t.Context(), s.orgID, "t_github_plus")
	if based.BasedOn != "github" || based.APIBaseURL != "https://api.github.com" || based.Scopes[len(based.Scopes)-1].Name != "admin:org" {
		t.Errorf("based on github = %+v, want github's settings plus scope admin:org", based)
	}
	page := c.get("/services/t_github_plus")
	wantContains(t, "based-on page", page, `href="/services/github"`, "admin:org", "Manage the org")
}

func TestApplicationsOfService(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()

	page := c.get("/services/github")
	wantContains(t, "github page", page, `id="redirect-uri">http://127.0.0.1/oauth/callback`, `id="no-applications"`, "repo", `id="docs-link"`)
	if strings.Contains(page.body, `id="edit-service"`) {
		t.Errorf("a catalog service offers Edit")
	}

	resp := c.postForm("/services/github", "/services/github/applications", url.Values{"name": {""}, "client_id": {"cid-1"}, "client_secret": {"top-secret-value"}})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="app-name-error"`) || !strings.Contains(resp.body, `value="cid-1"`) {
		t.Errorf("application without a name: status %d, want 422 with the error next to the name and the client ID kept", resp.status)
	}
	if strings.Contains(resp.body, "top-secret-value") {
		t.Errorf("the failed form shows the client secret back")
	}

	for _, name := range []string{"Production", "Staging"} {
		resp = c.postForm("/services/github", "/services/github/applications", url.Values{"name": {name}, "client_id": {"cid-" + name}, "client_secret": {"top-secret-value"}})
		if resp.status != http.StatusSeeOther {
			t.Fatalf("create %s: status %d\n%s", name, resp.status, resp.body)
		}
	}
	apps, err := s.conns.ListApplications(t.Context(), s.orgID, "github")
	if err != nil || len(apps) != 2 {
		t.Fatalf("applications = %d, %v; want 2", len(apps), err)
	}
	page = c.get("/services/github")
	wantContains(t, "applications", page, "Production", "cid-Staging", "Stored", "Make default")
	if strings.Contains(page.body, "top-secret-value") {
		t.Errorf("the service page shows a client secret")
	}

	prod := apps[0]
	appPath := "/services/github/applications/" + prod.ID
	if resp := c.postForm(appPath, appPath+"/default", url.Values{}); resp.status != http.StatusSeeOther {
		t.Errorf("make default: status %d", resp.status)
	}
	if got, _ := s.conns.Application(t.Context(), s.orgID, prod.ID); !got.Default {
		t.Errorf("application is not default after Make default")
	}

	// A blank secret keeps the stored one.
	resp = c.postForm(appPath, appPath, url.Values{"name": {"Production EU"}, "client_id": {"cid-2"}, "client_secret": {""}, "default": {"on"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("edit: status %d\n%s", resp.status, resp.body)
	}
	got, _ := s.conns.Application(t.Context(), s.orgID, prod.ID)
	if got.Name != "Production EU" || got.ClientID != "cid-2" || got.ClientSecretSealed != prod.ClientSecretSealed {
		t.Errorf("after edit: %+v, want new name and client ID and the same sealed secret", got)
	}

	// An application in use is not offered for deletion, and a delete of it is rejected.
	admin := s.user("admin")
	actor := connections.Actor{OrgID: s.orgID, UserID: admin.ID, Username: "admin", Role: store.RoleAdmin}
	name, appID := "GitHub work", prod.ID
	if _, err := s.conns.CreateConnection(t.Context(), actor, connections.ConnectionInput{Name: &name, Service: "github", Application: &appID}); err != nil {
		t.Fatal(err)
	}
	page = c.get(appPath)
	wantContains(t, "application in use", page, `id="delete-guard">This application cannot be deleted while 1 connection uses it: github_work.`)
	resp = c.postForm(appPath, appPath+"/delete", url.Values{})
	if resp.status != http.StatusConflict || !strings.Contains(resp.body, "github_work") {
		t.Errorf("delete in use: status %d, want 409 naming the connection\n%s", resp.status, resp.body)
	}
	staging := apps[1].ID
	resp = c.postForm("/services/github/applications/"+staging, "/services/github/applications/"+staging+"/delete", url.Values{})
	if resp.status != http.StatusSeeOther {
		t.Errorf("delete unused: status %d, want 303", resp.status)
	}
}

func TestServiceInUseGuard(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	resp := c.postForm("/services/new", "/services/new", url.Values{"key": {"desk"}, "name": {"Desk"}, "auth_type": {"basic"}, "api_base_url": {"https://desk.example"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", resp.status, resp.body)
	}
	admin := s.user("admin")
	actor := connections.Actor{OrgID: s.orgID, UserID: admin.ID, Username: "admin", Role: store.RoleAdmin}
	name := "Desk"
	if _, err := s.conns.CreateConnection(t.Context(), actor, connections.ConnectionInput{Name: &name, Service: "desk"}); err != nil {
		t.Fatal(err)
	}
	page := c.get("/services/desk")
	wantContains(t, "service in use", page, `id="delete-guard">This service cannot be deleted while 1 connection use it.`)
	resp = c.postForm("/services/desk", "/services/desk/delete", url.Values{})
	if resp.status != http.StatusConflict || !strings.Contains(resp.body, "is used by connection") {
		t.Errorf("delete in use: status %d, want 409 with the reason\n%s", resp.status, resp.body)
	}
}

func TestServicePageRegionsAndRoles(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	page := c.get("/services/datadog")
	wantContains(t, "datadog page", page, `id="regions"`, "<code>us1</code>", "<code>eu</code>", `id="redirect-uri"`)

	if resp := c.postForm("/members", "/members", url.Values{"username": {"vic"}, "role": {"viewer"}, "password": {"vic-password"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("add vic: %d", resp.status)
	}
	viewer := s.newClient()
	viewer.signIn("vic", "vic-password")
	list := viewer.get("/services")
	if list.status != http.StatusOK || strings.Contains(list.body, `id="new-service"`) {
		t.Errorf("services page of a viewer: status %d, offers New custom service", list.status)
	}
	page = viewer.get("/services/datadog")
	if strings.Contains(page.body, `id="new-application"`) {
		t.Errorf("a viewer is offered to register an application")
	}
	if resp := viewer.get("/services/new"); resp.status != http.StatusForbidden {
		t.Errorf("new-service form for a viewer: status %d, want 403", resp.status)
	}
	resp := viewer.postForm("/services", "/services/new", url.Values{"key": {"sneaky"}, "name": {"Sneaky"}, "auth_type": {"none"}, "api_base_url": {"https://x.example"}})
	if resp.status != http.StatusForbidden {
		t.Errorf("viewer creates a service: status %d, want 403", resp.status)
	}
	resp = viewer.postForm("/services/datadog", "/services/datadog/applications", url.Values{"name": {"P"}, "client_id": {"x"}})
	if resp.status != http.StatusForbidden {
		t.Errorf("viewer registers an application: status %d, want 403", resp.status)
	}
	if resp := c.get("/services/no_such_service"); resp.status != http.StatusNotFound {
		t.Errorf("unknown service: status %d, want 404", resp.status)
	}
}
