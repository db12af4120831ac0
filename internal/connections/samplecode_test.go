package connections_test

import (
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/samplecode"
	"github.com/plugboard/plugboard/internal/store"
)

// withAPIDomain makes the fixture's service take its API host from the
// credential's api_domain, and gives it a sample path with a query.
func withAPIDomain(s *catalog.Service) {
	s.APIBaseURLExtra = "api_domain"
	s.SamplePath = "/devices?limit=5"
	s.AllowedHosts = nil
}

// putCredential stores a connected credential of userID whose api_domain
// is domain.
func (f *fixture) putCredential(t *testing.T, conn store.Connection, userID, domain string) {
	t.Helper()
	err := f.store.PutCredential(f.ctx, store.Credential{
		OrgID: testOrgID, ConnectionID: conn.ID, UserID: userID, Status: store.StatusConnected,
		Extras: map[string]any{"api_domain": domain}, ConnectedAt: testStart, UpdatedAt: testStart,
	})
	if err != nil {
		t.Fatalf("storing credential of %s: %v", userID, err)
	}
}

func TestSampleCallWithoutCredential(t *testing.T) {
	f := newFixture(t, withAPIDomain)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))

	got, err := f.manager.SampleCall(f.ctx, f.viewer, conn.LinkName)
	if err != nil {
		t.Fatalf("SampleCall as viewer: %v", err)
	}
	want := connectionsSample(conn, f.provider.server.URL+"/api/devices?limit=5")
	if got != want {
		t.Errorf("SampleCall = %+v, want %+v", got, want)
	}
}

func TestSampleCallUsesOwnersAPIDomain(t *testing.T) {
	f := newFixture(t, withAPIDomain)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
	f.putCredential(t, conn, f.developer.UserID, "https://eu.acme.example")

	for _, actor := range []connections.Actor{f.developer, f.otherDeveloper, f.viewer} {
		got, err := f.manager.SampleCall(f.ctx, actor, conn.LinkName)
		if err != nil {
			t.Fatalf("SampleCall as %s: %v", actor.Username, err)
		}
		if want := "https://eu.acme.example/api/devices?limit=5"; got.URL != want {
			t.Errorf("URL for %s = %q, want %q", actor.Username, got.URL, want)
		}
	}
}

func TestSampleCallSharedUsesCallersAPIDomain(t *testing.T) {
	f := newFixture(t, withAPIDomain)
	in := connectionInput("Acme devices")
	in.UseLoginUserCredentials = ptr(true)
	conn := f.createConnection(t, f.developer, in)
	f.putCredential(t, conn, f.developer.UserID, "https://eu.acme.example")
	f.putCredential(t, conn, f.otherDeveloper.UserID, "https://in.acme.example")

	tests := []struct {
		actor connections.Actor
		want  string
	}{
		{f.developer, "https://eu.acme.example/api/devices?limit=5"},
		{f.otherDeveloper, "https://in.acme.example/api/devices?limit=5"},
		// The viewer has no credential, so the owner's decides.
		{f.viewer, "https://eu.acme.example/api/devices?limit=5"},
	}
	for _, tt := range tests {
		got, err := f.manager.SampleCall(f.ctx, tt.actor, conn.LinkName)
		if err != nil {
			t.Fatalf("SampleCall as %s: %v", tt.actor.Username, err)
		}
		if got.URL != tt.want {
			t.Errorf("URL for %s = %q, want %q", tt.actor.Username, got.URL, tt.want)
		}
	}
}

func TestSampleCallZohoRegion(t *testing.T) {
	f := newFixture(t)
	f.createApplication(t, "zoho_crm", "Zoho", true)
	in := connections.ConnectionInput{Name: ptr("Zoho CRM EU"), Service: "zoho_crm", Region: "eu", Scopes: &[]string{}}
	conn := f.createConnection(t, f.developer, in)

	got, err := f.manager.SampleCall(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatalf("SampleCall: %v", err)
	}
	if want := "https://www.zohoapis.eu/crm/v2/Leads"; got.URL != want {
		t.Errorf("URL = %q, want %q", got.URL, want)
	}
	if got.Path != "/crm/v2/Leads" || got.ServiceName != "Zoho CRM" {
		t.Errorf("Path, ServiceName = %q, %q, want /crm/v2/Leads, Zoho CRM", got.Path, got.ServiceName)
	}

	// After connecting, the account's api_domain wins over the region.
	f.putCredential(t, conn, f.developer.UserID, "https://www.zohoapis.ca")
	got, err = f.manager.SampleCall(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatalf("SampleCall after connecting: %v", err)
	}
	if want := "https://www.zohoapis.ca/crm/v2/Leads"; got.URL != want {
		t.Errorf("URL after connecting = %q, want %q", got.URL, want)
	}
}

func TestSampleCallWithoutSamplePath(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))
	got, err := f.manager.SampleCall(f.ctx, f.developer, conn.LinkName)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.provider.server.URL + "/api"; got.URL != want {
		t.Errorf("URL = %q, want the API base URL %q", got.URL, want)
	}
	if got.Path != "" {
		t.Errorf("Path = %q, want empty", got.Path)
	}
}

func TestSampleCallUnknownConnection(t *testing.T) {
	f := newFixture(t)
	_, err := f.manager.SampleCall(f.ctx, f.viewer, "nope")
	f.wantProblem(t, err, 404, "connection_not_found")
}

func connectionsSample(conn store.Connection, url string) samplecode.Connection {
	return samplecode.Connection{
		LinkName: conn.LinkName, Name: conn.Name, ServiceName: "Service " + testServiceKey,
		URL: url, Path: "/devices?limit=5", PublicURL: testPublicURL,
	}
}
