package members

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// AllUsers, as the user of ListTokens, lists the tokens of every member.
const AllUsers = "*"

// maxTokenNameLength bounds a token's name, in characters.
const maxTokenNameLength = 100

var knownPermissions = []string{store.PermissionReadCredentials}

// TokenInfo describes an API token without its value or hash.
type TokenInfo struct {
	ID          string
	Name        string
	UserID      string
	Username    string
	Permissions []string
	CreatedAt   time.Time
	LastUsedAt  time.Time // zero when the token was never used
}

// SortKey returns the key ListTokens orders and pages tokens by: the
// creation time, then the ID.
func (t TokenInfo) SortKey() string {
	return t.CreatedAt.UTC().Format("20060102150405.000000000") + "/" + t.ID
}

func tokenInfo(rec store.APIToken, username string) TokenInfo {
	return TokenInfo{
		ID: rec.ID, Name: rec.Name, UserID: rec.UserID, Username: username,
		Permissions: nonNil(rec.Permissions), CreatedAt: rec.CreatedAt, LastUsedAt: rec.LastUsedAt,
	}
}

// ListTokens returns up to limit API tokens in creation order, after the
// SortKey after when it is set. username selects whose: empty for the
// actor's own, a username, or AllUsers for the whole org. Only admins may
// list another member's tokens.
func (m *Manager) ListTokens(ctx context.Context, actor connections.Actor, username, after string, limit int) ([]TokenInfo, error) {
	userID := actor.UserID
	switch username {
	case "", actor.Username:
	case AllUsers:
		if err := requireAdmin(actor, "list other members' API tokens"); err != nil {
			return nil, err
		}
		userID = ""
	default:
		if err := requireAdmin(actor, "list other members' API tokens"); err != nil {
			return nil, err
		}
		user, err := m.User(ctx, actor, username)
		if err != nil {
			return nil, err
		}
		userID = user.ID
	}

	recs, err := m.store.ListAPITokens(ctx, actor.OrgID, userID)
	if err != nil {
		return nil, fmt.Errorf("listing api tokens: %w", err)
	}
	names, err := m.usernames(ctx, actor.OrgID)
	if err != nil {
		return nil, err
	}
	infos := make([]TokenInfo, 0, len(recs))
	for _, rec := range recs {
		infos = append(infos, tokenInfo(rec, names[rec.UserID]))
	}
	slices.SortStableFunc(infos, func(a, b TokenInfo) int {
		return cmp.Compare(a.SortKey(), b.SortKey())
	})

	out := []TokenInfo{}
	for _, info := range infos {
		if after != "" && info.SortKey() <= after {
			continue
		}
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, info)
	}
	return out, nil
}

func (m *Manager) usernames(ctx context.Context, orgID string) (map[string]string, error) {
	users, err := m.store.ListUsers(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Username
	}
	return names, nil
}

// TokenInput is a new API token.
type TokenInput struct {
	Name        string
	Permissions []string
	// User is the username of the member the token is for; empty means the
	// actor. Only admins may create tokens for others.
	User string
}

// CreateToken issues an API token and returns its value, to be shown once.
// callerPermissions are the permissions of the token the actor uses: a
// token passes on only permissions it has, unless the actor is an admin,
// and a viewer's token never gets credentials:read.
func (m *Manager) CreateToken(ctx context.Context, actor connections.Actor, callerPermissions []string, in TokenInput) (Token, TokenInfo, error) {
	name := strings.TrimSpace(in.Name)
	if name == "" {
		return "", TokenInfo{}, problem.Invalid("invalid_token_request", "name is missing; name the token after its use, such as \"ci\"")
	}
	if n := len([]rune(name)); n > maxTokenNameLength {
		return "", TokenInfo{}, problem.Invalid("invalid_token_request",
			"name has %d characters; use at most %d", n, maxTokenNameLength)
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", TokenInfo{}, problem.Invalid("invalid_token_request", "name contains a control character; remove it")
	}
	for _, p := range in.Permissions {
		if !slices.Contains(knownPermissions, p) {
			return "", TokenInfo{}, problem.Invalid("invalid_permission",
				"permission %q is not known; use one of %s", p, strings.Join(knownPermissions, ", "))
		}
	}

	owner, err := m.tokenOwner(ctx, actor, in.User)
	if err != nil {
		return "", TokenInfo{}, err
	}
	ownerActor := connections.Actor{OrgID: owner.OrgID, UserID: owner.ID, Username: owner.Username, Role: owner.Role}
	if slices.Contains(in.Permissions, store.PermissionReadCredentials) && !ownerActor.CanUseCredentials() {
		return "", TokenInfo{}, problem.Forbidden("forbidden", "role %q cannot be given permission %q", owner.Role, store.PermissionReadCredentials)
	}
	// A token passes on only permissions it has itself, so a token without
	// credentials:read cannot mint one that has it. Admins grant any.
	for _, p := range in.Permissions {
		if !slices.Contains(callerPermissions, p) && actor.Role != store.RoleAdmin {
			return "", TokenInfo{}, problem.Forbidden("forbidden",
				"this API token does not have permission %q, so it cannot grant it; ask an admin to create the token", p)
		}
	}

	token, rec, err := IssueToken(ctx, m.store, actor.OrgID, owner.ID, name, in.Permissions, m.now().UTC())
	if err != nil {
		return "", TokenInfo{}, err
	}
	m.logger.Info("api token created", "org_id", actor.OrgID, "user_id", owner.ID, "token_id", rec.ID)
	m.record(ctx, actor, audit.ActionTokenCreated, "api_token", rec.ID,
		map[string]any{"name": rec.Name, "user": owner.Username, "permissions": nonNil(rec.Permissions)})
	return token, tokenInfo(rec, owner.Username), nil
}

// tokenOwner returns the member a new token is for.
func (m *Manager) tokenOwner(ctx context.Context, actor connections.Actor, username string) (store.User, error) {
	if username == "" || username == actor.Username {
		return store.User{OrgID: actor.OrgID, ID: actor.UserID, Username: actor.Username, Role: actor.Role}, nil
	}
	if err := requireAdmin(actor, "create API tokens for other members"); err != nil {
		return store.User{}, err
	}
	return m.User(ctx, actor, username)
}

// DeleteToken revokes an API token: the actor's own, or any token of the
// org for an admin. The token used for the request may be revoked too.
// Another member's token is reported as not found to non-admins, so they
// cannot probe token IDs.
func (m *Manager) DeleteToken(ctx context.Context, actor connections.Actor, tokenID string) error {
	rec, err := m.store.GetAPIToken(ctx, actor.OrgID, tokenID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.UserID != actor.UserID && actor.Role != store.RoleAdmin) {
		return problem.NotFound("token_not_found", "API token %q not found; GET /v1/tokens lists your tokens", tokenID)
	}
	if err != nil {
		return fmt.Errorf("reading api token %q: %w", tokenID, err)
	}
	err = m.store.DeleteAPIToken(ctx, actor.OrgID, tokenID)
	if errors.Is(err, store.ErrNotFound) {
		return problem.NotFound("token_not_found", "API token %q not found; GET /v1/tokens lists your tokens", tokenID)
	}
	if err != nil {
		return fmt.Errorf("deleting api token %q: %w", tokenID, err)
	}
	username := actor.Username
	if rec.UserID != actor.UserID {
		username = ""
		if owner, err := m.store.GetUser(ctx, actor.OrgID, rec.UserID); err == nil {
			username = owner.Username
		}
	}
	m.logger.Info("api token deleted", "org_id", actor.OrgID, "user_id", rec.UserID, "token_id", rec.ID)
	m.record(ctx, actor, audit.ActionTokenDeleted, "api_token", rec.ID,
		map[string]any{"name": rec.Name, "user": username})
	return nil
}
