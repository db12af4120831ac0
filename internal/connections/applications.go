package connections

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// ApplicationInput is the writable part of an application. Nil pointers
// leave a field unchanged on update.
type ApplicationInput struct {
	Service      string
	Name         *string
	ClientID     *string
	ClientSecret *secrets.Secret
	Default      *bool
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b)
}

func clientSecretAD(orgID, appID string) secrets.AD {
	return secrets.AD{OrgID: orgID, Table: "applications", Column: "client_secret", RowID: appID}
}

// CreateApplication registers an OAuth client for an oauth2 service.
func (m *Manager) CreateApplication(ctx context.Context, actor Actor, in ApplicationInput) (store.Application, error) {
	if err := requireManage(actor); err != nil {
		return store.Application{}, err
	}
	svc, err := m.Service(ctx, actor.OrgID, in.Service)
	if err != nil {
		return store.Application{}, err
	}
	if svc.AuthType != catalog.AuthOAuth2 && svc.AuthType != catalog.AuthOAuth2ClientCredentials {
		return store.Application{}, problem.Invalid("invalid_application",
			"service %q uses auth type %q, which needs no application; connect with its credentials instead", svc.Key, svc.AuthType)
	}
	if in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return store.Application{}, problem.Invalid("invalid_application", "name is missing; give the application a name such as \"Production\"")
	}
	if in.ClientID == nil || strings.TrimSpace(*in.ClientID) == "" {
		return store.Application{}, problem.Invalid("invalid_application", "client_id is missing; copy it from the provider's developer console")
	}
	if err := checkApplicationName(strings.TrimSpace(*in.Name)); err != nil {
		return store.Application{}, err
	}

	now := m.now()
	app := store.Application{
		OrgID:      actor.OrgID,
		ID:         newID(),
		ServiceKey: svc.Key,
		Name:       strings.TrimSpace(*in.Name),
		ClientID:   strings.TrimSpace(*in.ClientID),
		Default:    in.Default != nil && *in.Default,
		CreatedAt:  now,
		UpdatedAt:  now,
		// The service may be deleted between the lookup above and the
		// insert, so the store checks a custom one again.
		RequireCustomService: svc.Kind == catalog.KindCustom,
	}
	if in.ClientSecret != nil && *in.ClientSecret != "" {
		sealed, err := m.keyring.Seal([]byte(in.ClientSecret.Reveal()), clientSecretAD(app.OrgID, app.ID))
		if err != nil {
			return store.Application{}, fmt.Errorf("sealing client secret: %w", err)
		}
		app.ClientSecretSealed = sealed
	}
	err = m.store.CreateApplication(ctx, app)
	if prob := ReferenceProblem(err, actor, ""); prob != nil {
		return store.Application{}, prob
	}
	if err != nil {
		return store.Application{}, fmt.Errorf("creating application: %w", err)
	}
	app.RequireCustomService = false
	return app, nil
}

// Application returns one application.
func (m *Manager) Application(ctx context.Context, orgID, id string) (store.Application, error) {
	app, err := m.store.GetApplication(ctx, orgID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Application{}, problem.NotFound("application_not_found", "application %q not found", id)
	}
	return app, err
}

// ListApplications lists the org's applications, of one service when
// serviceKey is set.
func (m *Manager) ListApplications(ctx context.Context, orgID, serviceKey string) ([]store.Application, error) {
	return m.store.ListApplications(ctx, orgID, serviceKey)
}

// UpdateApplication changes an application's name, client, secret or
// default flag.
func (m *Manager) UpdateApplication(ctx context.Context, actor Actor, id string, in ApplicationInput) (store.Application, error) {
	if err := requireManage(actor); err != nil {
		return store.Application{}, err
	}
	app, err := m.store.UpdateApplication(ctx, actor.OrgID, id, func(a *store.Application) error {
		if in.Name != nil {
			if strings.TrimSpace(*in.Name) == "" {
				return problem.Invalid("invalid_application", "name must not be empty")
			}
			if err := checkApplicationName(strings.TrimSpace(*in.Name)); err != nil {
				return err
			}
			a.Name = strings.TrimSpace(*in.Name)
		}
		if in.ClientID != nil {
			if strings.TrimSpace(*in.ClientID) == "" {
				return problem.Invalid("invalid_application", "client_id must not be empty")
			}
			a.ClientID = strings.TrimSpace(*in.ClientID)
		}
		if in.ClientSecret != nil {
			a.ClientSecretSealed = ""
			if *in.ClientSecret != "" {
				sealed, err := m.keyring.Seal([]byte(in.ClientSecret.Reveal()), clientSecretAD(a.OrgID, a.ID))
				if err != nil {
					return fmt.Errorf("sealing client secret: %w", err)
				}
				a.ClientSecretSealed = sealed
			}
		}
		if in.Default != nil {
			a.Default = *in.Default
		}
		a.UpdatedAt = m.now()
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.Application{}, problem.NotFound("application_not_found", "application %q not found", id)
	}
	return app, err
}

// DeleteApplication deletes an application that no connection uses.
func (m *Manager) DeleteApplication(ctx context.Context, actor Actor, id string) error {
	if err := requireManage(actor); err != nil {
		return err
	}
	err := m.store.DeleteApplication(ctx, actor.OrgID, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return problem.NotFound("application_not_found", "application %q not found", id)
	case errors.Is(err, store.ErrInUse):
		return problem.Conflict("application_in_use",
			"application %q is used by connections; delete them or move them to another application first", id)
	case err != nil:
		return fmt.Errorf("deleting application %q: %w", id, err)
	}
	return nil
}

// openClientSecret returns an application's client secret, empty for a
// public client.
func (m *Manager) openClientSecret(app store.Application) (string, error) {
	if app.ClientSecretSealed == "" {
		return "", nil
	}
	plain, err := m.keyring.Open(app.ClientSecretSealed, clientSecretAD(app.OrgID, app.ID))
	if err != nil {
		return "", fmt.Errorf("opening client secret of application %q: %w", app.ID, err)
	}
	return string(plain), nil
}

// pickApplication picks the application of a new connection. An explicit application must belong to
// the service; otherwise the only one, or the default one, is used.
func (m *Manager) pickApplication(ctx context.Context, orgID string, svc catalog.Service, explicit string) (string, error) {
	if explicit != "" {
		app, err := m.Application(ctx, orgID, explicit)
		if err != nil {
			return "", err
		}
		if app.ServiceKey != svc.Key {
			return "", problem.Invalid("invalid_application",
				"application %q belongs to service %q, not %q; pick one of service %q", explicit, app.ServiceKey, svc.Key, svc.Key)
		}
		return app.ID, nil
	}
	apps, err := m.store.ListApplications(ctx, orgID, svc.Key)
	if err != nil {
		return "", fmt.Errorf("listing applications: %w", err)
	}
	switch len(apps) {
	case 0:
		return "", problem.Invalid("application_required",
			"service %q has no application; register its OAuth client with POST /v1/applications first", svc.Key)
	case 1:
		return apps[0].ID, nil
	}
	for _, a := range apps {
		if a.Default {
			return a.ID, nil
		}
	}
	return "", problem.Invalid("application_required",
		"service %q has %d applications and none is default; name one in \"application\" or mark one default", svc.Key, len(apps))
}
