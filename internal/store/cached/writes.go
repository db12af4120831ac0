package cached

import (
	"bytes"
	"context"
	"maps"
	"slices"

	"github.com/plugboard/plugboard/internal/store"
)

// The writes below pass through to the backend, whose transaction raises
// the org's generation, and then drop this instance's copies of the org.

// CreateUser inserts a user.
func (s *Store) CreateUser(ctx context.Context, user store.User) error {
	defer s.changed(ctx, user.OrgID)
	return s.Store.CreateUser(ctx, user)
}

// UpdateUser changes a user's role.
func (s *Store) UpdateUser(ctx context.Context, orgID, userID string, update func(*store.User) error) (store.User, error) {
	defer s.changed(ctx, orgID)
	return s.Store.UpdateUser(ctx, orgID, userID, update)
}

// DeleteUser deletes a user with their API tokens and credentials.
func (s *Store) DeleteUser(ctx context.Context, orgID, userID string) error {
	defer s.changed(ctx, orgID)
	return s.Store.DeleteUser(ctx, orgID, userID)
}

// CreateAPIToken inserts an API token.
func (s *Store) CreateAPIToken(ctx context.Context, token store.APIToken) error {
	defer s.changed(ctx, token.OrgID)
	return s.Store.CreateAPIToken(ctx, token)
}

// DeleteAPIToken deletes an API token.
func (s *Store) DeleteAPIToken(ctx context.Context, orgID, tokenID string) error {
	defer s.changed(ctx, orgID)
	return s.Store.DeleteAPIToken(ctx, orgID, tokenID)
}

// CreateService inserts a custom service.
func (s *Store) CreateService(ctx context.Context, svc store.CustomService) error {
	defer s.changed(ctx, svc.OrgID)
	return s.Store.CreateService(ctx, svc)
}

// UpdateService changes a custom service.
func (s *Store) UpdateService(ctx context.Context, orgID, key string, update func(*store.CustomService) error) (store.CustomService, error) {
	defer s.changed(ctx, orgID)
	return s.Store.UpdateService(ctx, orgID, key, update)
}

// DeleteService deletes a custom service.
func (s *Store) DeleteService(ctx context.Context, orgID, key string) error {
	defer s.changed(ctx, orgID)
	return s.Store.DeleteService(ctx, orgID, key)
}

// CreateApplication inserts an application.
func (s *Store) CreateApplication(ctx context.Context, app store.Application) error {
	defer s.changed(ctx, app.OrgID)
	return s.Store.CreateApplication(ctx, app)
}

// UpdateApplication changes an application.
func (s *Store) UpdateApplication(ctx context.Context, orgID, id string, update func(*store.Application) error) (store.Application, error) {
	defer s.changed(ctx, orgID)
	return s.Store.UpdateApplication(ctx, orgID, id, update)
}

// DeleteApplication deletes an application.
func (s *Store) DeleteApplication(ctx context.Context, orgID, id string) error {
	defer s.changed(ctx, orgID)
	return s.Store.DeleteApplication(ctx, orgID, id)
}

// CreateConnection inserts a connection.
func (s *Store) CreateConnection(ctx context.Context, conn store.Connection) error {
	defer s.changed(ctx, conn.OrgID)
	return s.Store.CreateConnection(ctx, conn)
}

// UpdateConnection changes a connection.
func (s *Store) UpdateConnection(ctx context.Context, orgID, linkName string, update func(*store.Connection, []store.Credential) error) (store.Connection, error) {
	defer s.changed(ctx, orgID)
	return s.Store.UpdateConnection(ctx, orgID, linkName, update)
}

// DeleteConnection deletes a connection and its credentials.
func (s *Store) DeleteConnection(ctx context.Context, orgID, linkName string) error {
	defer s.changed(ctx, orgID)
	return s.Store.DeleteConnection(ctx, orgID, linkName)
}

// PutCredential inserts or replaces a credential.
func (s *Store) PutCredential(ctx context.Context, cred store.Credential) error {
	defer s.changed(ctx, cred.OrgID)
	return s.Store.PutCredential(ctx, cred)
}

// UpdateCredential changes a credential with its row locked.
func (s *Store) UpdateCredential(ctx context.Context, orgID, connectionID, userID string, update func(*store.Credential) error) (store.Credential, error) {
	defer s.changed(ctx, orgID)
	return s.Store.UpdateCredential(ctx, orgID, connectionID, userID, update)
}

// DeleteCredential deletes a credential.
func (s *Store) DeleteCredential(ctx context.Context, orgID, connectionID, userID string) error {
	defer s.changed(ctx, orgID)
	return s.Store.DeleteCredential(ctx, orgID, connectionID, userID)
}

// ResealAll re-seals every secret of every org.
func (s *Store) ResealAll(ctx context.Context, reseal func(store.SealedValue) (string, error)) (int, error) {
	defer s.changedAll(ctx)
	return s.Store.ResealAll(ctx, reseal)
}

func cloneAPIToken(t store.APIToken) store.APIToken {
	t.Hash = bytes.Clone(t.Hash)
	t.Permissions = slices.Clone(t.Permissions)
	return t
}

func cloneConnection(c store.Connection) store.Connection {
	c.Scopes = slices.Clone(c.Scopes)
	return c
}

func cloneService(svc store.CustomService) store.CustomService {
	svc.Service = svc.Service.Clone()
	return svc
}

func cloneCredential(c store.Credential) store.Credential {
	c.GrantedScopes = slices.Clone(c.GrantedScopes)
	if c.Extras != nil {
		c.Extras = cloneJSONObject(c.Extras)
	}
	return c
}

// cloneJSONObject copies a decoded JSON object with its nested objects and
// arrays. The other JSON values are immutable, so the copy shares them.
func cloneJSONObject(m map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range out {
		out[k] = cloneJSONValue(v)
	}
	return out
}

func cloneJSONValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return cloneJSONObject(v)
	case []any:
		out := slices.Clone(v)
		for i, item := range out {
			out[i] = cloneJSONValue(item)
		}
		return out
	}
	return v
}
