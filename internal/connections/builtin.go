package connections

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// Built-in application of the plugboard service: plugboard registers it in
// every org as a client of its own authorization server, so a connection
// to plugboard needs no application of the member's.
const (
	BuiltinServiceKey      = "plugboard"
	BuiltinApplicationID   = "plugboard"
	builtinApplicationName = "plugboard (built-in)"
)

// EnsureBuiltinApplication returns the org's built-in application of the
// plugboard service, creating it with clientID and a new random secret
// when it is missing. Instances that race to create it all return the one
// that was stored first.
func (m *Manager) EnsureBuiltinApplication(ctx context.Context, orgID, clientID string) (store.Application, error) {
	app, err := m.store.GetApplication(ctx, orgID, BuiltinApplicationID)
	if err == nil {
		return app, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return store.Application{}, fmt.Errorf("reading the built-in application: %w", err)
	}

	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never returns an error.
	sealed, err := m.keyring.Seal([]byte(base64.RawURLEncoding.EncodeToString(secret)), clientSecretAD(orgID, BuiltinApplicationID))
	if err != nil {
		return store.Application{}, fmt.Errorf("sealing the built-in client secret: %w", err)
	}
	now := m.now()
	app = store.Application{
		OrgID: orgID, ID: BuiltinApplicationID, ServiceKey: BuiltinServiceKey, Name: builtinApplicationName,
		ClientID: clientID, ClientSecretSealed: sealed, Default: true, CreatedAt: now, UpdatedAt: now,
	}
	err = m.store.CreateApplication(ctx, app)
	if errors.Is(err, store.ErrConflict) {
		return m.store.GetApplication(ctx, orgID, BuiltinApplicationID)
	}
	if err != nil {
		return store.Application{}, fmt.Errorf("creating the built-in application: %w", err)
	}
	m.logger.Info("created the built-in application of the plugboard service", "org_id", orgID, "client_id", clientID)
	return app, nil
}

// ApplicationSecret opens an application's client secret.
func (m *Manager) ApplicationSecret(ctx context.Context, orgID, appID string) (secrets.Secret, error) {
	app, err := m.store.GetApplication(ctx, orgID, appID)
	if err != nil {
		return "", fmt.Errorf("reading application %q: %w", appID, err)
	}
	plain, err := m.openClientSecret(app)
	if err != nil {
		return "", err
	}
	return secrets.Secret(plain), nil
}
