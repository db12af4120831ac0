// Package store defines plugboard's storage port: the records it keeps and
// the one interface every backend implements. Backends live in sub-packages
// and all pass the conformance suite in storetest.
//
// Every record belongs to one organization, and every method takes the org
// ID, so no query crosses organizations. Secret columns hold text sealed by
// the secrets package, so the store never handles plaintext secrets.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/catalog"
)

// Errors returned by every backend, wrapped with the record involved.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Store is the storage port. Update methods run their function inside the
// backend's transaction with the row locked, so a read-modify-write is atomic
// across goroutines and, for shared databases, across instances. A function
// that returns an error rolls the transaction back and the error is returned
// unchanged. An update function cannot change a record's identity (org, ID,
// key or link name, service, owner, creation time), and an update returns the
// record as stored, exactly as a later get returns it.
//
// Times come back in UTC with nanosecond precision; a zero time stays zero.
// A method given a record that does not exist returns an error wrapping
// ErrNotFound.
type Store interface {
	Ping(ctx context.Context) error
	Close() error

	CreateOrg(ctx context.Context, org Org) error
	GetOrgByName(ctx context.Context, name string) (Org, error)
	CountOrgs(ctx context.Context) (int, error)

	CreateUser(ctx context.Context, user User) error
	GetUser(ctx context.Context, orgID, userID string) (User, error)
	GetUserByUsername(ctx context.Context, orgID, username string) (User, error)

	GetOrg(ctx context.Context, orgID string) (Org, error)
	ListOrgs(ctx context.Context) ([]Org, error)

	// CacheGeneration returns the org's cache generation: a number that
	// grows in the same transaction as every change to the org's users,
	// API tokens (except TouchAPIToken), services, applications,
	// connections and credentials (except their refresh lease). It is 0 for an org without such
	// changes. A copy of those records read at generation g is current
	// while CacheGeneration still returns g.
	CacheGeneration(ctx context.Context, orgID string) (int64, error)

	// ListUsers lists an org's users in username order.
	ListUsers(ctx context.Context, orgID string) ([]User, error)
	// UpdateUser changes a user's role; the org, ID, username and creation
	// time cannot change.
	UpdateUser(ctx context.Context, orgID, userID string, update func(*User) error) (User, error)
	// DeleteUser deletes a user and their API tokens, credentials and web
	// sessions. It fails with ErrInUse while the user owns connections or
	// webhooks.
	DeleteUser(ctx context.Context, orgID, userID string) error

	CreateAPIToken(ctx context.Context, token APIToken) error
	GetAPIToken(ctx context.Context, orgID, tokenID string) (APIToken, error)
	TouchAPIToken(ctx context.Context, orgID, tokenID string, at time.Time) error
	// ListAPITokens lists API tokens by creation time, of one user when
	// userID is not empty.
	ListAPITokens(ctx context.Context, orgID, userID string) ([]APIToken, error)
	DeleteAPIToken(ctx context.Context, orgID, tokenID string) error

	CreateService(ctx context.Context, svc CustomService) error
	GetService(ctx context.Context, orgID, key string) (CustomService, error)
	ListServices(ctx context.Context, orgID string) ([]CustomService, error)
	UpdateService(ctx context.Context, orgID, key string, update func(*CustomService) error) (CustomService, error)
	// DeleteService deletes a custom service; it fails with ErrInUse while
	// applications or connections refer to it. An application or
	// connection created concurrently with RequireCustomService set is
	// either counted or fails with a *ReferenceError.
	DeleteService(ctx context.Context, orgID, key string) error

	// CreateApplication fails with a *ReferenceError when
	// app.RequireCustomService is set and the org has no custom service
	// with the key app.ServiceKey.
	CreateApplication(ctx context.Context, app Application) error
	GetApplication(ctx context.Context, orgID, id string) (Application, error)
	// ListApplications lists an org's applications, of one service when
	// serviceKey is not empty.
	ListApplications(ctx context.Context, orgID, serviceKey string) ([]Application, error)
	// UpdateApplication also clears the default flag of the service's other
	// applications when the update sets it.
	UpdateApplication(ctx context.Context, orgID, id string, update func(*Application) error) (Application, error)
	// DeleteApplication fails with ErrInUse while connections use it.
	DeleteApplication(ctx context.Context, orgID, id string) error

	// CreateConnection fails with ErrConflict when the link name is taken,
	// and with a *ReferenceError when its application or owner does not
	// exist, or its custom service when conn.RequireCustomService is set.
	CreateConnection(ctx context.Context, conn Connection) error
	GetConnection(ctx context.Context, orgID, linkName string) (Connection, error)
	GetConnectionByID(ctx context.Context, orgID, id string) (Connection, error)
	ListConnections(ctx context.Context, orgID string, opts ListConnectionsOptions) ([]Connection, error)
	// UpdateConnection passes the connection and its credentials to update,
	// so a rule that depends on credential status is checked in the same
	// transaction as the write. It fails with a *ReferenceError when update
	// sets an application that does not exist.
	UpdateConnection(ctx context.Context, orgID, linkName string, update func(*Connection, []Credential) error) (Connection, error)
	// DeleteConnection deletes the connection, its credentials and its
	// pending OAuth states. It fails with ErrInUse while a webhook is bound
	// to the connection or a function names its link name.
	DeleteConnection(ctx context.Context, orgID, linkName string) error

	GetCredential(ctx context.Context, orgID, connectionID, userID string) (Credential, error)
	ListCredentials(ctx context.Context, orgID, connectionID string) ([]Credential, error)
	// PutCredential inserts or replaces a credential.
	PutCredential(ctx context.Context, cred Credential) error
	// UpdateCredential locks the credential's row, passes the current value
	// to update and writes the result in the same transaction. This is the
	// refresh path: lock, re-read, re-check, refresh, persist.
	UpdateCredential(ctx context.Context, orgID, connectionID, userID string, update func(*Credential) error) (Credential, error)
	DeleteCredential(ctx context.Context, orgID, connectionID, userID string) error
	// ListRefreshDue lists, across orgs, up to limit connected credentials
	// with a refresh token and no unexpired refresh lease at now, whose
	// access token expires before expiringBefore or that were last
	// connected or refreshed before idleBefore, soonest expiry first. The
	// background refresher is its one caller.
	ListRefreshDue(ctx context.Context, now, expiringBefore, idleBefore time.Time, limit int) ([]Credential, error)

	// ResealAll passes every non-empty sealed value of every org to reseal
	// and stores the returned text where it differs, all in one
	// transaction, so a failure leaves every value as it was. It returns
	// the number of values changed.
	ResealAll(ctx context.Context, reseal func(SealedValue) (string, error)) (int, error)

	// CreateWebhook fails with a *ReferenceError when the webhook's
	// connection or creator does not exist.
	CreateWebhook(ctx context.Context, hook Webhook) error
	GetWebhook(ctx context.Context, orgID, id string) (Webhook, error)
	// ListWebhooks lists webhooks by name, then ID.
	ListWebhooks(ctx context.Context, orgID string, opts ListWebhooksOptions) ([]Webhook, error)
	// UpdateWebhook cannot change the org, ID, creator or creation time. It
	// fails with a *ReferenceError when update binds a connection that does
	// not exist.
	UpdateWebhook(ctx context.Context, orgID, id string, update func(*Webhook) error) (Webhook, error)
	// DeleteWebhook deletes a webhook and its deliveries.
	DeleteWebhook(ctx context.Context, orgID, id string) error

	// CreateEvent stores an event and its deliveries in one transaction,
	// so an accepted event is never without the deliveries it causes.
	CreateEvent(ctx context.Context, event Event, deliveries []Delivery) error
	GetEvent(ctx context.Context, orgID, id string) (Event, error)
	// DeleteOldEvents deletes up to limit events of any org created before
	// before, oldest first, with their deliveries, skipping events that
	// still have a pending delivery, and returns how many it deleted.
	DeleteOldEvents(ctx context.Context, before time.Time, limit int) (int, error)

	// ClaimDeliveries leases up to limit pending deliveries of any org whose
	// NextAttemptAt is not after now and whose lease is free or lapsed, to
	// owner until leaseUntil. Orgs take turns, and each org's deliveries come
	// oldest NextAttemptAt first, so one org's backlog cannot starve
	// another's. A delivery is leased to at most one owner at a time. This is the one query that
	// spans orgs: the delivery worker serves all of them.
	ClaimDeliveries(ctx context.Context, owner string, now, leaseUntil time.Time, limit int) ([]Delivery, error)
	// FinishDelivery runs update on a delivery that owner still leases and
	// clears the lease. It fails with ErrLeaseLost when the lease passed to
	// another owner or the delivery is gone.
	FinishDelivery(ctx context.Context, orgID, id, owner string, update func(*Delivery) error) (Delivery, error)
	GetDelivery(ctx context.Context, orgID, id string) (Delivery, error)
	// ListDeliveries lists a webhook's deliveries, newest first (their IDs
	// come from NewSortableID), before the delivery ID before when it is
	// set.
	ListDeliveries(ctx context.Context, orgID, webhookID, before string, limit int) ([]Delivery, error)
	// RequeueDelivery makes a delivery pending again, due at now, with its
	// attempt count reset, unless it is pending already.
	RequeueDelivery(ctx context.Context, orgID, id string, now time.Time) (Delivery, error)

	// CreateFunction fails with ErrConflict when the name is taken.
	CreateFunction(ctx context.Context, fn Function) error
	GetFunction(ctx context.Context, orgID, name string) (Function, error)
	// ListFunctions lists functions by name.
	ListFunctions(ctx context.Context, orgID string, opts ListFunctionsOptions) ([]Function, error)
	// UpdateFunction may rename the function, and fails with ErrConflict
	// when the new name is taken. The org, ID, creator and creation time
	// cannot change.
	UpdateFunction(ctx context.Context, orgID, name string, update func(*Function) error) (Function, error)
	DeleteFunction(ctx context.Context, orgID, name string) error

	// AppendAudit stores entries in one transaction: all of them, or none
	// when one fails.
	AppendAudit(ctx context.Context, entries ...AuditEntry) error
	// ListAudit lists an org's audit entries, newest first.
	ListAudit(ctx context.Context, orgID string, opts ListAuditOptions) ([]AuditEntry, error)

	// SetPasswordHash stores a user's password hash. The hash "" removes
	// the password.
	SetPasswordHash(ctx context.Context, orgID, userID, hash string) error
	// GetPasswordHash returns a user's password hash, or "" when the user
	// has no password.
	GetPasswordHash(ctx context.Context, orgID, userID string) (string, error)

	CreateWebSession(ctx context.Context, session WebSession) error
	GetWebSession(ctx context.Context, orgID, id string) (WebSession, error)
	// TouchWebSession records a session's last use and its new idle expiry.
	TouchWebSession(ctx context.Context, orgID, id string, lastSeen, idleExpiresAt time.Time) error
	DeleteWebSession(ctx context.Context, orgID, id string) error
	// DeleteUserWebSessions deletes every session of a user.
	DeleteUserWebSessions(ctx context.Context, orgID, userID string) error
	// DeleteExpiredWebSessions deletes, across orgs, the sessions whose idle
	// or absolute expiry is before now.
	DeleteExpiredWebSessions(ctx context.Context, now time.Time) (int, error)

	// CreatePendingSecret fails with ErrConflict when the ID is taken and
	// with ErrNotFound when the session does not exist. Deleting the
	// session deletes its pending secrets.
	CreatePendingSecret(ctx context.Context, secret PendingSecret) error
	// TakePendingSecret deletes the pending secret and returns it, so a
	// secret is returned at most once. It fails with ErrNotFound when the
	// ID is unknown or belongs to another session, and then deletes
	// nothing. Expired secrets are returned too, and the caller checks
	// expiry.
	TakePendingSecret(ctx context.Context, orgID, sessionID, id string) (PendingSecret, error)
	// DeleteExpiredPendingSecrets deletes, across orgs, the pending
	// secrets whose expiry is before now.
	DeleteExpiredPendingSecrets(ctx context.Context, now time.Time) (int, error)

	// RecordLoginFailure stores one failed sign-in for a key, such as a
	// username or a remote address.
	RecordLoginFailure(ctx context.Context, orgID, key string, at time.Time) error
	// CountLoginFailures returns how many failures of a key are not before
	// since, and the earliest of them (zero when there are none).
	CountLoginFailures(ctx context.Context, orgID, key string, since time.Time) (int, time.Time, error)
	// ClearLoginFailures deletes the failures of a key.
	ClearLoginFailures(ctx context.Context, orgID, key string) error
	// DeleteLoginFailure deletes one failure of a key recorded at exactly
	// at, if there is one: an attempt recorded before its outcome was
	// known, which turned out not to be a failure.
	DeleteLoginFailure(ctx context.Context, orgID, key string, at time.Time) error
	// DeleteLoginFailuresBefore deletes, across orgs, failures before a time.
	DeleteLoginFailuresBefore(ctx context.Context, before time.Time) (int, error)

	// RecordConnectionUse stores when a user last called through a
	// connection. A time earlier than the stored one is ignored.
	RecordConnectionUse(ctx context.Context, orgID, connectionID, userID string, at time.Time) error
	// ConnectionLastUsed returns the latest use of a connection by any
	// user, or the zero time when it was never used.
	ConnectionLastUsed(ctx context.Context, orgID, connectionID string) (time.Time, error)

	CreateOAuthState(ctx context.Context, state OAuthState) error
	// TakeOAuthState deletes the state and returns it, so a state is used at
	// most once. Expired states are returned too; the caller checks expiry.
	TakeOAuthState(ctx context.Context, orgID, id string) (OAuthState, error)
	DeleteExpiredOAuthStates(ctx context.Context, now time.Time) (int, error)

	// PutAuthzClient inserts or replaces a client of the authorization
	// server; its creation time stays as first stored.
	PutAuthzClient(ctx context.Context, client AuthzClient) error
	GetAuthzClient(ctx context.Context, orgID, id string) (AuthzClient, error)
	CreateAuthzRequest(ctx context.Context, req AuthzRequest) error
	GetAuthzRequest(ctx context.Context, orgID, id string) (AuthzRequest, error)
	// UpdateAuthzRequest cannot change the org, ID, client or creation
	// time.
	UpdateAuthzRequest(ctx context.Context, orgID, id string, update func(*AuthzRequest) error) (AuthzRequest, error)
	DeleteAuthzRequest(ctx context.Context, orgID, id string) error
	// CreateAuthzTokens stores tokens of one org in one transaction.
	CreateAuthzTokens(ctx context.Context, tokens []AuthzToken) error
	// RotateAuthzRefreshToken marks the refresh token oldID as
	// AuthzRotatedToken and stores tokens in one transaction. It fails with
	// ErrNotFound, storing nothing, when oldID is not a refresh token, so a
	// refresh token is used at most once.
	RotateAuthzRefreshToken(ctx context.Context, orgID, oldID string, tokens []AuthzToken) error
	GetAuthzToken(ctx context.Context, orgID, id string) (AuthzToken, error)
	DeleteAuthzToken(ctx context.Context, orgID, id string) error
	// DeleteAuthzGrant deletes every token of a grant and returns how many.
	DeleteAuthzGrant(ctx context.Context, orgID, grantID string) (int, error)
	// DeleteExpiredAuthz deletes authorization requests and tokens that
	// expired before now, across orgs, and returns how many.
	DeleteExpiredAuthz(ctx context.Context, now time.Time) (int, error)
	// CreateAuthzSigningKey fails with ErrConflict when the ID is taken.
	CreateAuthzSigningKey(ctx context.Context, key AuthzSigningKey) error
	// ListAuthzSigningKeys lists an org's signing keys, newest first, or
	// those of every org when orgID is empty: the key set that the
	// authorization server publishes spans orgs.
	ListAuthzSigningKeys(ctx context.Context, orgID string) ([]AuthzSigningKey, error)
}

// ErrInUse is returned when a record cannot be deleted because others refer
// to it.
var ErrInUse = errors.New("in use")

// ReferenceError is returned when a record being created or updated refers
// to another record that does not exist, such as a connection's application
// that a concurrent request deleted. It wraps ErrNotFound.
type ReferenceError struct {
	Kind string // "application", "connection", "service" or "user"
	ID   string // the record's ID, or a service's key
}

func (e *ReferenceError) Error() string {
	return fmt.Sprintf("%s %q: %v", e.Kind, e.ID, ErrNotFound)
}

func (e *ReferenceError) Unwrap() error { return ErrNotFound }

// ErrLeaseLost is returned by FinishDelivery when the caller no longer
// holds the delivery's lease.
var ErrLeaseLost = errors.New("lease lost")

// PermissionReadCredentials lets an API token fetch access tokens through
// GET /v1/connections/{link}/credential.
const PermissionReadCredentials = "credentials:read"

// Org is an organization, the tenant.
type Org struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Roles of a member.
const (
	RoleAdmin     = "admin"
	RoleDeveloper = "developer"
	RoleViewer    = "viewer"
)

// User is a member of an org.
type User struct {
	OrgID     string
	ID        string
	Username  string
	Role      string
	CreatedAt time.Time
}

// APIToken is a user's API token. Only the SHA-256 hash of the secret part is
// stored.
type APIToken struct {
	OrgID  string
	ID     string
	UserID string
	Name   string
	Hash   []byte
	// Permissions are extra rights beyond the user's role, such as
	// PermissionReadCredentials.
	Permissions []string
	CreatedAt   time.Time
	LastUsedAt  time.Time
}

// CustomService is a service defined by an org member.
type CustomService struct {
	OrgID     string
	Service   catalog.Service
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Application is an OAuth client registered with a service's provider.
type Application struct {
	OrgID              string
	ID                 string
	ServiceKey         string
	Name               string
	ClientID           string
	ClientSecretSealed string
	Default            bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	// RequireCustomService is set by the caller of CreateApplication when
	// ServiceKey names the org's custom service, so the insert fails with
	// a *ReferenceError of kind "service" if that service no longer
	// exists. Without it the store cannot tell a deleted custom service
	// from a catalog service, which has no row. It is not stored, reads
	// return false, and UpdateApplication ignores it.
	RequireCustomService bool
}

// Connection is a named use of a service.
type Connection struct {
	OrgID       string
	ID          string
	LinkName    string
	Name        string
	Description string
	ServiceKey  string
	// Region is the service's data centre, or empty for a service without
	// regions. It is fixed at creation.
	Region                  string
	ApplicationID           string
	Scopes                  []string
	UseLoginUserCredentials bool
	OwnerID                 string
	CreatedAt               time.Time
	UpdatedAt               time.Time
	// RequireCustomService is set by the caller of CreateConnection when
	// ServiceKey names the org's custom service, so the insert fails with
	// a *ReferenceError of kind "service" if that service no longer
	// exists. It is not stored, reads return false, and UpdateConnection
	// ignores it because an update cannot change ServiceKey.
	RequireCustomService bool
}

// ListConnectionsOptions filter and page a connection list. Connections come
// in link name order, after the link name After when it is set.
type ListConnectionsOptions struct {
	OwnerID    string // only connections this user owns
	NotOwnerID string // only connections this user does not own
	SharedOnly bool   // only connections with UseLoginUserCredentials
	ServiceKey string // only connections of this service
	After      string
	Limit      int
}

// Credential statuses.
const (
	StatusNotConnected = "not_connected"
	StatusConnected    = "connected"
	StatusNeedsReauth  = "needs_reauth"
)

// Credential is the tokens or keys of one connection for one user. The
// sealed fields are opened by the connections package.
type Credential struct {
	OrgID              string
	ConnectionID       string
	UserID             string
	Status             string
	AccessTokenSealed  string
	RefreshTokenSealed string
	SecretsSealed      string // API key or basic credentials, as sealed JSON
	TokenType          string
	Expiry             time.Time // zero when the token does not expire
	GrantedScopes      []string
	Extras             map[string]any
	LastError          string
	LastErrorClass     string // "transient" or "permanent"
	LastErrorAt        time.Time
	ConnectedAt        time.Time
	RefreshedAt        time.Time
	UpdatedAt          time.Time
	// RefreshLeaseID names the caller that claimed the right to send the
	// next refresh request, until RefreshLeaseUntil; empty when none has.
	RefreshLeaseID    string
	RefreshLeaseUntil time.Time
}

// SealedValue is one sealed secret of one row, as ResealAll visits it.
type SealedValue struct {
	OrgID string
	// Table and Column name the record kind and field: "applications"
	// and "client_secret"; "credentials" and "access_token",
	// "refresh_token" or "secrets"; "oauth_states" and "verifier";
	// "webhooks" and "secret"; "authz_signing_keys" and "private_key";
	// "pending_secrets" and "value".
	Table  string
	Column string
	// Key is the row's key within the org: the application ID; the
	// connection ID and the user ID; the state ID; the webhook ID; the
	// signing key ID; the pending secret ID.
	Key    []string
	Sealed string
}

// PendingSecret is a new secret, such as an API token, kept for its one
// display on the page that the creating form redirects to, so that the
// secret never travels in a URL or a cookie. It belongs to the web session
// that made it.
type PendingSecret struct {
	OrgID string
	// ID is random, and the page's URL carries it; it reveals nothing
	// without the session's cookie.
	ID        string
	SessionID string
	// Kind names what the secret is, such as "api_token", and Subject what
	// it belongs to, such as the token's name or the webhook's ID.
	Kind        string
	Subject     string
	ValueSealed string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// OAuthState is a pending authorization code flow.
type OAuthState struct {
	OrgID          string
	ID             string // the state parameter's hash, hex encoded
	ConnectionID   string
	UserID         string
	VerifierSealed string
	ReturnTo       string
	ExpiresAt      time.Time
	CreatedAt      time.Time
}

// Webhook is an outbound HTTP request template sent when a matching event
// arrives. URL, header values and body are Go text/template sources over
// the event.
type Webhook struct {
	OrgID string
	ID    string
	Name  string
	// URL is absolute, or a path under the connection's API base URL.
	URL     string
	Method  string
	Headers map[string]string
	Body    string
	// ConnectionID is the connection whose credential the request carries,
	// or empty for an unbound webhook, whose requests are signed instead.
	ConnectionID string
	// Events are the event types that trigger the webhook.
	Events      []string
	Enabled     bool
	MaxAttempts int
	// SecretSealed is the sealed signing secret of an unbound webhook.
	SecretSealed string
	// PreviousSecretSealed is the signing secret before the last rotation;
	// requests carry its signature too until PreviousSecretUntil.
	PreviousSecretSealed string
	PreviousSecretUntil  time.Time
	// DisabledReason is why plugboard disabled the webhook by itself. It is
	// empty while the webhook is enabled or when a member disabled it.
	DisabledReason string
	// CreatedBy is the member the webhook runs as, which decides whose
	// credential a shared connection uses.
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ListWebhooksOptions filter a webhook list.
type ListWebhooksOptions struct {
	ConnectionID string // only webhooks bound to this connection
	EventType    string // only webhooks subscribed to this event type
	EnabledOnly  bool
}

// Function is a script that members run on demand.
type Function struct {
	OrgID    string
	ID       string
	Name     string
	Language string // "deluge"
	Script   string
	// Connections are the link names the script names as text in the
	// connection key of invokeurl, in order of first use.
	Connections []string
	CreatedBy   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ListFunctionsOptions filter a function list.
type ListFunctionsOptions struct {
	Connection string // only functions that name this link name
}

// Event is a typed JSON message posted to plugboard or raised by it.
type Event struct {
	OrgID string
	ID    string
	Type  string
	// Data is the event's JSON object.
	Data map[string]any
	// Source is "api" for posted events and "plugboard" for raised ones.
	Source    string
	CreatedBy string
	CreatedAt time.Time
}

// Delivery statuses.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// Delivery is one event's delivery to one webhook, a durable job.
type Delivery struct {
	OrgID         string
	ID            string
	WebhookID     string
	EventID       string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LeaseOwner    string
	LeaseUntil    time.Time
	// The last attempt's outcome: HTTP status (0 when none arrived), error,
	// duration and the first 4 KiB of the response body.
	LastStatusCode int
	LastError      string
	LastDuration   time.Duration
	LastResponse   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeliveredAt    time.Time
}

// AuditEntry records who did what, when and from where.
type AuditEntry struct {
	OrgID string
	ID    string
	At    time.Time
	// ActorID is the member who acted, or empty for plugboard itself.
	ActorID   string
	ActorName string
	// Action is a dotted name such as "connection.created".
	Action string
	// ConnectionID and LinkName name the connection involved, if any.
	ConnectionID string
	LinkName     string
	// TargetType and TargetID name another record involved, such as a
	// webhook or a user.
	TargetType string
	TargetID   string
	Detail     map[string]any
	RemoteAddr string
}

// ListAuditOptions filter and page the audit log. Entries come newest
// first (their IDs come from NewSortableID), before the entry ID Before
// when it is set.
type ListAuditOptions struct {
	LinkName string
	ActorID  string
	Before   string
	Limit    int
}

// WebSession is a member's signed-in browser session. The cookie holds a
// random secret; the store keeps only its hash, so a copy of the database
// cannot be used to sign in.
type WebSession struct {
	OrgID string
	// ID is the SHA-256 of the cookie's secret, hex encoded.
	ID         string
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// IdleExpiresAt moves forward with use, and ExpiresAt is fixed at
	// sign-in.
	IdleExpiresAt time.Time
	ExpiresAt     time.Time
}
