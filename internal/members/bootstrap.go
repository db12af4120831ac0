package members

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// BootstrapResult is the outcome of the first start.
type BootstrapResult struct {
	Created bool
	OrgID   string
	// Token is the admin's new API token when none was given; the caller
	// prints it once. Empty when AdminToken was given or nothing was created.
	Token Token
	// Password is the admin's new web UI password when none was given; the
	// caller prints it once. Empty when one was given or nothing was created.
	Password string
}

// Bootstrap creates the org "default" and its user "admin" when the database
// has no org. The admin's API token is adminToken when it is set, which may
// be any string of 32 or more characters. The admin's web UI password is
// adminPassword when it is set. A token or password not given is created
// and returned to be shown once.
func Bootstrap(ctx context.Context, st store.Store, adminToken, adminPassword string, now time.Time) (BootstrapResult, error) {
	if adminToken != "" && len(adminToken) < 32 {
		return BootstrapResult{}, fmt.Errorf("PLUGBOARD_ADMIN_TOKEN has %d characters; use at least 32 random characters", len(adminToken))
	}
	if adminPassword != "" {
		if msg := PasswordProblem(adminPassword); msg != "" {
			return BootstrapResult{}, fmt.Errorf("PLUGBOARD_ADMIN_PASSWORD is not valid: %s", msg)
		}
	}
	n, err := st.CountOrgs(ctx)
	if err != nil {
		return BootstrapResult{}, fmt.Errorf("counting orgs: %w", err)
	}
	if n > 0 {
		return BootstrapResult{}, nil
	}
	org := store.Org{ID: NewID(), Name: DefaultOrg, CreatedAt: now}
	if err := st.CreateOrg(ctx, org); err != nil {
		if errors.Is(err, store.ErrConflict) {
			// Another instance bootstrapped first.
			return BootstrapResult{}, nil
		}
		return BootstrapResult{}, fmt.Errorf("creating org %q: %w", DefaultOrg, err)
	}
	admin := store.User{OrgID: org.ID, ID: NewID(), Username: AdminUsername, Role: store.RoleAdmin, CreatedAt: now}
	if err := st.CreateUser(ctx, admin); err != nil {
		return BootstrapResult{}, fmt.Errorf("creating user %q: %w", AdminUsername, err)
	}

	result := BootstrapResult{Created: true, OrgID: org.ID}
	cost := bcryptCost
	if adminPassword == "" {
		adminPassword = GeneratePassword()
		result.Password = adminPassword
		cost = generatedPasswordCost
	}
	hash, err := hashPassword(adminPassword, cost)
	if err != nil {
		return BootstrapResult{}, err
	}
	if err := st.SetPasswordHash(ctx, org.ID, admin.ID, hash); err != nil {
		return BootstrapResult{}, fmt.Errorf("storing the password of %q: %w", AdminUsername, err)
	}
	if adminToken != "" {
		if err := st.CreateAPIToken(ctx, store.APIToken{
			OrgID: org.ID, ID: FixedTokenID, UserID: admin.ID, Name: "bootstrap",
			Hash: hashSecret(adminToken), CreatedAt: now,
		}); err != nil {
			return BootstrapResult{}, fmt.Errorf("storing admin token: %w", err)
		}
		return result, nil
	}
	token, _, err := IssueToken(ctx, st, org.ID, admin.ID, "bootstrap", nil, now)
	if err != nil {
		return BootstrapResult{}, err
	}
	result.Token = token
	return result, nil
}

// FixedTokenID is the ID of the admin token given by PLUGBOARD_ADMIN_TOKEN.
const FixedTokenID = "bootstrap"
