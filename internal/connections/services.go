package connections

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Service returns a default or custom service by key. A custom service
// cannot shadow a default one, so the lookup order does not matter.
// The instance's public URL replaces catalog.PublicURLPlaceholder.
func (m *Manager) Service(ctx context.Context, orgID, key string) (catalog.Service, error) {
	if svc, ok := catalog.Lookup(key); ok {
		return svc.WithPublicURL(m.publicURL), nil
	}
	custom, err := m.store.GetService(ctx, orgID, key)
	if errors.Is(err, store.ErrNotFound) {
		return catalog.Service{}, problem.NotFound("service_not_found",
			"service %q not found; list services with GET /v1/services", key)
	}
	if err != nil {
		return catalog.Service{}, fmt.Errorf("reading service %q: %w", key, err)
	}
	custom.Service.Kind = catalog.KindCustom
	return custom.Service.WithPublicURL(m.publicURL), nil
}

// connectionService returns the service of a connection, its URLs resolved
// for the connection's region.
func (m *Manager) connectionService(ctx context.Context, conn store.Connection) (catalog.Service, error) {
	svc, err := m.Service(ctx, conn.OrgID, conn.ServiceKey)
	if err != nil {
		return catalog.Service{}, err
	}
	resolved, err := svc.ForRegion(conn.Region)
	if err != nil {
		return catalog.Service{}, fmt.Errorf("resolving service %q for connection %q: %w", conn.ServiceKey, conn.LinkName, err)
	}
	return resolved, nil
}

// ListServices returns the org's services of the given kind ("default",
// "custom" or "" for both) that match q, in key order.
func (m *Manager) ListServices(ctx context.Context, orgID, kind, q string) ([]catalog.Service, error) {
	var all []catalog.Service
	switch kind {
	case "", catalog.KindDefault, catalog.KindCustom:
	default:
		return nil, problem.BadRequest("invalid_kind", "kind %q is not valid; use default or custom", kind)
	}
	if kind != catalog.KindCustom {
		all = append(all, catalog.Default()...)
	}
	if kind != catalog.KindDefault {
		custom, err := m.store.ListServices(ctx, orgID)
		if err != nil {
			return nil, fmt.Errorf("listing custom services: %w", err)
		}
		for _, c := range custom {
			c.Service.Kind = catalog.KindCustom
			all = append(all, c.Service)
		}
	}
	for i := range all {
		all[i] = all[i].WithPublicURL(m.publicURL)
	}
	all = catalog.Search(all, q)
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	return all, nil
}

// CreateService validates and stores a custom service.
func (m *Manager) CreateService(ctx context.Context, actor Actor, svc catalog.Service) (catalog.Service, error) {
	if err := requireManage(actor); err != nil {
		return catalog.Service{}, err
	}
	svc.Kind = catalog.KindCustom
	if svc.BasedOn != "" {
		base, ok := catalog.Lookup(svc.BasedOn)
		if !ok {
			return catalog.Service{}, problem.Invalid("invalid_service",
				"based_on %q is not a default service; name one from GET /v1/services?kind=default", svc.BasedOn)
		}
		svc.ApplyBase(base)
	}
	svc.Normalize()
	if err := validateService(&svc); err != nil {
		return catalog.Service{}, err
	}
	if _, ok := catalog.Lookup(svc.Key); ok {
		return catalog.Service{}, problem.Conflict("service_exists",
			"service key %q belongs to a default service; choose another key", svc.Key)
	}
	now := m.now()
	err := m.store.CreateService(ctx, store.CustomService{
		OrgID: actor.OrgID, Service: svc, CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now,
	})
	if errors.Is(err, store.ErrConflict) {
		return catalog.Service{}, problem.Conflict("service_exists", "service %q already exists; choose another key", svc.Key)
	}
	if err != nil {
		return catalog.Service{}, fmt.Errorf("creating service %q: %w", svc.Key, err)
	}
	return svc, nil
}

// UpdateService replaces a custom service's definition through change.
func (m *Manager) UpdateService(ctx context.Context, actor Actor, key string, change func(*catalog.Service) error) (catalog.Service, error) {
	if err := requireManage(actor); err != nil {
		return catalog.Service{}, err
	}
	if _, ok := catalog.Lookup(key); ok {
		return catalog.Service{}, problem.Forbidden("service_read_only",
			"service %q is a default service and cannot be changed; create a custom service instead", key)
	}
	updated, err := m.store.UpdateService(ctx, actor.OrgID, key, func(c *store.CustomService) error {
		before := c.Service.Clone()
		if err := change(&c.Service); err != nil {
			return err
		}
		c.Service.Key = key
		c.Service.Kind = catalog.KindCustom
		c.Service.Normalize()
		if err := validateService(&c.Service); err != nil {
			return err
		}
		if changesCredentialPath(before, c.Service) {
			if err := m.refuseWhileConnected(ctx, actor.OrgID, key); err != nil {
				return err
			}
		}
		c.UpdatedAt = m.now()
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return catalog.Service{}, problem.NotFound("service_not_found", "custom service %q not found", key)
	}
	if err != nil {
		return catalog.Service{}, err
	}
	return updated.Service, nil
}

// changesCredentialPath reports whether an update changes where or how a
// stored credential is sent: the auth type, the API hosts, the OAuth
// endpoints and client authentication, or the placement of API keys.
// Changing any of them under a connected credential would hand that
// credential, or the client secret, to a destination its owner never
// approved.
func changesCredentialPath(before, after catalog.Service) bool {
	if before.AuthType != after.AuthType || before.APIBaseURL != after.APIBaseURL ||
		!slices.Equal(before.AllowedHosts, after.AllowedHosts) {
		return true
	}
	if (before.OAuth2 == nil) != (after.OAuth2 == nil) || (before.APIKey == nil) != (after.APIKey == nil) {
		return true
	}
	if before.OAuth2 != nil {
		b, a := before.OAuth2, after.OAuth2
		if b.AuthorizationURL != a.AuthorizationURL || b.TokenURL != a.TokenURL ||
			b.RevocationURL != a.RevocationURL || b.TokenAuthMethod != a.TokenAuthMethod {
			return true
		}
	}
	if before.APIKey != nil && !slices.Equal(before.APIKey.Params, after.APIKey.Params) {
		return true
	}
	return false
}

// maxNamedConnections bounds how many connections a refusal names.
const maxNamedConnections = 10

// refuseWhileConnected returns 409 service_connected, naming the
// connections, when any connection of the service has a connected
// credential.
func (m *Manager) refuseWhileConnected(ctx context.Context, orgID, key string) error {
	conns, err := m.store.ListConnections(ctx, orgID, store.ListConnectionsOptions{ServiceKey: key})
	if err != nil {
		return fmt.Errorf("listing connections of service %q: %w", key, err)
	}
	var connected []string
	for _, conn := range conns {
		creds, err := m.store.ListCredentials(ctx, orgID, conn.ID)
		if err != nil {
			return fmt.Errorf("listing credentials of %q: %w", conn.LinkName, err)
		}
		if anyConnected(creds) {
			connected = append(connected, conn.LinkName)
		}
	}
	if len(connected) == 0 {
		return nil
	}
	named := connected
	if len(named) > maxNamedConnections {
		named = named[:maxNamedConnections]
	}
	return problem.Conflict("service_connected",
		"service %q has connected connections (%s); revoke them before changing its hosts, endpoints, client authentication or key placement",
		key, strings.Join(named, ", ")).With("connections", connected)
}

// DeleteService deletes a custom service that no application or
// connection uses.
func (m *Manager) DeleteService(ctx context.Context, actor Actor, key string) error {
	if err := requireManage(actor); err != nil {
		return err
	}
	if _, ok := catalog.Lookup(key); ok {
		return problem.Forbidden("service_read_only", "service %q is a default service and cannot be deleted", key)
	}
	err := m.store.DeleteService(ctx, actor.OrgID, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return problem.NotFound("service_not_found", "custom service %q not found", key)
	case errors.Is(err, store.ErrInUse):
		return m.serviceInUse(ctx, actor.OrgID, key)
	case err != nil:
		return fmt.Errorf("deleting service %q: %w", key, err)
	}
	return nil
}

// serviceInUse returns the 409 problem of a custom service that connections
// or applications still use, naming them. When they cannot be listed, the
// problem has the general message without names.
func (m *Manager) serviceInUse(ctx context.Context, orgID, key string) error {
	generic := problem.Conflict("service_in_use", "service %q is used by applications or connections; delete them first", key)
	conns, err := m.store.ListConnections(ctx, orgID, store.ListConnectionsOptions{ServiceKey: key})
	if err != nil {
		m.logger.Warn("listing the connections of a service in use failed", "org_id", orgID, "service", key, "err", err)
		return generic
	}
	apps, err := m.store.ListApplications(ctx, orgID, key)
	if err != nil {
		m.logger.Warn("listing the applications of a service in use failed", "org_id", orgID, "service", key, "err", err)
		return generic
	}

	links := make([]string, 0, len(conns))
	for _, conn := range conns {
		links = append(links, conn.LinkName)
	}
	appNames := make([]string, 0, len(apps))
	for _, app := range apps {
		appNames = append(appNames, app.Name)
	}

	var parts []string
	if len(links) > 0 {
		parts = append(parts, plural(len(links), "connection", "connections")+" "+quoteList(links))
	}
	if len(appNames) > 0 {
		parts = append(parts, plural(len(appNames), "application", "applications")+" "+quoteList(appNames))
	}
	if len(parts) == 0 {
		return generic
	}
	return problem.Conflict("service_in_use", "service %q is used by %s; delete them first", key, strings.Join(parts, " and ")).
		With("connections", links).With("applications", appNames)
}

// validateService turns catalog validation errors into a 422 problem that
// lists each field.
func validateService(svc *catalog.Service) error {
	err := svc.Validate()
	if err == nil {
		return nil
	}
	var fields []map[string]string
	for _, e := range flatten(err) {
		var fe *catalog.FieldError
		if errors.As(e, &fe) {
			fields = append(fields, map[string]string{"field": fe.Field, "message": fe.Message})
		} else {
			fields = append(fields, map[string]string{"message": e.Error()})
		}
	}
	return (&problem.Error{
		Status: http.StatusUnprocessableEntity,
		Code:   "invalid_service",
		Detail: "service definition is invalid: " + err.Error(),
	}).With("errors", fields)
}

// flatten returns the errors joined in err, or err itself.
func flatten(err error) []error {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		return joined.Unwrap()
	}
	return []error{err}
}

func requireManage(actor Actor) error {
	if !actor.CanManage() {
		return problem.Forbidden("forbidden", "role %q may only read; ask an admin for the developer role", actor.Role)
	}
	return nil
}
