package connections

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// ConnectionInput is the writable part of a connection. Nil fields leave a
// value unchanged on update.
type ConnectionInput struct {
	Name                    *string
	LinkName                string // creation only; derived from Name when empty
	Description             *string
	Service                 string // creation only
	Region                  string // creation only; the service's default region when empty
	Application             *string
	Scopes                  *[]string
	UseLoginUserCredentials *bool
}

// maxLinkNameAttempts bounds the _2, _3 ... suffixes tried on a clash.
const maxLinkNameAttempts = 1000

// CreateConnection creates a connection owned by actor, with a link name
// derived or checked, declared scopes and an application picked.
func (m *Manager) CreateConnection(ctx context.Context, actor Actor, in ConnectionInput) (store.Connection, error) {
	if err := requireManage(actor); err != nil {
		return store.Connection{}, err
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return store.Connection{}, problem.Invalid("invalid_connection", "name is missing; give the connection a display name such as \"Acme devices\"")
	}
	name := strings.TrimSpace(*in.Name)
	if err := checkConnectionText("name", name, maxNameLength); err != nil {
		return store.Connection{}, err
	}
	if in.Description != nil {
		if err := checkConnectionText("description", *in.Description, maxDescriptionLength); err != nil {
			return store.Connection{}, err
		}
	}
	if in.LinkName != "" && !ValidLinkName(in.LinkName) {
		return store.Connection{}, problem.Invalid("invalid_link_name",
			"link name %q is not valid; use a lower-case letter followed by up to 49 lower-case letters, digits or underscores", in.LinkName)
	}
	if in.Service == "" {
		return store.Connection{}, problem.Invalid("invalid_connection", "service is missing; name a service key from GET /v1/services")
	}
	svc, err := m.Service(ctx, actor.OrgID, in.Service)
	if err != nil {
		return store.Connection{}, err
	}
	region, err := pickRegion(svc, in.Region)
	if err != nil {
		return store.Connection{}, err
	}

	// An empty list, not nil, so the result matches what the store returns.
	scopes := []string{}
	if in.Scopes != nil {
		scopes = dedupe(*in.Scopes)
	}
	if err := checkScopes(svc, scopes); err != nil {
		return store.Connection{}, err
	}
	conn := store.Connection{
		OrgID:       actor.OrgID,
		ID:          newID(),
		Name:        name,
		ServiceKey:  svc.Key,
		Region:      region,
		Scopes:      scopes,
		OwnerID:     actor.UserID,
		CreatedAt:   m.now(),
		UpdatedAt:   m.now(),
		Description: "",
		// The service may be deleted between the lookup above and the
		// insert, so the store checks a custom one again.
		RequireCustomService: svc.Kind == catalog.KindCustom,
	}
	if in.Description != nil {
		conn.Description = strings.TrimSpace(*in.Description)
	}
	if in.UseLoginUserCredentials != nil {
		conn.UseLoginUserCredentials = *in.UseLoginUserCredentials
	}
	if usesApplication(svc) {
		explicit := ""
		if in.Application != nil {
			explicit = *in.Application
		}
		if conn.ApplicationID, err = m.pickApplication(ctx, actor.OrgID, svc, explicit); err != nil {
			return store.Connection{}, err
		}
	}

	if in.LinkName != "" {
		conn.LinkName = in.LinkName
		err := m.store.CreateConnection(ctx, conn)
		if errors.Is(err, store.ErrConflict) {
			return store.Connection{}, problem.Conflict("link_name_taken",
				"link name %q is already used in this org; choose another or leave it empty to derive one", in.LinkName)
		}
		if prob := ReferenceProblem(err, actor, ""); prob != nil {
			return store.Connection{}, prob
		}
		if err != nil {
			return store.Connection{}, fmt.Errorf("creating connection: %w", err)
		}
		return m.created(ctx, actor, conn), nil
	}

	base := LinkNameFrom(name)
	for attempt := 1; attempt <= maxLinkNameAttempts; attempt++ {
		conn.LinkName = base
		if attempt > 1 {
			conn.LinkName = WithSuffix(base, attempt)
		}
		err := m.store.CreateConnection(ctx, conn)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if prob := ReferenceProblem(err, actor, ""); prob != nil {
			return store.Connection{}, prob
		}
		if err != nil {
			return store.Connection{}, fmt.Errorf("creating connection: %w", err)
		}
		return m.created(ctx, actor, conn), nil
	}
	return store.Connection{}, problem.Conflict("link_name_taken",
		"no free link name derived from %q; give link_name explicitly", name)
}

// created records a stored connection and returns it as a later read
// returns it, without the write-only RequireCustomService.
func (m *Manager) created(ctx context.Context, actor Actor, conn store.Connection) store.Connection {
	conn.RequireCustomService = false
	m.recordCreated(ctx, actor, conn)
	return conn
}

func (m *Manager) recordCreated(ctx context.Context, actor Actor, conn store.Connection) {
	m.record(ctx, actor, conn, "connection.created", map[string]any{
		"service": conn.ServiceKey, "scopes": conn.Scopes,
		"use_login_user_credentials": conn.UseLoginUserCredentials,
	})
}

// pickRegion returns the region a new connection uses: the requested one,
// or the service's default; a service without regions takes none.
func pickRegion(svc catalog.Service, requested string) (string, error) {
	if len(svc.Regions) == 0 {
		if requested != "" {
			return "", problem.Invalid("invalid_region",
				"service %q has no regions; leave region empty", svc.Key)
		}
		return "", nil
	}
	if requested == "" {
		return svc.DefaultRegion, nil
	}
	if _, err := svc.ForRegion(requested); err != nil {
		return "", problem.Invalid("invalid_region", "region %q is not a region of service %q; use one of %s",
			requested, svc.Key, strings.Join(svc.RegionIDs(), ", "))
	}
	return requested, nil
}

func usesApplication(svc catalog.Service) bool {
	return svc.AuthType == catalog.AuthOAuth2 || svc.AuthType == catalog.AuthOAuth2ClientCredentials
}

func checkScopes(svc catalog.Service, scopes []string) error {
	if err := svc.CheckScopes(scopes); err != nil {
		return problem.Wrap(err, 422, "invalid_scope", "%s", err.Error())
	}
	return nil
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Connection returns a connection by link name.
func (m *Manager) Connection(ctx context.Context, orgID, link string) (store.Connection, error) {
	conn, err := m.store.GetConnection(ctx, orgID, link)
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, problem.NotFound("connection_not_found",
			"connection %q not found; list connections with GET /v1/connections", link)
	}
	if err != nil {
		return store.Connection{}, fmt.Errorf("reading connection %q: %w", link, err)
	}
	return conn, nil
}

// Views of ListConnections.
const (
	ViewMine   = "mine"
	ViewShared = "shared"
)

// ListConnections lists one page of connections for the actor: "mine" are
// the ones the actor owns, "shared" the ones others share with the
// login-user switch, "" both.
func (m *Manager) ListConnections(ctx context.Context, actor Actor, view, after string, limit int) ([]store.Connection, error) {
	opts := store.ListConnectionsOptions{After: after, Limit: limit}
	switch view {
	case ViewMine:
		opts.OwnerID = actor.UserID
	case ViewShared:
		opts.NotOwnerID = actor.UserID
		opts.SharedOnly = true
	case "":
	default:
		return nil, problem.BadRequest("invalid_view", "view %q is not valid; use mine or shared", view)
	}
	return m.store.ListConnections(ctx, actor.OrgID, opts)
}

// UpdateConnection changes a connection. Name and description change at any
// time, but scopes, application and the login-user flag change only while no
// credential of the connection is connected.
func (m *Manager) UpdateConnection(ctx context.Context, actor Actor, link string, in ConnectionInput) (store.Connection, error) {
	if err := requireManage(actor); err != nil {
		return store.Connection{}, err
	}
	if in.LinkName != "" || in.Service != "" || in.Region != "" {
		return store.Connection{}, problem.Invalid("immutable_field",
			"link_name, service and region cannot change after creation; create a new connection instead")
	}
	if in.Name != nil {
		if err := checkConnectionText("name", strings.TrimSpace(*in.Name), maxNameLength); err != nil {
			return store.Connection{}, err
		}
	}
	if in.Description != nil {
		if err := checkConnectionText("description", *in.Description, maxDescriptionLength); err != nil {
			return store.Connection{}, err
		}
	}
	current, err := m.Connection(ctx, actor.OrgID, link)
	if err != nil {
		return store.Connection{}, err
	}
	svc, err := m.Service(ctx, actor.OrgID, current.ServiceKey)
	if err != nil {
		return store.Connection{}, err
	}
	var scopes []string
	if in.Scopes != nil {
		scopes = dedupe(*in.Scopes)
		if err := checkScopes(svc, scopes); err != nil {
			return store.Connection{}, err
		}
	}
	appID := ""
	if in.Application != nil && usesApplication(svc) {
		if appID, err = m.pickApplication(ctx, actor.OrgID, svc, *in.Application); err != nil {
			return store.Connection{}, err
		}
	}

	updated, err := m.store.UpdateConnection(ctx, actor.OrgID, link, func(c *store.Connection, creds []store.Credential) error {
		if in.Name != nil {
			if strings.TrimSpace(*in.Name) == "" {
				return problem.Invalid("invalid_connection", "name must not be empty")
			}
			c.Name = strings.TrimSpace(*in.Name)
		}
		if in.Description != nil {
			c.Description = strings.TrimSpace(*in.Description)
		}
		guarded := (in.Scopes != nil && !slices.Equal(scopes, c.Scopes)) ||
			(in.Application != nil && appID != c.ApplicationID) ||
			(in.UseLoginUserCredentials != nil && *in.UseLoginUserCredentials != c.UseLoginUserCredentials)
		if guarded && anyConnected(creds) {
			return problem.Conflict("connection_connected",
				"connection %q is connected; revoke it before changing scopes, application or use_login_user_credentials%s",
				link, m.webhooksClause(ctx, *c)+m.functionsClause(ctx, *c))
		}
		if in.Scopes != nil {
			c.Scopes = scopes
		}
		if in.Application != nil {
			c.ApplicationID = appID
		}
		if in.UseLoginUserCredentials != nil {
			c.UseLoginUserCredentials = *in.UseLoginUserCredentials
		}
		c.UpdatedAt = m.now()
		return nil
	})
	if prob := ReferenceProblem(err, actor, ""); prob != nil {
		return store.Connection{}, prob
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Connection{}, problem.NotFound("connection_not_found", "connection %q not found", link)
	}
	if err != nil {
		return store.Connection{}, err
	}
	m.record(ctx, actor, updated, "connection.updated", changedFields(in))
	return updated, nil
}

// changedFields names the fields an update set, for the audit log.
func changedFields(in ConnectionInput) map[string]any {
	var fields []string
	for name, set := range map[string]bool{
		"name": in.Name != nil, "description": in.Description != nil, "application": in.Application != nil,
		"scopes": in.Scopes != nil, "use_login_user_credentials": in.UseLoginUserCredentials != nil,
	} {
		if set {
			fields = append(fields, name)
		}
	}
	slices.Sort(fields)
	return map[string]any{"fields": fields}
}

func anyConnected(creds []store.Credential) bool {
	for _, c := range creds {
		if c.Status == store.StatusConnected {
			return true
		}
	}
	return false
}

// DeleteConnection deletes a connection. Every credential is revoked at the
// provider (best effort: a failure is logged, not fatal), then the
// connection and its credentials are deleted.
func (m *Manager) DeleteConnection(ctx context.Context, actor Actor, link string) error {
	if err := requireManage(actor); err != nil {
		return err
	}
	conn, err := m.Connection(ctx, actor.OrgID, link)
	if err != nil {
		return err
	}
	if conn.OwnerID != actor.UserID && actor.Role != store.RoleAdmin {
		return problem.Forbidden("forbidden", "only the owner of connection %q or an admin may delete it", link)
	}
	hooks, err := m.webhooksOf(ctx, conn)
	if err != nil {
		return err
	}
	if len(hooks) > 0 {
		return problem.Conflict("connection_in_use",
			"connection %q is used by %s %s; delete them or bind them to another connection first",
			link, plural(len(hooks), "webhook", "webhooks"), quoteNames(hooks)).With("webhooks", webhookRefs(hooks))
	}
	fns, err := m.functionsOf(ctx, conn)
	if err != nil {
		return err
	}
	if len(fns) > 0 {
		return problem.Conflict("connection_in_use",
			"connection %q is named by %s %s; delete them or remove the connection from their scripts first",
			link, plural(len(fns), "function", "functions"), quoteFunctionNames(fns)).With("functions", functionRefs(fns))
	}
	creds, err := m.store.ListCredentials(ctx, actor.OrgID, conn.ID)
	if err != nil {
		return fmt.Errorf("listing credentials of %q: %w", link, err)
	}
	for _, cred := range creds {
		m.revokeAtProvider(ctx, conn, cred)
	}
	if err := m.store.DeleteConnection(ctx, actor.OrgID, link); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return problem.NotFound("connection_not_found", "connection %q not found", link)
		}
		if errors.Is(err, store.ErrInUse) {
			// A webhook was bound, or a function saved, after the checks above.
			return problem.Conflict("connection_in_use",
				"connection %q is used by a webhook or function saved just now; delete it or change it first", link)
		}
		return fmt.Errorf("deleting connection %q: %w", link, err)
	}
	m.logger.Info("connection deleted", "org_id", actor.OrgID, "connection", link, "user_id", actor.UserID)
	m.record(ctx, actor, conn, "connection.deleted", map[string]any{"credentials_revoked": len(creds)})
	m.raise(ctx, conn, actor.UserID, EventDeleted, actor.UserID)
	return nil
}
