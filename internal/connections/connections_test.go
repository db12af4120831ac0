package connections_test

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

func TestCreateConnectionMatchesStored(t *testing.T) {
	tests := []struct {
		name   string
		scopes *[]string
	}{
		{"with scopes", &[]string{"devices.read"}},
		{"without scopes", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in := connections.ConnectionInput{Name: ptr("Acme devices"), Service: testServiceKey, Scopes: tt.scopes}

			created := f.createConnection(t, f.developer, in)

			stored, err := f.manager.Connection(f.ctx, testOrgID, created.LinkName)
			if err != nil {
				t.Fatalf("Connection: %v", err)
			}
			if !reflect.DeepEqual(created, stored) {
				t.Errorf("created connection = %+v, want it equal to the stored one %+v", created, stored)
			}
			if created.Scopes == nil {
				t.Errorf("created connection scopes = nil, want an empty list")
			}
			if created.ApplicationID != f.application.ID {
				t.Errorf("application = %q, want the default %q", created.ApplicationID, f.application.ID)
			}
			if created.OwnerID != f.developer.UserID {
				t.Errorf("owner = %q, want %q", created.OwnerID, f.developer.UserID)
			}
		})
	}
}

func TestCreateConnectionUndeclaredScope(t *testing.T) {
	f := newFixture(t)

	_, err := f.manager.CreateConnection(f.ctx, f.developer, connectionInput("Acme devices", "devices.read", "devices.admin"))

	p := f.wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_scope")
	if !strings.Contains(p.Detail, "devices.admin") {
		t.Errorf("detail %q does not name the undeclared scope devices.admin", p.Detail)
	}
	conns, err := f.manager.ListConnections(f.ctx, f.developer, connections.ViewMine, "", 0)
	if err != nil {
		t.Fatalf("ListConnections: %v", err)
	}
	if len(conns) != 0 {
		t.Errorf("found %d connections after a rejected create, want 0", len(conns))
	}
}

func TestUpdateConnectionUndeclaredScope(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices", "devices.read"))

	_, err := f.manager.UpdateConnection(f.ctx, f.developer, conn.LinkName,
		connections.ConnectionInput{Scopes: &[]string{"devices.admin"}})

	p := f.wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_scope")
	if !strings.Contains(p.Detail, "devices.admin") {
		t.Errorf("detail %q does not name the undeclared scope devices.admin", p.Detail)
	}
}

func TestCreateConnectionFreeScopes(t *testing.T) {
	f := newFixture(t)
	svc := f.oauthService("freeform")
	svc.FreeScopes = true
	f.createService(t, svc)
	f.createApplication(t, "freeform", "Production", true)

	in := connections.ConnectionInput{
		Name: ptr("Freeform"), Service: "freeform", Scopes: &[]string{"anything.at_all", "devices.read"},
	}
	conn := f.createConnection(t, f.developer, in)

	want := []string{"anything.at_all", "devices.read"}
	if !slices.Equal(conn.Scopes, want) {
		t.Errorf("scopes = %v, want %v", conn.Scopes, want)
	}
}

func TestCreateConnectionApplication(t *testing.T) {
	// Each case registers applications of the service "widgets" by name;
	// "gadget" belongs to the service "gadgets".
	tests := []struct {
		name     string
		apps     []string
		defaults string // the application marked default, if any
		explicit string // the application named in the input, if any
		want     string // the application picked, or "" when the create fails
		status   int
		code     string
	}{
		{name: "none", want: "", status: http.StatusUnprocessableEntity, code: "application_required"},
		{name: "one", apps: []string{"a"}, want: "a"},
		{name: "several with default", apps: []string{"a", "b", "c"}, defaults: "b", want: "b"},
		{name: "several without default", apps: []string{"a", "b"}, status: http.StatusUnprocessableEntity, code: "application_required"},
		{name: "explicit", apps: []string{"a", "b"}, defaults: "a", explicit: "b", want: "b"},
		{name: "of another service", apps: []string{"a"}, explicit: "gadget", status: http.StatusUnprocessableEntity, code: "invalid_application"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.createService(t, f.oauthService("widgets"))
			f.createService(t, f.oauthService("gadgets"))
			ids := map[string]string{"gadget": f.createApplication(t, "gadgets", "gadget", true).ID}
			for _, name := range tt.apps {
				ids[name] = f.createApplication(t, "widgets", name, name == tt.defaults).ID
			}
			in := connections.ConnectionInput{Name: ptr("Widgets"), Service: "widgets"}
			if tt.explicit != "" {
				in.Application = ptr(ids[tt.explicit])
			}

			conn, err := f.manager.CreateConnection(f.ctx, f.developer, in)

			if tt.code != "" {
				f.wantProblem(t, err, tt.status, tt.code)
				return
			}
			if err != nil {
				t.Fatalf("CreateConnection: %v", err)
			}
			if conn.ApplicationID != ids[tt.want] {
				t.Errorf("application = %q, want %s (%q)", conn.ApplicationID, tt.want, ids[tt.want])
			}
		})
	}
}

func TestCreateConnectionUnknownApplication(t *testing.T) {
	f := newFixture(t)
	in := connectionInput("Acme devices")
	in.Application = ptr("no-such-application")

	_, err := f.manager.CreateConnection(f.ctx, f.developer, in)

	f.wantProblem(t, err, http.StatusNotFound, "application_not_found")
}

func TestCreateConnectionAPIKeyNeedsNoApplication(t *testing.T) {
	f := newFixture(t)
	f.createService(t, catalog.Service{
		Key:        "keyed",
		Name:       "Keyed",
		AuthType:   catalog.AuthAPIKey,
		APIKey:     &catalog.APIKeySettings{Params: []catalog.APIKeyParam{{Name: "X-API-Key", In: "header"}}},
		APIBaseURL: f.provider.server.URL + "/api",
	})

	conn := f.createConnection(t, f.developer, connections.ConnectionInput{Name: ptr("Keyed"), Service: "keyed"})

	if conn.ApplicationID != "" {
		t.Errorf("application = %q, want none", conn.ApplicationID)
	}
}

func TestUpdateConnectionWhileConnected(t *testing.T) {
	// Each case puts a credential with credentialStatus (none when empty) for
	// credentialUser, then applies change.
	tests := []struct {
		name             string
		shared           bool
		credentialUser   string
		credentialStatus string
		change           func(staging string) connections.ConnectionInput
		wantCode         string
	}{
		{
			name: "name while connected", credentialStatus: store.StatusConnected,
			change: func(string) connections.ConnectionInput { return connections.ConnectionInput{Name: ptr("Renamed")} },
		},
		{
			name: "description while connected", credentialStatus: store.StatusConnected,
			change: func(string) connections.ConnectionInput {
				return connections.ConnectionInput{Description: ptr("Pumps in hall 7")}
			},
		},
		{
			name: "same scopes while connected", credentialStatus: store.StatusConnected,
			change: func(string) connections.ConnectionInput {
				return connections.ConnectionInput{Scopes: &[]string{"devices.read"}}
			},
		},
		{
			name: "scopes while connected", credentialStatus: store.StatusConnected,
			change: func(string) connections.ConnectionInput {
				return connections.ConnectionInput{Scopes: &[]string{"devices.read", "devices.write"}}
			},
			wantCode: "connection_connected",
		},
		{
			name: "application while connected", credentialStatus: store.StatusConnected,
			change: func(staging string) connections.ConnectionInput {
				return connections.ConnectionInput{Application: &staging}
			},
			wantCode: "connection_connected",
		},
		{
			name: "flag while connected", credentialStatus: store.StatusConnected,
			change: func(string) connections.ConnectionInput {
				return connections.ConnectionInput{UseLoginUserCredentials: ptr(true)}
			},
			wantCode: "connection_connected",
		},
		{
			name: "scopes while a member is connected", shared: true, credentialUser: "u-dev2", credentialStatus: store.StatusConnected,
			change: func(string) connections.ConnectionInput {
				return connections.ConnectionInput{Scopes: &[]string{"devices.write"}}
			},
			wantCode: "connection_connected",
		},
		{
			name: "scopes while not connected",
			change: func(string) connections.ConnectionInput {
				return connections.ConnectionInput{Scopes: &[]string{"devices.read", "devices.write"}}
			},
		},
		{
			name: "scopes while needing reauthorization", credentialStatus: store.StatusNeedsReauth,
			change: func(string) connections.ConnectionInput {
				return connections.ConnectionInput{Scopes: &[]string{"devices.write"}}
			},
		},
		{
			name: "application while not connected",
			change: func(staging string) connections.ConnectionInput {
				return connections.ConnectionInput{Application: &staging}
			},
		},
		{
			name: "flag while not connected",
			change: func(string) connections.ConnectionInput {
				return connections.ConnectionInput{UseLoginUserCredentials: ptr(true)}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			staging := f.createApplication(t, testServiceKey, "Staging", false)
			in := connectionInput("Acme devices", "devices.read")
			in.UseLoginUserCredentials = &tt.shared
			conn := f.createConnection(t, f.developer, in)
			if tt.credentialStatus != "" {
				user := tt.credentialUser
				if user == "" {
					user = conn.OwnerID
				}
				err := f.store.PutCredential(f.ctx, store.Credential{
					OrgID: testOrgID, ConnectionID: conn.ID, UserID: user, Status: tt.credentialStatus, UpdatedAt: testStart,
				})
				if err != nil {
					t.Fatalf("PutCredential: %v", err)
				}
			}
			change := tt.change(staging.ID)

			updated, err := f.manager.UpdateConnection(f.ctx, f.developer, conn.LinkName, change)

			stored, getErr := f.manager.Connection(f.ctx, testOrgID, conn.LinkName)
			if getErr != nil {
				t.Fatalf("Connection: %v", getErr)
			}
			if tt.wantCode != "" {
				p := f.wantProblem(t, err, http.StatusConflict, tt.wantCode)
				if !strings.Contains(p.Detail, "revoke") {
					t.Errorf("detail %q does not say to revoke first", p.Detail)
				}
				if !reflect.DeepEqual(stored, conn) {
					t.Errorf("stored connection after a refused update = %+v, want it unchanged %+v", stored, conn)
				}
				return
			}
			if err != nil {
				t.Fatalf("UpdateConnection: %v", err)
			}
			if !reflect.DeepEqual(updated, stored) {
				t.Errorf("returned connection = %+v, want the stored one %+v", updated, stored)
			}
			if change.Name != nil && stored.Name != *change.Name {
				t.Errorf("name = %q, want %q", stored.Name, *change.Name)
			}
			if change.Description != nil && stored.Description != *change.Description {
				t.Errorf("description = %q, want %q", stored.Description, *change.Description)
			}
			if change.Scopes != nil && !slices.Equal(stored.Scopes, *change.Scopes) {
				t.Errorf("scopes = %v, want %v", stored.Scopes, *change.Scopes)
			}
			if change.Application != nil && stored.ApplicationID != *change.Application {
				t.Errorf("application = %q, want %q", stored.ApplicationID, *change.Application)
			}
			if change.UseLoginUserCredentials != nil && stored.UseLoginUserCredentials != *change.UseLoginUserCredentials {
				t.Errorf("use_login_user_credentials = %t, want %t", stored.UseLoginUserCredentials, *change.UseLoginUserCredentials)
			}
			if stored.LinkName != conn.LinkName {
				t.Errorf("link name = %q, want %q", stored.LinkName, conn.LinkName)
			}
		})
	}
}

func TestViewerCannotManageOrUse(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices", "devices.read"))
	f.connect(t, f.developer, conn.LinkName)
	shared := connectionInput("Shared devices", "devices.read")
	shared.UseLoginUserCredentials = ptr(true)
	sharedConn := f.createConnection(t, f.developer, shared)

	tests := []struct {
		name string
		call func() error
	}{
		{"CreateConnection", func() error {
			_, err := f.manager.CreateConnection(f.ctx, f.viewer, connectionInput("Viewer devices"))
			return err
		}},
		{"UpdateConnection", func() error {
			_, err := f.manager.UpdateConnection(f.ctx, f.viewer, conn.LinkName, connections.ConnectionInput{Name: ptr("Mine")})
			return err
		}},
		{"DeleteConnection", func() error {
			return f.manager.DeleteConnection(f.ctx, f.viewer, conn.LinkName)
		}},
		{"Token", func() error {
			_, err := f.manager.Token(f.ctx, f.viewer, conn.LinkName)
			return err
		}},
		{"Token on a shared connection", func() error {
			_, err := f.manager.Token(f.ctx, f.viewer, sharedConn.LinkName)
			return err
		}},
		{"Connect", func() error {
			_, err := f.manager.Connect(f.ctx, f.viewer, sharedConn.LinkName, "", nil)
			return err
		}},
		{"PrepareCall", func() error {
			_, err := f.manager.PrepareCall(f.ctx, f.viewer, conn.LinkName)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.wantProblem(t, tt.call(), http.StatusForbidden, "forbidden")
		})
	}

	if _, err := f.manager.Connection(f.ctx, testOrgID, "viewer_devices"); err == nil {
		t.Errorf("the viewer's connection exists, want none")
	}
	stored := f.credential(t, conn, f.developer.UserID)
	if stored.Status != store.StatusConnected {
		t.Errorf("credential status after the viewer's calls = %q, want %q", stored.Status, store.StatusConnected)
	}
}

func TestDeleteConnectionRevokesEveryCredential(t *testing.T) {
	for _, revokeStatus := range []int{http.StatusOK, http.StatusInternalServerError} {
		t.Run(http.StatusText(revokeStatus), func(t *testing.T) {
			f := newFixture(t)
			f.provider.setRevokeStatus(revokeStatus)
			in := connectionInput("Shared devices", "devices.read")
			in.UseLoginUserCredentials = ptr(true)
			conn := f.createConnection(t, f.developer, in)
			f.connect(t, f.developer, conn.LinkName)
			f.connect(t, f.otherDeveloper, conn.LinkName)

			if err := f.manager.DeleteConnection(f.ctx, f.developer, conn.LinkName); err != nil {
				t.Fatalf("DeleteConnection: %v", err)
			}

			var revoked []string
			for _, r := range f.provider.revocations() {
				revoked = append(revoked, r.form.Get("token"))
			}
			slices.Sort(revoked)
			want := f.provider.issuedTokens()
			slices.Sort(want)
			if !slices.Equal(revoked, want) {
				t.Errorf("revoked tokens = %v, want every issued token %v", revoked, want)
			}
			_, err := f.manager.Connection(f.ctx, testOrgID, conn.LinkName)
			f.wantProblem(t, err, http.StatusNotFound, "connection_not_found")
			creds, err := f.store.ListCredentials(f.ctx, testOrgID, conn.ID)
			if err != nil {
				t.Fatalf("ListCredentials: %v", err)
			}
			if len(creds) != 0 {
				t.Errorf("found %d credentials after delete, want 0", len(creds))
			}
		})
	}
}

func TestDeleteConnectionOwnerOrAdmin(t *testing.T) {
	f := newFixture(t)
	conn := f.createConnection(t, f.developer, connectionInput("Acme devices"))

	err := f.manager.DeleteConnection(f.ctx, f.otherDeveloper, conn.LinkName)
	f.wantProblem(t, err, http.StatusForbidden, "forbidden")

	if err := f.manager.DeleteConnection(f.ctx, f.admin, conn.LinkName); err != nil {
		t.Fatalf("DeleteConnection by an admin: %v", err)
	}
	_, err = f.manager.Connection(f.ctx, testOrgID, conn.LinkName)
	f.wantProblem(t, err, http.StatusNotFound, "connection_not_found")
}
