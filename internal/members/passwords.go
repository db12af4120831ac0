package members

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// Password length limits. bcrypt reads at most 72 bytes, so a longer
// password is rejected rather than cut silently.
const (
	MinPasswordLength      = 8
	maxPasswordBytes       = 72
	generatedPasswordBytes = 18 // random bytes of a generated password
)

// bcryptCost is the work factor of chosen passwords: bcrypt's default of
// 10, which took 52 ms per hash on the project's 2-core test machine.
const bcryptCost = bcrypt.DefaultCost

// Errors of CheckPassword. ErrWrongPassword covers an unknown user and a
// wrong password alike, so a sign-in page does not reveal which usernames
// exist.
var (
	ErrWrongPassword = errors.New("wrong username or password")
	// ErrNoPassword is returned for a user who has no password yet.
	ErrNoPassword = errors.New("user has no password")
)

// dummyHash is checked against when the user is unknown or has no password,
// so a failed sign-in takes as long whether or not the username exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("plugboard-dummy-password"), bcryptCost)

// PasswordProblem describes why a password is rejected, or returns "".
func PasswordProblem(password string) string {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return fmt.Sprintf("the password has %d characters; use at least %d", utf8.RuneCountInString(password), MinPasswordLength)
	case len(password) > maxPasswordBytes:
		return fmt.Sprintf("the password has %d bytes; use at most %d", len(password), maxPasswordBytes)
	case !utf8.ValidString(password):
		return "the password is not valid UTF-8"
	}
	return ""
}

// generatedPasswordCost is the work factor of a password made by
// GeneratePassword. Its 144 random bits make guessing infeasible at any
// hashing speed, as for API tokens, which are stored as SHA-256. So the
// minimum cost keeps the first start fast, also under the race detector.
const generatedPasswordCost = bcrypt.MinCost

// HashPassword returns the bcrypt hash of a password that passes
// PasswordProblem.
func HashPassword(password string) (string, error) {
	return hashPassword(password, bcryptCost)
}

func hashPassword(password string, cost int) (string, error) {
	if msg := PasswordProblem(password); msg != "" {
		return "", errors.New(msg)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return "", fmt.Errorf("hashing password: %w", err)
	}
	return string(hash), nil
}

// GeneratePassword returns a new random password of 24 characters.
func GeneratePassword() string {
	b := make([]byte, generatedPasswordBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return base64.RawURLEncoding.EncodeToString(b)
}

// SetUserPassword stores a new password for a member of an org and ends
// the member's web sessions. It is the operator's path (plugboard
// set-password) and the admin's, through Manager.SetPassword.
func SetUserPassword(ctx context.Context, st store.Store, orgID, username, password string) (store.User, error) {
	user, err := st.GetUserByUsername(ctx, orgID, username)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, problem.NotFound("user_not_found", "member %q not found; GET /v1/users lists the members", username)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("reading user %q: %w", username, err)
	}
	if msg := PasswordProblem(password); msg != "" {
		return store.User{}, problem.Invalid("invalid_password", "%s", msg)
	}
	hash, err := HashPassword(password)
	if err != nil {
		return store.User{}, err
	}
	if err := st.SetPasswordHash(ctx, orgID, user.ID, hash); err != nil {
		return store.User{}, fmt.Errorf("storing password of %q: %w", username, err)
	}
	if err := st.DeleteUserWebSessions(ctx, orgID, user.ID); err != nil {
		return store.User{}, fmt.Errorf("ending web sessions of %q: %w", username, err)
	}
	return user, nil
}

// SetPassword sets or resets a member's password for the web UI and ends
// their web sessions. Only admins may.
func (m *Manager) SetPassword(ctx context.Context, actor connections.Actor, username, password string) error {
	if err := requireAdmin(actor, "set passwords"); err != nil {
		return err
	}
	user, err := SetUserPassword(ctx, m.store, actor.OrgID, username, password)
	if err != nil {
		return err
	}
	m.logger.Info("member password set", "org_id", actor.OrgID, "user_id", user.ID)
	m.record(ctx, actor, audit.ActionUserPasswordSet, "user", user.ID, map[string]any{"username": user.Username})
	return nil
}

// CheckPassword returns the member of an org whose username and password
// match. It returns ErrWrongPassword for an unknown user or a wrong
// password and ErrNoPassword for a user who has none; both take about one
// bcrypt check.
func CheckPassword(ctx context.Context, st store.Store, orgID, username, password string) (store.User, error) {
	user, err := st.GetUserByUsername(ctx, orgID, username)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return store.User{}, ErrWrongPassword
	}
	if err != nil {
		return store.User{}, fmt.Errorf("reading user %q: %w", username, err)
	}
	hash, err := st.GetPasswordHash(ctx, orgID, user.ID)
	if err != nil {
		return store.User{}, fmt.Errorf("reading password of %q: %w", username, err)
	}
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return user, ErrNoPassword
	}
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); err != nil {
		return store.User{}, ErrWrongPassword
	}
	return user, nil
}
