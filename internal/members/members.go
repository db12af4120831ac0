// Package members manages orgs, users and API tokens: the first start's
// bootstrap, the authentication of API requests, and the rules for
// changing members and tokens. Admins add, change and remove members and
// may manage any token of their org. Every member lists the members and
// manages their own tokens. An org always keeps at least one admin.
package members

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// DefaultOrg and AdminUsername are created on the first start.
const (
	DefaultOrg    = "default"
	AdminUsername = "admin"
)

// tokenPrefix starts every API token, so secret scanners can spot them.
const tokenPrefix = "pb_"

// ErrInvalidToken is returned for a token that is malformed, unknown or
// does not match its hash.
var ErrInvalidToken = errors.New("invalid api token")

// NewID returns a random 128-bit ID in hex.
func NewID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b)
}

// Token is an API token's plaintext, shown once.
type Token string

// LogValue keeps the token out of structured logs.
func (t Token) LogValue() slog.Value {
	return slog.StringValue("[redacted]")
}

// A token reads pb_<org id>_<token id>_<secret>: the IDs locate the row
// with a key that includes the org, and only the secret's SHA-256 is stored.
func formatToken(orgID, tokenID, secret string) Token {
	return Token(tokenPrefix + orgID + "_" + tokenID + "_" + secret)
}

func parseToken(plain string) (orgID, tokenID, secret string, ok bool) {
	rest, found := strings.CutPrefix(plain, tokenPrefix)
	if !found {
		return "", "", "", false
	}
	parts := strings.SplitN(rest, "_", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || len(parts[2]) < 32 {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[2], true
}

func hashSecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// IssueToken creates an API token for a user and returns its plaintext.
func IssueToken(ctx context.Context, st store.Store, orgID, userID, name string, permissions []string, now time.Time) (Token, store.APIToken, error) {
	secretBytes := make([]byte, 32)
	_, _ = rand.Read(secretBytes)
	return issueWithSecret(ctx, st, orgID, userID, name, hex.EncodeToString(secretBytes), permissions, now)
}

func issueWithSecret(ctx context.Context, st store.Store, orgID, userID, name, secret string, permissions []string, now time.Time) (Token, store.APIToken, error) {
	rec := store.APIToken{
		OrgID:       orgID,
		ID:          NewID()[:16],
		UserID:      userID,
		Name:        name,
		Hash:        hashSecret(secret),
		Permissions: permissions,
		CreatedAt:   now,
	}
	if err := st.CreateAPIToken(ctx, rec); err != nil {
		return "", store.APIToken{}, fmt.Errorf("storing api token %q: %w", name, err)
	}
	return formatToken(orgID, rec.ID, secret), rec, nil
}

// Authenticate returns the user and token record of a plaintext API token.
func Authenticate(ctx context.Context, st store.Store, plain string) (store.User, store.APIToken, error) {
	rec, secret, err := findToken(ctx, st, plain)
	if err != nil {
		return store.User{}, store.APIToken{}, err
	}
	if subtle.ConstantTimeCompare(rec.Hash, hashSecret(secret)) != 1 {
		return store.User{}, store.APIToken{}, ErrInvalidToken
	}
	user, err := st.GetUser(ctx, rec.OrgID, rec.UserID)
	if err != nil {
		return store.User{}, store.APIToken{}, fmt.Errorf("reading user of api token: %w", err)
	}
	return user, rec, nil
}

// findToken returns the stored record of a plaintext token and the secret
// part to check against its hash. A token that is not of the pb_ form, or is
// of that form but not found, can still be the admin token chosen with
// PLUGBOARD_ADMIN_TOKEN, which is stored as the default org's bootstrap
// token with the whole plaintext as its secret.
func findToken(ctx context.Context, st store.Store, plain string) (store.APIToken, string, error) {
	if orgID, tokenID, secret, ok := parseToken(plain); ok {
		rec, err := st.GetAPIToken(ctx, orgID, tokenID)
		if err == nil {
			return rec, secret, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.APIToken{}, "", fmt.Errorf("reading api token: %w", err)
		}
	}
	org, err := st.GetOrgByName(ctx, DefaultOrg)
	if errors.Is(err, store.ErrNotFound) {
		return store.APIToken{}, "", ErrInvalidToken
	}
	if err != nil {
		return store.APIToken{}, "", fmt.Errorf("reading org %q: %w", DefaultOrg, err)
	}
	rec, err := st.GetAPIToken(ctx, org.ID, FixedTokenID)
	if errors.Is(err, store.ErrNotFound) {
		return store.APIToken{}, "", ErrInvalidToken
	}
	if err != nil {
		return store.APIToken{}, "", fmt.Errorf("reading api token: %w", err)
	}
	return rec, plain, nil
}
