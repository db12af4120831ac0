package members

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/store"
)

// orgNamePattern is the form of an org name: 2 to 40 characters, lower-case
// letters, digits and "-", starting with a letter.
var orgNamePattern = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// ErrOrgExists is returned by CreateOrg when the name is taken.
var ErrOrgExists = errors.New("org already exists")

// NewOrg is an org made by CreateOrg, with its admin and the admin's token.
type NewOrg struct {
	Org   store.Org
	Admin store.User
	// Token is the admin's API token, to be shown once.
	Token Token
}

// CreateOrg creates an org with its first admin, named adminUsername, and
// an API token for that admin. It is an operator's action, so the audit
// entries name plugboard as the actor.
func (m *Manager) CreateOrg(ctx context.Context, name, adminUsername string) (NewOrg, error) {
	if !orgNamePattern.MatchString(name) {
		return NewOrg{}, fmt.Errorf("org name %q is not valid; use 2 to 40 lower-case letters, digits or \"-\", starting with a letter", name)
	}
	if !usernamePattern.MatchString(adminUsername) {
		return NewOrg{}, fmt.Errorf("admin username %q is not valid; use 2 to 32 lower-case letters, digits, \"_\", \".\" or \"-\", starting with a letter", adminUsername)
	}

	now := m.now().UTC()
	org := store.Org{ID: NewID(), Name: name, CreatedAt: now}
	if err := m.store.CreateOrg(ctx, org); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return NewOrg{}, fmt.Errorf("%w: %q; choose another name", ErrOrgExists, name)
		}
		return NewOrg{}, fmt.Errorf("creating org %q: %w", name, err)
	}
	// NOTE: the store has no transaction spanning the org, its admin and
	// the token, and no way to delete an org, so a failure below leaves an
	// org without an admin or without a token; the error names which.
	admin := store.User{OrgID: org.ID, ID: NewID(), Username: adminUsername, Role: store.RoleAdmin, CreatedAt: now}
	if err := m.store.CreateUser(ctx, admin); err != nil {
		return NewOrg{}, fmt.Errorf("org %q was created without its admin: creating user %q: %w", name, adminUsername, err)
	}
	token, rec, err := IssueToken(ctx, m.store, org.ID, admin.ID, "create-org", nil, now)
	if err != nil {
		return NewOrg{}, fmt.Errorf("org %q and admin %q were created without a token: %w", name, adminUsername, err)
	}

	m.logger.Info("org created", "org_id", org.ID, "org", name, "user_id", admin.ID)
	operator := connections.Actor{OrgID: org.ID}
	m.record(ctx, operator, audit.ActionUserCreated, "user", admin.ID,
		map[string]any{"username": admin.Username, "role": admin.Role})
	m.record(ctx, operator, audit.ActionTokenCreated, "api_token", rec.ID,
		map[string]any{"name": rec.Name, "user": admin.Username, "permissions": []string{}})
	return NewOrg{Org: org, Admin: admin, Token: token}, nil
}
