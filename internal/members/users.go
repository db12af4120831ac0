package members

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// usernamePattern is the form of a username: 2 to 32 characters, lower-case
// letters, digits, "_", "." and "-", starting with a letter.
var usernamePattern = regexp.MustCompile(`^[a-z][a-z0-9_.-]{1,31}$`)

var roles = []string{store.RoleAdmin, store.RoleDeveloper, store.RoleViewer}

// maxNamedRecords is how many owned records a user_in_use message names.
const maxNamedRecords = 5

// UserInput is a new member.
type UserInput struct {
	Username string
	Role     string
}

// ListUsers returns up to limit members of the actor's org in username
// order, after the username after when it is set. Every member may list.
func (m *Manager) ListUsers(ctx context.Context, actor connections.Actor, after string, limit int) ([]store.User, error) {
	users, err := m.store.ListUsers(ctx, actor.OrgID)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	out := []store.User{}
	for _, u := range users {
		if after != "" && u.Username <= after {
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, u)
	}
	return out, nil
}

// User returns a member of the actor's org by username.
func (m *Manager) User(ctx context.Context, actor connections.Actor, username string) (store.User, error) {
	user, err := m.store.GetUserByUsername(ctx, actor.OrgID, username)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, problem.NotFound("user_not_found", "member %q not found; GET /v1/users lists the members", username)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("reading user %q: %w", username, err)
	}
	return user, nil
}

// CreateUser adds a member to the actor's org. Only admins may.
func (m *Manager) CreateUser(ctx context.Context, actor connections.Actor, in UserInput) (store.User, error) {
	if err := requireAdmin(actor, "add members"); err != nil {
		return store.User{}, err
	}
	if err := checkUsername(in.Username); err != nil {
		return store.User{}, err
	}
	if err := checkRole(in.Role); err != nil {
		return store.User{}, err
	}
	user := store.User{OrgID: actor.OrgID, ID: NewID(), Username: in.Username, Role: in.Role, CreatedAt: m.now().UTC()}
	if err := m.store.CreateUser(ctx, user); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.User{}, problem.Conflict("user_exists", "member %q already exists; choose another username", in.Username)
		}
		return store.User{}, fmt.Errorf("creating user %q: %w", in.Username, err)
	}
	m.logger.Info("member added", "org_id", actor.OrgID, "user_id", user.ID, "role", user.Role)
	m.record(ctx, actor, audit.ActionUserCreated, "user", user.ID,
		map[string]any{"username": user.Username, "role": user.Role})
	return user, nil
}

// UpdateUser changes a member's role. Only admins may, and the org's last
// admin keeps the admin role.
func (m *Manager) UpdateUser(ctx context.Context, actor connections.Actor, username, role string) (store.User, error) {
	if err := requireAdmin(actor, "change members"); err != nil {
		return store.User{}, err
	}
	if err := checkRole(role); err != nil {
		return store.User{}, err
	}
	user, err := m.User(ctx, actor, username)
	if err != nil {
		return store.User{}, err
	}
	if user.Role == role {
		return user, nil
	}
	updated, err := m.setRoleKeepingAdmin(ctx, user, role)
	if err != nil {
		return store.User{}, err
	}
	m.logger.Info("member role changed", "org_id", actor.OrgID, "user_id", user.ID, "role", role, "previous_role", user.Role)
	m.record(ctx, actor, audit.ActionUserUpdated, "user", user.ID,
		map[string]any{"username": user.Username, "role": role, "previous_role": user.Role})
	return updated, nil
}

// DeleteUser removes a member with their API tokens and credentials. Only
// admins may. It fails while the member owns connections or webhooks, and
// for the org's last admin.
func (m *Manager) DeleteUser(ctx context.Context, actor connections.Actor, username string) error {
	if err := requireAdmin(actor, "remove members"); err != nil {
		return err
	}
	user, err := m.User(ctx, actor, username)
	if err != nil {
		return err
	}
	if err := m.checkOwnsNothing(ctx, user); err != nil {
		return err
	}

	// An admin is demoted first, under the same check as a role change, so
	// two admins removing each other at once cannot leave the org without
	// an admin.
	if user.Role == store.RoleAdmin {
		if _, err := m.setRoleKeepingAdmin(ctx, user, store.RoleViewer); err != nil {
			return err
		}
	}
	m.revokeCredentials(ctx, actor, user)

	err = m.store.DeleteUser(ctx, actor.OrgID, user.ID)
	if err != nil && user.Role == store.RoleAdmin {
		m.restoreRole(ctx, user)
	}
	switch {
	case errors.Is(err, store.ErrInUse):
		return problem.Conflict("user_in_use",
			"member %q owns connections or webhooks; delete them first, because they act with the member's credentials", username)
	case errors.Is(err, store.ErrNotFound):
		return problem.NotFound("user_not_found", "member %q not found; GET /v1/users lists the members", username)
	case err != nil:
		return fmt.Errorf("deleting user %q: %w", username, err)
	}

	m.logger.Info("member removed", "org_id", actor.OrgID, "user_id", user.ID)
	m.record(ctx, actor, audit.ActionUserDeleted, "user", user.ID,
		map[string]any{"username": user.Username, "role": user.Role})
	return nil
}

// revokeCredentials revokes user's credentials at the providers before the
// store deletes them. It is best effort: a failure is logged, and the
// credential is deleted with the user anyway.
func (m *Manager) revokeCredentials(ctx context.Context, actor connections.Actor, user store.User) {
	if m.credentials == nil {
		return
	}
	conns, err := m.store.ListConnections(ctx, user.OrgID, store.ListConnectionsOptions{})
	if err != nil {
		m.logger.Warn("revoking credentials of removed member skipped", "org_id", user.OrgID, "user_id", user.ID, "err", err)
		return
	}
	for _, conn := range conns {
		_, err := m.store.GetCredential(ctx, user.OrgID, conn.ID, user.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err == nil {
			_, err = m.credentials.RevokeMember(ctx, actor, conn.LinkName, user.Username)
		}
		if err != nil {
			m.logger.Warn("revoking credential of removed member failed", "org_id", user.OrgID, "user_id", user.ID,
				"connection", conn.LinkName, "err", err)
		}
	}
}

// checkOwnsNothing returns user_in_use naming the connections and webhooks
// that user owns, if any.
func (m *Manager) checkOwnsNothing(ctx context.Context, user store.User) error {
	conns, err := m.store.ListConnections(ctx, user.OrgID, store.ListConnectionsOptions{OwnerID: user.ID})
	if err != nil {
		return fmt.Errorf("listing connections of %q: %w", user.Username, err)
	}
	hooks, err := m.store.ListWebhooks(ctx, user.OrgID, store.ListWebhooksOptions{})
	if err != nil {
		return fmt.Errorf("listing webhooks: %w", err)
	}

	var links, hookNames []string
	for _, c := range conns {
		links = append(links, c.LinkName)
	}
	for _, h := range hooks {
		if h.CreatedBy == user.ID {
			hookNames = append(hookNames, h.Name)
		}
	}
	if len(links) == 0 && len(hookNames) == 0 {
		return nil
	}

	var owned []string
	if len(links) > 0 {
		owned = append(owned, "connections "+quoteList(links))
	}
	if len(hookNames) > 0 {
		owned = append(owned, "webhooks "+quoteList(hookNames))
	}
	return problem.Conflict("user_in_use",
		"member %q owns %s; delete them first, because they act with the member's credentials",
		user.Username, strings.Join(owned, " and ")).
		With("connections", nonNil(links)).With("webhooks", nonNil(hookNames))
}

// setRoleKeepingAdmin changes user's role unless the org would be left
// without an admin, which fails with last_admin. The store cannot count
// the admins in the transaction that changes the role, so the count is
// checked before the change and again after it: when two admins demote
// each other at once, the second count finds no admin, the change is undone
// and the caller gets last_admin.
func (m *Manager) setRoleKeepingAdmin(ctx context.Context, user store.User, role string) (store.User, error) {
	demoting := user.Role == store.RoleAdmin && role != store.RoleAdmin
	if demoting {
		n, err := m.countAdmins(ctx, user.OrgID)
		if err != nil {
			return store.User{}, err
		}
		if n <= 1 {
			return store.User{}, lastAdmin(user.Username)
		}
	}
	updated, err := m.store.UpdateUser(ctx, user.OrgID, user.ID, func(u *store.User) error {
		u.Role = role
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, problem.NotFound("user_not_found", "member %q not found; GET /v1/users lists the members", user.Username)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("updating user %q: %w", user.Username, err)
	}
	if !demoting {
		return updated, nil
	}
	n, err := m.countAdmins(ctx, user.OrgID)
	if err != nil {
		m.restoreRole(ctx, user)
		return store.User{}, err
	}
	if n == 0 {
		m.restoreRole(ctx, user)
		return store.User{}, lastAdmin(user.Username)
	}
	return updated, nil
}

// restoreRole sets user's role back to the one it had, after a change that
// must not stay. The context is detached, so an ended request still
// restores it.
func (m *Manager) restoreRole(ctx context.Context, user store.User) {
	_, err := m.store.UpdateUser(context.WithoutCancel(ctx), user.OrgID, user.ID, func(u *store.User) error {
		u.Role = user.Role
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		m.logger.Error("restoring member role failed", "org_id", user.OrgID, "user_id", user.ID, "role", user.Role, "err", err)
	}
}

func (m *Manager) countAdmins(ctx context.Context, orgID string) (int, error) {
	users, err := m.store.ListUsers(ctx, orgID)
	if err != nil {
		return 0, fmt.Errorf("listing users: %w", err)
	}
	n := 0
	for _, u := range users {
		if u.Role == store.RoleAdmin {
			n++
		}
	}
	return n, nil
}

func lastAdmin(username string) error {
	return problem.Conflict("last_admin",
		"member %q is the org's last admin; make another member an admin first", username)
}

func checkUsername(username string) error {
	if !usernamePattern.MatchString(username) {
		return problem.Invalid("invalid_username",
			"username %q is not valid; use 2 to 32 lower-case letters, digits, \"_\", \".\" or \"-\", starting with a letter", username)
	}
	return nil
}

func checkRole(role string) error {
	if slices.Contains(roles, role) {
		return nil
	}
	if role == "" {
		return problem.Invalid("invalid_role", "role is missing; use admin, developer or viewer")
	}
	return problem.Invalid("invalid_role", "role %q is not valid; use admin, developer or viewer", role)
}

// quoteList quotes names for a message, naming at most maxNamedRecords.
func quoteList(names []string) string {
	quoted := make([]string, 0, min(len(names), maxNamedRecords+1))
	for i, name := range names {
		if i == maxNamedRecords {
			quoted = append(quoted, fmt.Sprintf("and %d more", len(names)-i))
			break
		}
		quoted = append(quoted, fmt.Sprintf("%q", name))
	}
	return strings.Join(quoted, ", ")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
