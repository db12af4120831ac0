package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// apiRoute matches an API route written into a page's text.
var apiRoute = regexp.MustCompile(`(GET|POST|PUT|PATCH|DELETE) /v1/`)

func TestWizardServiceWithoutApplication(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()

	page := c.get("/connections/new?service=zoho_crm")
	wantContains(t, "zoho_crm wizard", page,
		`id="no-application"`, `<a href="/services/zoho_crm#applications" id="add-application-link">`,
		`id="create-and-connect" disabled`)
	if strings.Contains(page.body, `id="application-error"`) || strings.Contains(page.body, `<select id="application"`) {
		t.Errorf("wizard of a service without an application shows the application field or its error before any submit")
	}
	if apiRoute.MatchString(page.body) {
		t.Errorf("wizard names an API route: %q", apiRoute.FindString(page.body))
	}
	// The service's description is shown; the catalog maintainers' notes
	// are not.
	if !strings.Contains(page.body, "Zoho CRM API.") {
		t.Errorf("wizard lacks the description of zoho_crm")
	}
	if strings.Contains(page.body, "multi-DC page") {
		t.Errorf("wizard shows the maintainers' notes of zoho_crm")
	}

	// A submission that bypasses the disabled button gets the note again.
	resp := c.post("/connections/new", c.wizardForm("zoho_crm", url.Values{"name": {"CRM"}}))
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="no-application"`) || apiRoute.MatchString(resp.body) {
		t.Errorf("create without an application: status %d, want 422 with the note and no API route\n%s", resp.status, resp.body)
	}
}

func TestWizardTwoApplicationsNoDefault(t *testing.T) {
	s := newSite(t)
	for _, name := range []string{"Production", "Staging"} {
		clientID, secret := "client-"+name, secrets.Secret("secret-"+name)
		if _, err := s.conns.CreateApplication(t.Context(), s.admin, connections.ApplicationInput{
			Service: "github", Name: ptr(name), ClientID: &clientID, ClientSecret: &secret, Default: ptr(false),
		}); err != nil {
			t.Fatal(err)
		}
	}
	c := s.adminClient()
	resp := c.post("/connections/new", c.wizardForm("github", url.Values{"name": {"Code"}}))
	if resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("create without choosing an application: status %d, want 422\n%s", resp.status, resp.body)
	}
	wantContains(t, "application error", page{body: resp.body}, `id="application-error"`, "choose one above")
	if strings.Contains(resp.body, `name one in`) {
		t.Errorf("application error names the API's field")
	}
}

func TestUnknownConnectionPage(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	page := c.get("/connections/gone_away")
	if page.status != http.StatusNotFound {
		t.Fatalf("unknown connection: status %d, want 404", page.status)
	}
	if apiRoute.MatchString(page.body) {
		t.Errorf("page of an unknown connection names an API route: %q", apiRoute.FindString(page.body))
	}
	wantContains(t, "unknown connection", page, "Connection &#34;gone_away&#34; not found.", "The Connections page lists the connections you can see.")
}

// newKeyedConnectionSite returns a site with the connected API key
// connection acme_devices and a client signed in as the admin.
func newKeyedConnectionSite(t *testing.T) (*site, *client) {
	t.Helper()
	s := newSite(t)
	s.addAPIKeyService()
	c := s.adminClient()
	if resp := c.post("/connections/new", c.wizardForm("keyed", url.Values{"name": {"Acme devices"}, "credential_0": {"k-1234567890"}})); resp.status != http.StatusSeeOther {
		t.Fatalf("create: status %d", resp.status)
	}
	return s, c
}

// postBoundWebhook submits the new-webhook form for the webhook "Report
// alarm" bound to acme_devices, which calls target.
func (c *client) postBoundWebhook(target string) page {
	c.s.t.Helper()
	return c.postForm("/webhooks/new", "/webhooks/new", url.Values{
		"name": {"Report alarm"}, "url": {target}, "method": {"POST"}, "events": {"device.alarm"},
		"connection": {"acme_devices"}, "enabled": {"on"}, "max_attempts": {"5"},
	})
}

func TestConnectionPageMessages(t *testing.T) {
	s, c := newKeyedConnectionSite(t)
	resp := c.postBoundWebhook("https://api.keyed.example/alarms")
	if resp.status != http.StatusCreated && resp.status != http.StatusSeeOther {
		t.Fatalf("webhook bound to acme_devices: status %d\n%s", resp.status, resp.body)
	}

	page := c.get("/connections/acme_devices")
	wantContains(t, "guard hint", page, `webhook “Report alarm” uses this connection and stops working meanwhile.`)

	// A credential the provider no longer accepts.
	conn, err := s.store.GetConnection(t.Context(), s.orgID, "acme_devices")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.store.UpdateCredential(t.Context(), s.orgID, conn.ID, s.admin.UserID, func(cred *store.Credential) error {
		cred.Status, cred.LastError, cred.LastErrorClass, cred.LastErrorAt = store.StatusNeedsReauth, "invalid_grant: grant request is invalid", "permanent", time.Now()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	page = c.get("/connections/acme_devices")
	wantContains(t, "last error", page, `id="last-error">invalid_grant: grant request is invalid <span id="last-error-advice">Connect again to fix it.</span>`)
}

func TestScopesShownAsTheAPIShowsThem(t *testing.T) {
	s := newSite(t)
	if _, err := s.conns.CreateService(t.Context(), s.admin, catalog.Service{
		Key: "acme", Name: "Acme devices API", AuthType: catalog.AuthOAuth2,
		OAuth2: &catalog.OAuth2Settings{
			AuthorizationURL: "https://auth.acme.example/authorize", TokenURL: "https://auth.acme.example/token",
			TokenAuthMethod: catalog.ClientSecretBasic,
		},
		Scopes:     []catalog.Scope{{Name: "devices.read"}, {Name: "devices.write"}, {Name: "offline_access"}},
		APIBaseURL: "https://api.acme.example/v1",
	}); err != nil {
		t.Fatal(err)
	}
	clientID, secret := "client-1", secrets.Secret("client-secret-1")
	if _, err := s.conns.CreateApplication(t.Context(), s.admin, connections.ApplicationInput{
		Service: "acme", Name: ptr("Production"), ClientID: &clientID, ClientSecret: &secret,
	}); err != nil {
		t.Fatal(err)
	}
	conn, err := s.conns.CreateConnection(t.Context(), s.admin, connections.ConnectionInput{
		Name: ptr("Acme"), Service: "acme", Scopes: &[]string{"devices.read", "devices.write", "offline_access"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The provider listed devices.read only, and issued a refresh token.
	if err := s.store.PutCredential(t.Context(), store.Credential{
		OrgID: s.orgID, ConnectionID: conn.ID, UserID: s.admin.UserID, Status: store.StatusConnected,
		RefreshTokenSealed: "sealed-refresh-token", GrantedScopes: []string{"devices.read"},
		ConnectedAt: s.clock.Now(), UpdatedAt: s.clock.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	sum, err := s.conns.Describe(t.Context(), s.admin, conn)
	if err != nil {
		t.Fatal(err)
	}

	page := s.adminClient().get("/connections/acme")
	rows := regexp.MustCompile(`(?s)<code>([a-z_.]+)</code>.*?<td data-label="Granted">(.*?)</td>`).FindAllStringSubmatch(page.body, -1)
	got := map[string]string{}
	for _, row := range rows {
		got[row[1]] = row[2]
	}
	for _, scope := range conn.Scopes {
		granted := strings.Contains(got[scope], "scope-granted")
		if want := contains(sum.GrantedScopes, scope); granted != want {
			t.Errorf("scope %s marked granted = %v, want %v as in granted_scopes %v", scope, granted, want, sum.GrantedScopes)
		}
		missing := strings.Contains(got[scope], "scope-missing")
		if want := contains(sum.MissingScopes, scope); missing != want {
			t.Errorf("scope %s marked missing = %v, want %v as in missing_scopes %v", scope, missing, want, sum.MissingScopes)
		}
	}
	if !strings.Contains(got["offline_access"], "scope-unlisted") {
		t.Errorf("offline_access row = %q, want it marked as not listed by the provider", got["offline_access"])
	}
}

func contains(list []string, s string) bool {
	for _, item := range list {
		if item == s {
			return true
		}
	}
	return false
}

func TestServiceListsConsistent(t *testing.T) {
	s := newSite(t)
	s.addAPIKeyService()
	c := s.adminClient()

	services := c.get("/services")
	wizard := c.get("/connections/new")
	for name, p := range map[string]page{"services page": services, "wizard": wizard} {
		wantContains(t, name, p, ">Default services", ">Custom services")
		if strings.Contains(p.body, ">Catalog") {
			t.Errorf("%s calls the default services the catalog", name)
		}
		// By key, atlassian_jira sorts before azure_devops; by name, Azure
		// DevOps sorts before Jira Cloud.
		if i, j := strings.Index(p.body, ">Azure DevOps<"), strings.Index(p.body, ">Jira Cloud<"); i < 0 || j < 0 || i > j {
			t.Errorf("%s: Azure DevOps at %d, Jira Cloud at %d; want both, sorted by name", name, i, j)
		}
		if !strings.Contains(p.body, "keyed · API key") && !strings.Contains(p.body, "keyed</code> · API key") {
			t.Errorf("%s does not label the api_key auth type %q", name, "API key")
		}
		if strings.Contains(p.body, "· oauth2<") || strings.Contains(p.body, "· api_key<") {
			t.Errorf("%s shows a raw auth type", name)
		}
	}

	wantContains(t, "header", services, `<span class="visually-hidden">Signed in as </span>admin <span class="role">(admin)</span>`)
}

func TestWebhookErrorsUseUIWords(t *testing.T) {
	_, c := newKeyedConnectionSite(t)
	resp := c.postBoundWebhook("https://desk.example/x")
	if resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("webhook to another host than the connection's: status %d, want 422\n%s", resp.status, resp.body)
	}
	wantContains(t, "URL error", page{body: resp.body}, `id="url-error">URL cannot be called through connection`, "add the host to its allowed hosts")
	if strings.Contains(resp.body, "allowed_hosts") {
		t.Errorf("URL error names the API field allowed_hosts")
	}
}
