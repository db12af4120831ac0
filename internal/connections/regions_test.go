package connections_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/egress"
)

// zohoLike turns the fixture's service into one shaped like Zoho's: two
// data centres whose accounts host differs, the API host taken from the
// token response's api_domain, the Zoho-oauthtoken header and a default
// token lifetime. The "eu" region points at the fixture's provider and
// "com" at an address nothing listens on.
func zohoLike(s *catalog.Service) {
	{
		providerURL := strings.TrimSuffix(s.OAuth2.TokenURL, "/token")
		euHost := strings.TrimPrefix(providerURL, "http://")
		s.Regions = []catalog.Region{
			{ID: "com", Name: "United States", Vars: map[string]string{"accounts": "127.0.0.1:9", "api": "127.0.0.1:9"}},
			{ID: "eu", Name: "Europe", Vars: map[string]string{"accounts": euHost, "api": "127.0.0.1:9"}},
		}
		s.DefaultRegion = "com"
		s.OAuth2.AuthorizationURL = "http://{accounts}/authorize"
		s.OAuth2.TokenURL = "http://{accounts}/token"
		s.OAuth2.RevocationURL = "http://{accounts}/revoke"
		s.APIBaseURL = "http://{api}/crm/v2"
		s.APIBaseURLExtra = "api_domain"
		s.CredentialPlacement = &catalog.Placement{Header: "Authorization", Format: "Zoho-oauthtoken {access_token}"}
		s.DefaultTokenLifetime = catalog.Duration(2 * time.Hour)
	}
}

// apiServer records the Authorization header and path of each request.
type apiServer struct {
	server *httptest.Server
	mu     sync.Mutex
	auth   []string
	paths  []string
}

func newAPIServer(t *testing.T) *apiServer {
	a := &apiServer{}
	a.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.auth = append(a.auth, r.Header.Get("Authorization"))
		a.paths = append(a.paths, r.URL.Path)
		a.mu.Unlock()
		w.Write([]byte(`{"data": []}`))
	}))
	t.Cleanup(a.server.Close)
	return a
}

func TestRegionalConnectionUsesItsDataCentre(t *testing.T) {
	api := newAPIServer(t)
	f := newFixture(t, zohoLike)
	f.provider.setRespond(func(_ url.Values, n int) providerResponse {
		return providerResponse{status: http.StatusOK, body: map[string]any{
			"access_token": "at-secret-1", "refresh_token": "rt-secret-1", "token_type": "Bearer",
			"expires_in": 3600000, "expires_in_sec": 3600, "api_domain": api.server.URL,
		}}
	})

	in := connectionInput("CRM Europe", "devices.read")
	in.Region = "eu"
	conn := f.createConnection(t, f.developer, in)
	if conn.Region != "eu" {
		t.Fatalf("connection region = %q, want eu", conn.Region)
	}
	query := f.authorize(t, f.developer, conn.LinkName, "")
	if _, err := f.manager.CompleteAuthorization(f.ctx, query.Get("state"), "code-0123456789", "", "", nil); err != nil {
		t.Fatalf("CompleteAuthorization: %v", err)
	}
	if n := len(f.provider.tokenRequestsOf("authorization_code")); n != 1 {
		t.Fatalf("the eu accounts server received %d code exchanges, want 1", n)
	}
	cred := f.credential(t, conn, f.developer.UserID)
	if want := f.clock.Now().Add(time.Hour); !cred.Expiry.Equal(want) {
		t.Errorf("expiry = %v, want %v from expires_in_sec", cred.Expiry, want)
	}

	call, err := f.manager.PrepareCall(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatal(err)
	}
	sender := egress.NewSender(egress.TransportOptions{AllowPrivate: true}, slog.New(slog.DiscardHandler))
	target, err := call.Resolve("/Leads")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := sender.Do(f.ctx, &egress.Request{Method: "GET", URL: target.String()}, call.Allowlist, call.Authorizer)
	if err != nil {
		t.Fatalf("calling through the connection: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if len(api.auth) != 1 || api.auth[0] != "Zoho-oauthtoken at-secret-1" || api.paths[0] != "/crm/v2/Leads" {
		t.Errorf("API server got %v at %v, want Zoho-oauthtoken at-secret-1 at /crm/v2/Leads", api.auth, api.paths)
	}
}

func TestRegionRejectedWhenUnknown(t *testing.T) {
	f := newFixture(t, zohoLike)
	in := connectionInput("CRM", "devices.read")
	in.Region = "mars"
	_, err := f.manager.CreateConnection(f.ctx, f.developer, in)
	p := f.wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_region")
	if !strings.Contains(p.Detail, "com, eu") && !strings.Contains(p.Detail, "eu") {
		t.Errorf("detail %q does not list the valid regions", p.Detail)
	}

	conn := f.createConnection(t, f.developer, connectionInput("CRM default", "devices.read"))
	if conn.Region != "com" {
		t.Errorf("region without a choice = %q, want the default com", conn.Region)
	}
	_, err = f.manager.UpdateConnection(f.ctx, f.developer, conn.LinkName, connections.ConnectionInput{Region: "eu"})
	f.wantProblem(t, err, http.StatusUnprocessableEntity, "immutable_field")
}

func TestDefaultLifetimeWithoutExpiresIn(t *testing.T) {
	f := newFixture(t, zohoLike)
	f.provider.setRespond(func(_ url.Values, n int) providerResponse {
		return providerResponse{status: http.StatusOK, body: map[string]any{
			"access_token": "at-secret-1", "refresh_token": "rt-secret-1", "token_type": "Bearer",
		}}
	})
	in := connectionInput("CRM Europe", "devices.read")
	in.Region = "eu"
	conn := f.createConnection(t, f.developer, in)
	f.connect(t, f.developer, conn.LinkName)
	if cred := f.credential(t, conn, f.developer.UserID); !cred.Expiry.Equal(f.clock.Now().Add(2 * time.Hour)) {
		t.Errorf("expiry = %v, want the service's 2h default lifetime from now", cred.Expiry)
	}
}
