package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// addOAuthService creates the custom OAuth service "acme" with one
// application. No request reaches its endpoints in these tests.
func (s *site) addOAuthService() {
	s.t.Helper()
	_, err := s.conns.CreateService(s.t.Context(), s.admin, catalog.Service{
		Key: "acme", Name: "Acme devices API", AuthType: catalog.AuthOAuth2,
		OAuth2: &catalog.OAuth2Settings{
			AuthorizationURL: "https://auth.acme.example/authorize", TokenURL: "https://auth.acme.example/token",
			TokenAuthMethod: catalog.ClientSecretBasic,
		},
		Scopes:     []catalog.Scope{{Name: "devices.read", Description: "Read devices"}, {Name: "devices.write"}},
		APIBaseURL: "https://api.acme.example/v1",
	})
	if err != nil {
		s.t.Fatalf("creating service acme: %v", err)
	}
	name, clientID, secret := "Production", "client-1", secrets.Secret("client-secret-1")
	if _, err := s.conns.CreateApplication(s.t.Context(), s.admin, connections.ApplicationInput{
		Service: "acme", Name: &name, ClientID: &clientID, ClientSecret: &secret,
	}); err != nil {
		s.t.Fatalf("creating application: %v", err)
	}
}

func (s *site) addAPIKeyService() {
	s.t.Helper()
	_, err := s.conns.CreateService(s.t.Context(), s.admin, catalog.Service{
		Key: "keyed", Name: "Keyed API", AuthType: catalog.AuthAPIKey,
		APIKey:     &catalog.APIKeySettings{Params: []catalog.APIKeyParam{{Name: "X-API-Key", In: "header"}}},
		APIBaseURL: "https://api.keyed.example",
	})
	if err != nil {
		s.t.Fatalf("creating service keyed: %v", err)
	}
}

// wizardForm returns the wizard's form for a service, with the CSRF token.
func (c *client) wizardForm(service string, values url.Values) url.Values {
	c.s.t.Helper()
	page := c.get("/connections/new?service=" + service)
	if page.status != http.StatusOK {
		c.s.t.Fatalf("wizard for %s: status %d\n%s", service, page.status, page.body)
	}
	values.Set("csrf_token", page.csrf(c.s.t))
	values.Set("service", service)
	return values
}

func TestWizardListsServices(t *testing.T) {
	s := newSite(t)
	s.addOAuthService()
	c := s.newClient()
	s.mustSignIn(c)

	page := c.get("/connections/new")
	if page.status != http.StatusOK || !strings.Contains(page.body, `id="custom-services"`) || !strings.Contains(page.body, `id="default-services"`) {
		t.Fatalf("service choice: status %d, want both groups\n%s", page.status, page.body)
	}
	if !strings.Contains(page.body, `href="/connections/new?service=acme"`) || !strings.Contains(page.body, `href="/connections/new?service=zoho_crm"`) {
		t.Errorf("service choice lacks the custom acme or the default zoho_crm")
	}
	page = c.get("/connections/new?q=acme+devices")
	if !strings.Contains(page.body, "service=acme") || strings.Contains(page.body, "service=zoho_crm") {
		t.Errorf("search for acme devices: want acme only")
	}
}

func TestWizardCreatesAndRedirectsToProvider(t *testing.T) {
	s := newSite(t)
	s.addOAuthService()
	c := s.newClient()
	s.mustSignIn(c)

	page := c.get("/connections/new?service=acme")
	if csp := page.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://auth.acme.example") {
		t.Errorf("wizard's Content-Security-Policy = %q, want the provider's origin as a form target", csp)
	}
	resp := c.post("/connections/new", c.wizardForm("acme", url.Values{
		"name": {"Acme devices"}, "link_name": {"acme_devices"}, "scopes": {"devices.read"},
	}))
	if resp.status != http.StatusSeeOther {
		t.Fatalf("create and connect: status %d, want 303\n%s", resp.status, resp.body)
	}
	target, err := url.Parse(resp.header.Get("Location"))
	if err != nil || target.Host != "auth.acme.example" || target.Query().Get("scope") != "devices.read" {
		t.Errorf("redirect = %q, want the provider's authorization URL with scope devices.read", resp.header.Get("Location"))
	}
	conn, err := s.store.GetConnection(t.Context(), s.orgID, "acme_devices")
	if err != nil || conn.Name != "Acme devices" || conn.OwnerID != s.admin.UserID {
		t.Errorf("stored connection = %+v, %v; want Acme devices owned by admin", conn, err)
	}

	// The same name again: the derived link name gets a suffix.
	resp = c.post("/connections/new", c.wizardForm("acme", url.Values{"name": {"Acme devices"}, "link_name": {"acme_devices"}}))
	if resp.status != http.StatusSeeOther {
		t.Fatalf("second create: status %d\n%s", resp.status, resp.body)
	}
	if _, err := s.store.GetConnection(t.Context(), s.orgID, "acme_devices_2"); err != nil {
		t.Errorf("second connection with the same name: %v, want link name acme_devices_2", err)
	}
}

func TestWizardKeepsInputOnError(t *testing.T) {
	s := newSite(t)
	s.addOAuthService()
	c := s.newClient()
	s.mustSignIn(c)

	tests := []struct {
		name   string
		values url.Values
		field  string
	}{
		{"missing name", url.Values{"description": {"Fleet"}, "scopes": {"devices.read"}}, "name-error"},
		{"invalid link name", url.Values{"name": {"Acme"}, "link_name": {"Bad Name"}, "description": {"Fleet"}, "scopes": {"devices.read"}}, "link_name-error"},
		{"unknown scope", url.Values{"name": {"Acme"}, "description": {"Fleet"}, "scopes": {"devices.read"}, "extra_scopes": {"admin.everything"}}, "scopes-error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := c.post("/connections/new", c.wizardForm("acme", tt.values))
			if resp.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422\n%s", resp.status, resp.body)
			}
			if !strings.Contains(resp.body, `id="`+tt.field+`"`) {
				t.Errorf("page has no error with id %s", tt.field)
			}
			if !strings.Contains(resp.body, ">Fleet</textarea>") {
				t.Errorf("the description typed is lost")
			}
			if !strings.Contains(resp.body, `value="devices.read" checked`) {
				t.Errorf("the ticked scope is lost")
			}
		})
	}
	conns, err := s.store.ListConnections(t.Context(), s.orgID, store.ListConnectionsOptions{})
	if err != nil || len(conns) != 0 {
		t.Errorf("connections after failed submissions = %d, %v; want none", len(conns), err)
	}
}

func TestWizardAPIKeyService(t *testing.T) {
	s := newSite(t)
	s.addAPIKeyService()
	c := s.newClient()
	s.mustSignIn(c)

	const key = "key-0123456789-secret"
	resp := c.post("/connections/new", c.wizardForm("keyed", url.Values{"name": {"Keyed"}}))
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, "Enter the X-API-Key.") {
		t.Errorf("create without the key: status %d, want 422 asking for X-API-Key\n%s", resp.status, resp.body)
	}
	resp = c.post("/connections/new", c.wizardForm("keyed", url.Values{"name": {""}, "credential_0": {key}}))
	if resp.status != http.StatusUnprocessableEntity || strings.Contains(resp.body, key) {
		t.Errorf("a failed create: status %d, want 422 without the key in the page", resp.status)
	}
	resp = c.post("/connections/new", c.wizardForm("keyed", url.Values{"name": {"Keyed"}, "credential_0": {key}}))
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/connections/keyed?connected=keyed" {
		t.Fatalf("create and connect: %d to %q, want 303 to the connection page", resp.status, resp.header.Get("Location"))
	}
	page := c.get("/connections/keyed?connected=keyed")
	if !strings.Contains(page.body, `id="status">Connected`) || strings.Contains(page.body, key) {
		t.Errorf("connection page after connecting with a key: want Connected and no key\n%s", page.body)
	}
}

func TestConnectionPageEditAndGuards(t *testing.T) {
	s := newSite(t)
	s.addAPIKeyService()
	c := s.newClient()
	s.mustSignIn(c)
	if resp := c.post("/connections/new", c.wizardForm("keyed", url.Values{"name": {"Keyed"}, "credential_0": {"k-1234567890"}})); resp.status != http.StatusSeeOther {
		t.Fatalf("create: status %d", resp.status)
	}

	// While connected, the guarded fields are not offered and a forged
	// change is rejected by the domain rule with its reason.
	page := c.get("/connections/keyed")
	if strings.Contains(page.body, `name="guarded"`) || !strings.Contains(page.body, `id="guarded-hint"`) {
		t.Errorf("edit form of a connected connection offers the guarded fields")
	}
	resp := c.post("/connections/keyed/edit", url.Values{
		"csrf_token": {page.csrf(t)}, "name": {"Keyed API"}, "guarded": {"1"}, "use_login_user_credentials": {"on"},
	})
	if resp.status != http.StatusConflict || !strings.Contains(resp.body, "revoke it before changing") {
		t.Errorf("changing the switch while connected: status %d, want 409 saying to revoke first\n%s", resp.status, resp.body)
	}
	if !strings.Contains(resp.body, `value="Keyed API"`) {
		t.Errorf("the name typed is lost after a refused edit")
	}

	// Name and description change at any time.
	resp = c.post("/connections/keyed/edit", url.Values{"csrf_token": {page.csrf(t)}, "name": {"Keyed API"}, "description": {"Billing"}})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/connections/keyed?notice=saved" {
		t.Errorf("edit name: %d to %q, want 303 with notice=saved", resp.status, resp.header.Get("Location"))
	}
	conn, err := s.store.GetConnection(t.Context(), s.orgID, "keyed")
	if err != nil || conn.Name != "Keyed API" || conn.Description != "Billing" {
		t.Errorf("connection after edit = %q / %q, %v; want Keyed API / Billing", conn.Name, conn.Description, err)
	}

	// After revoking, the switch may change.
	resp = c.post("/connections/keyed/revoke", url.Values{"csrf_token": {page.csrf(t)}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("revoke: status %d\n%s", resp.status, resp.body)
	}
	page = c.get("/connections/keyed")
	if !strings.Contains(page.body, `name="guarded"`) {
		t.Errorf("edit form of a revoked connection lacks the guarded fields")
	}
	resp = c.post("/connections/keyed/edit", url.Values{
		"csrf_token": {page.csrf(t)}, "name": {"Keyed API"}, "guarded": {"1"}, "use_login_user_credentials": {"on"},
	})
	if resp.status != http.StatusSeeOther {
		t.Errorf("changing the switch after revoking: status %d, want 303\n%s", resp.status, resp.body)
	}
	if conn, _ := s.store.GetConnection(t.Context(), s.orgID, "keyed"); !conn.UseLoginUserCredentials {
		t.Errorf("use_login_user_credentials after the edit = false, want true")
	}

	resp = c.post("/connections/keyed/delete", url.Values{"csrf_token": {page.csrf(t)}})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/?notice=deleted&link=keyed" {
		t.Errorf("delete: %d to %q, want 303 home", resp.status, resp.header.Get("Location"))
	}
	if resp := c.get("/connections/keyed"); resp.status != http.StatusNotFound {
		t.Errorf("deleted connection's page: status %d, want 404", resp.status)
	}
}

func TestHomeFilters(t *testing.T) {
	s := newSite(t)
	s.addAPIKeyService()
	c := s.newClient()
	s.mustSignIn(c)
	for _, name := range []string{"Billing keys", "Support keys"} {
		if resp := c.post("/connections/new", c.wizardForm("keyed", url.Values{"name": {name}, "credential_0": {"k-1234567890"}})); resp.status != http.StatusSeeOther {
			t.Fatalf("create %s: status %d", name, resp.status)
		}
	}
	page := c.get("/connections/support_keys")
	c.post("/connections/support_keys/revoke", url.Values{"csrf_token": {page.csrf(t)}})

	for _, tt := range []struct {
		query      string
		want, skip []string
	}{
		{"", []string{"billing_keys", "support_keys"}, nil},
		{"?q=billing", []string{"billing_keys"}, []string{"support_keys"}},
		{"?status=not_connected", []string{"support_keys"}, []string{"billing_keys"}},
		{"?service=keyed&status=connected", []string{"billing_keys"}, []string{"support_keys"}},
		{"?view=shared", nil, []string{"billing_keys", "support_keys"}},
	} {
		page := c.get("/" + tt.query)
		for _, link := range tt.want {
			if !strings.Contains(page.body, "<code>"+link+"</code>") {
				t.Errorf("home%s lacks %s", tt.query, link)
			}
		}
		for _, link := range tt.skip {
			if strings.Contains(page.body, "<code>"+link+"</code>") {
				t.Errorf("home%s lists %s", tt.query, link)
			}
		}
	}
}

func TestViewerCannotCreate(t *testing.T) {
	s := newSite(t)
	s.addAPIKeyService()
	if _, err := s.store.GetUserByUsername(t.Context(), s.orgID, "vera"); err == nil {
		t.Fatal("vera exists before the test creates her")
	}
	if err := s.store.CreateUser(t.Context(), store.User{OrgID: s.orgID, ID: "user-vera", Username: "vera", Role: store.RoleViewer, CreatedAt: s.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.conns.CreateConnection(t.Context(), s.admin, connections.ConnectionInput{Name: ptr("Keyed"), Service: "keyed"}); err != nil {
		t.Fatal(err)
	}
	setPassword(t, s, "vera", "veras-password")
	c := s.newClient()
	if resp := c.signIn("vera", "veras-password"); resp.status != http.StatusSeeOther {
		t.Fatalf("vera's sign-in: status %d", resp.status)
	}

	if home := c.get("/"); strings.Contains(home.body, `id="new-connection"`) {
		t.Errorf("a viewer's home offers New connection")
	}
	resp := c.post("/connections/new", c.wizardForm("keyed", url.Values{"name": {"Mine"}, "credential_0": {"k-1234567890"}}))
	if resp.status != http.StatusForbidden || !strings.Contains(resp.body, `id="form-error">Role &#34;viewer&#34;`) {
		t.Errorf("a viewer's create: status %d, want 403 naming the role\n%s", resp.status, resp.body)
	}
	page := c.get("/connections/keyed")
	if strings.Contains(page.body, `id="connect"`) || strings.Contains(page.body, `id="delete"`) || strings.Contains(page.body, `id="edit-form"`) {
		t.Errorf("a viewer's connection page offers Connect, Edit or Delete")
	}
	if !strings.Contains(page.body, "Viewers read connections but never use credentials.") {
		t.Errorf("a viewer's connection page does not say why there are no actions")
	}
}

func ptr[T any](v T) *T { return &v }

func setPassword(t *testing.T, s *site, username, password string) {
	t.Helper()
	if _, err := members.SetUserPassword(t.Context(), s.store, s.orgID, username, password); err != nil {
		t.Fatal(err)
	}
}

func TestServiceWithoutCredential(t *testing.T) {
	s := newSite(t)
	if _, err := s.conns.CreateService(t.Context(), s.admin, catalog.Service{
		Key: "open_data", Name: "Open data", AuthType: catalog.AuthNone, APIBaseURL: "https://data.example",
	}); err != nil {
		t.Fatal(err)
	}
	c := s.newClient()
	s.mustSignIn(c)
	if page := c.get("/connections/new?service=open_data"); !strings.Contains(page.body, `id="create-and-connect">Create</button>`) {
		t.Errorf("wizard of a service without credentials offers to connect")
	}
	resp := c.post("/connections/new", c.wizardForm("open_data", url.Values{"name": {"Open data"}}))
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/connections/open_data?notice=created" {
		t.Fatalf("create: %d to %q, want 303 to the connection page", resp.status, resp.header.Get("Location"))
	}
	page := c.get("/connections/open_data?notice=created")
	if strings.Contains(page.body, `id="connect"`) || !strings.Contains(page.body, `id="no-credential"`) {
		t.Errorf("page of a connection without credentials offers Connect")
	}
}
