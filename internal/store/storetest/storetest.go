// Package storetest is the conformance suite for implementations of
// store.Store. Each backend's tests call Run, so every backend keeps the same
// contract.
//
// The suite uses only the store.Store interface. Every subtest creates its own
// orgs with random IDs and names, so subtests never read one another's rows
// and a backend may run the whole suite against one shared database.
//
// Beyond the doc comments of package store, the suite fixes these points of
// the contract:
//   - Times come back in UTC, at nanosecond precision; a zero time stays zero.
//   - Scopes, permissions and credential extras round trip as JSON values, so
//     numbers in Extras come back as float64.
//   - Update functions cannot change a record's identity: its org, ID, key or
//     link name, service, owner and creation time.
//   - Updating, deleting or touching a missing record returns ErrNotFound.
//   - A record of one org is never found, listed, changed or deleted through
//     another org's ID.
//   - DeleteUser also deletes the user's pending OAuth states, web
//     sessions and pending secrets.
//   - A failed CreateEvent stores neither the event nor any of its
//     deliveries, and a delivery to a missing webhook fails it.
//   - ClaimDeliveries with a limit of zero claims nothing. A lease is lapsed
//     once its LeaseUntil is not after the claim's now, and claiming does
//     not change UpdatedAt.
//   - FinishDelivery by an owner whose lease lapsed succeeds until another
//     owner claims the delivery. It fails with ErrLeaseLost for a missing
//     delivery, an unleased one and an empty owner.
//   - RequeueDelivery returns a pending delivery unchanged, even a leased
//     one, so it never takes a delivery from the worker that holds it.
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/store"
)

// Run runs the conformance suite against the stores that open returns. Run
// calls open once for each group of subtests, with that group's *testing.T.
// open may return a fresh store or a shared one, and it registers the store's
// Close with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name string
		test func(t *testing.T, s store.Store)
	}{
		{"Ping", testPing},
		{"Orgs", testOrgs},
		{"Users", testUsers},
		{"APITokens", testAPITokens},
		{"Services", testServices},
		{"Applications", testApplications},
		{"Connections", testConnections},
		{"ListConnections", testListConnections},
		{"Credentials", testCredentials},
		{"OAuthStates", testOAuthStates},
		{"OrgIsolation", testOrgIsolation},
		{"ResealAll", testResealAll},
		{"ListRefreshDue", testListRefreshDue},
		{"DeleteConnectionWithWebhook", testDeleteConnectionWithWebhook},
		{"OrgLookup", testOrgLookup},
		{"UserChanges", testUserChanges},
		{"APITokenChanges", testAPITokenChanges},
		{"Webhooks", testWebhooks},
		{"ListWebhooks", testListWebhooks},
		{"Events", testEvents},
		{"OldEvents", testOldEvents},
		{"Deliveries", testDeliveries},
		{"ClaimDeliveries", testClaimDeliveries},
		{"Audit", testAudit},
		{"Functions", testFunctions},
		{"ListFunctions", testListFunctions},
		{"DeleteConnectionWithFunction", testDeleteConnectionWithFunction},
		{"AuthzClients", testAuthzClients},
		{"AuthzRequests", testAuthzRequests},
		{"AuthzTokens", testAuthzTokens},
		{"AuthzSigningKeys", testAuthzSigningKeys},
		{"Passwords", testPasswords},
		{"WebSessions", testWebSessions},
		{"WebSessionsOfUser", testWebSessionsOfUser},
		{"DeleteExpiredWebSessions", testDeleteExpiredWebSessions},
		{"PendingSecrets", testPendingSecrets},
		{"LoginFailures", testLoginFailures},
		{"ConnectionUses", testConnectionUses},
		{"CacheGeneration", testCacheGeneration},
		{"DeleteRaces", testDeleteRaces},
	}
	for _, group := range groups {
		t.Run(group.name, func(t *testing.T) {
			group.test(t, open(t))
		})
	}
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping() error = %v, want nil", err)
	}
}

// uniqueID returns prefix, an underscore and 16 random lower-case hex digits,
// which is also a valid link name when prefix is one.
func uniqueID(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// at returns a fixed instant with a nanosecond fraction, in a zone east of
// UTC, plus d. Stores return times in UTC, so tests compare with inUTC.
func at(d time.Duration) time.Time {
	return time.Date(2030, 5, 6, 9, 8, 7, 123456789, time.FixedZone("UTC+2", 2*60*60)).Add(d)
}

func inUTC(t time.Time) time.Time {
	return t.UTC()
}

// checkEqual compares with reflect.DeepEqual, which also compares time
// locations. A time read back from a store equals inUTC(want) only when the
// store returns it in UTC.
func checkEqual[T any](t *testing.T, label string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s mismatch:\n got  %+v\n want %+v", label, got, want)
	}
}

func createOrg(t *testing.T, s store.Store) store.Org {
	t.Helper()
	org := newOrg()
	if err := s.CreateOrg(t.Context(), org); err != nil {
		t.Fatalf("CreateOrg(%q) error = %v", org.Name, err)
	}
	return org
}

func newOrg() store.Org {
	id := uniqueID("org")
	return store.Org{ID: id, Name: "name_" + id, CreatedAt: at(0)}
}

func createUser(t *testing.T, s store.Store, orgID, username string) store.User {
	t.Helper()
	return createUserWithID(t, s, orgID, uniqueID("user"), username)
}

// createUserWithID creates a user with a given ID, such as the ID of a user
// of another org.
func createUserWithID(t *testing.T, s store.Store, orgID, id, username string) store.User {
	t.Helper()
	user := store.User{OrgID: orgID, ID: id, Username: username, Role: store.RoleDeveloper, CreatedAt: at(0)}
	if err := s.CreateUser(t.Context(), user); err != nil {
		t.Fatalf("CreateUser(%q) error = %v", username, err)
	}
	return user
}

func newService(orgID, key, createdBy string) store.CustomService {
	pkce := true
	return store.CustomService{
		OrgID: orgID,
		Service: catalog.Service{
			Key:         key,
			Name:        "Acme " + key,
			Description: "Devices of Acme",
			Kind:        catalog.KindCustom,
			AuthType:    catalog.AuthOAuth2,
			OAuth2: &catalog.OAuth2Settings{
				AuthorizationURL:    "https://auth.acme.example/authorize",
				TokenURL:            "https://auth.acme.example/token",
				RevocationURL:       "https://auth.acme.example/revoke",
				TokenAuthMethod:     catalog.ClientSecretBasic,
				PKCE:                &pkce,
				ScopeSeparator:      " ",
				AuthorizationParams: map[string]string{"prompt": "consent"},
			},
			Scopes:       []catalog.Scope{{Name: "devices.read", Description: "Read devices"}, {Name: "devices.write"}},
			APIBaseURL:   "https://api.acme.example/v1",
			AllowedHosts: []string{"files.acme.example"},
			DocsURL:      "https://docs.acme.example/oauth",
		},
		CreatedBy: createdBy,
		CreatedAt: at(0),
		UpdatedAt: at(0),
	}
}

func createService(t *testing.T, s store.Store, orgID, key, createdBy string) store.CustomService {
	t.Helper()
	svc := newService(orgID, key, createdBy)
	if err := s.CreateService(t.Context(), svc); err != nil {
		t.Fatalf("CreateService(%q) error = %v", key, err)
	}
	return svc
}

func wantService(svc store.CustomService) store.CustomService {
	svc.CreatedAt = inUTC(svc.CreatedAt)
	svc.UpdatedAt = inUTC(svc.UpdatedAt)
	return svc
}

func newApplication(orgID, serviceKey string, isDefault bool) store.Application {
	id := uniqueID("app")
	return store.Application{
		OrgID:              orgID,
		ID:                 id,
		ServiceKey:         serviceKey,
		Name:               "Production " + id,
		ClientID:           "client-" + id,
		ClientSecretSealed: "sealed-secret-" + id,
		Default:            isDefault,
		CreatedAt:          at(0),
		UpdatedAt:          at(0),
	}
}

func createApplication(t *testing.T, s store.Store, orgID, serviceKey string, isDefault bool) store.Application {
	t.Helper()
	app := newApplication(orgID, serviceKey, isDefault)
	if err := s.CreateApplication(t.Context(), app); err != nil {
		t.Fatalf("CreateApplication(%q) error = %v", app.ID, err)
	}
	return app
}

func wantApplication(app store.Application) store.Application {
	app.CreatedAt = inUTC(app.CreatedAt)
	app.UpdatedAt = inUTC(app.UpdatedAt)
	return app
}

func newConnection(orgID, linkName, serviceKey, ownerID string) store.Connection {
	return store.Connection{
		OrgID:       orgID,
		ID:          uniqueID("conn"),
		LinkName:    linkName,
		Name:        "Display " + linkName,
		Description: "Connection " + linkName,
		ServiceKey:  serviceKey,
		Region:      "eu",
		Scopes:      []string{"devices.read", "devices.write"},
		OwnerID:     ownerID,
		CreatedAt:   at(0),
		UpdatedAt:   at(0),
	}
}

func createConnection(t *testing.T, s store.Store, conn store.Connection) store.Connection {
	t.Helper()
	if err := s.CreateConnection(t.Context(), conn); err != nil {
		t.Fatalf("CreateConnection(%q) error = %v", conn.LinkName, err)
	}
	return conn
}

// canonConnection treats a nil and an empty scope list as equal, so the
// suite does not prescribe either.
func canonConnection(conn store.Connection) store.Connection {
	if len(conn.Scopes) == 0 {
		conn.Scopes = nil
	}
	return conn
}

func wantConnection(conn store.Connection) store.Connection {
	conn = canonConnection(conn)
	conn.CreatedAt = inUTC(conn.CreatedAt)
	conn.UpdatedAt = inUTC(conn.UpdatedAt)
	return conn
}

func linkNames(conns []store.Connection) []string {
	names := []string{}
	for _, conn := range conns {
		names = append(names, conn.LinkName)
	}
	return names
}

// connectionFixture creates an org, a user and a connection the user owns.
func connectionFixture(t *testing.T, s store.Store) (store.Org, store.User, store.Connection) {
	t.Helper()
	org := createOrg(t, s)
	user := createUser(t, s, org.ID, "alice")
	conn := createConnection(t, s, newConnection(org.ID, "crm", "acme_devices", user.ID))
	return org, user, conn
}

func newCredential(orgID, connectionID, userID string) store.Credential {
	return store.Credential{
		OrgID:              orgID,
		ConnectionID:       connectionID,
		UserID:             userID,
		Status:             store.StatusConnected,
		AccessTokenSealed:  "sealed-access-" + userID,
		RefreshTokenSealed: "sealed-refresh-" + userID,
		TokenType:          "Bearer",
		Expiry:             at(time.Hour),
		GrantedScopes:      []string{"devices.read"},
		Extras:             map[string]any{"api_domain": "https://eu.api.acme.example"},
		ConnectedAt:        at(0),
		RefreshedAt:        at(time.Minute),
		UpdatedAt:          at(time.Minute),
	}
}

func putCredential(t *testing.T, s store.Store, cred store.Credential) store.Credential {
	t.Helper()
	if err := s.PutCredential(t.Context(), cred); err != nil {
		t.Fatalf("PutCredential(user %q) error = %v", cred.UserID, err)
	}
	return cred
}

// canonCredential treats nil and empty scope lists and extras as equal.
func canonCredential(cred store.Credential) store.Credential {
	if len(cred.GrantedScopes) == 0 {
		cred.GrantedScopes = nil
	}
	if len(cred.Extras) == 0 {
		cred.Extras = nil
	}
	return cred
}

func wantCredential(cred store.Credential) store.Credential {
	cred = canonCredential(cred)
	cred.Expiry = inUTC(cred.Expiry)
	cred.LastErrorAt = inUTC(cred.LastErrorAt)
	cred.ConnectedAt = inUTC(cred.ConnectedAt)
	cred.RefreshedAt = inUTC(cred.RefreshedAt)
	cred.UpdatedAt = inUTC(cred.UpdatedAt)
	return cred
}

func newOAuthState(orgID, connectionID, userID string) store.OAuthState {
	return store.OAuthState{
		OrgID:          orgID,
		ID:             uniqueID("state"),
		ConnectionID:   connectionID,
		UserID:         userID,
		VerifierSealed: "sealed-verifier",
		ReturnTo:       "/connections/crm",
		ExpiresAt:      at(10 * time.Minute),
		CreatedAt:      at(0),
	}
}

func createOAuthState(t *testing.T, s store.Store, state store.OAuthState) store.OAuthState {
	t.Helper()
	if err := s.CreateOAuthState(t.Context(), state); err != nil {
		t.Fatalf("CreateOAuthState() error = %v", err)
	}
	return state
}

func wantOAuthState(state store.OAuthState) store.OAuthState {
	state.ExpiresAt = inUTC(state.ExpiresAt)
	state.CreatedAt = inUTC(state.CreatedAt)
	return state
}
