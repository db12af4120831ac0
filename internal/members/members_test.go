package members

import (
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

var testNow = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "plugboard.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestBootstrapPrintsTokenOnce(t *testing.T) {
	st := openStore(t)
	first, err := Bootstrap(t.Context(), st, "", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || !strings.HasPrefix(string(first.Token), "pb_") {
		t.Fatalf("first bootstrap = created %t, token prefix %q; want created with a pb_ token", first.Created, string(first.Token)[:3])
	}
	user, rec, err := Authenticate(t.Context(), st, string(first.Token))
	if err != nil {
		t.Fatalf("Authenticate(new admin token) error = %v", err)
	}
	if user.Username != AdminUsername || user.Role != store.RoleAdmin || rec.Name != "bootstrap" {
		t.Errorf("token belongs to %q (%s) named %q, want admin (admin) named bootstrap", user.Username, user.Role, rec.Name)
	}

	second, err := Bootstrap(t.Context(), st, "", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Token != "" {
		t.Errorf("second bootstrap = created %t, token set %t; want nothing created", second.Created, second.Token != "")
	}
}

func TestBootstrapChosenAdminToken(t *testing.T) {
	for _, token := range []string{
		"chosen-admin-token-0123456789abcdef",
		"pb_my_admin_0123456789abcdef0123456789abcdef",
		"pb_" + strings.Repeat("a", 40),
	} {
		t.Run(token[:12], func(t *testing.T) {
			st := openStore(t)
			result, err := Bootstrap(t.Context(), st, token, "", testNow)
			if err != nil {
				t.Fatal(err)
			}
			if result.Token != "" {
				t.Errorf("bootstrap with a chosen token returned a new one")
			}
			user, _, err := Authenticate(t.Context(), st, token)
			if err != nil {
				t.Fatalf("Authenticate(chosen token) error = %v", err)
			}
			if user.Username != AdminUsername {
				t.Errorf("chosen token belongs to %q, want admin", user.Username)
			}
			if _, _, err := Authenticate(t.Context(), st, token+"x"); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Authenticate(chosen token + x) error = %v, want ErrInvalidToken", err)
			}
		})
	}
}

func TestBootstrapRejectsShortToken(t *testing.T) {
	st := openStore(t)
	_, err := Bootstrap(t.Context(), st, "short", "", testNow)
	if err == nil || !strings.Contains(err.Error(), "PLUGBOARD_ADMIN_TOKEN") || strings.Contains(err.Error(), "short") {
		t.Errorf("Bootstrap(short token) error = %v, want one naming PLUGBOARD_ADMIN_TOKEN without its value", err)
	}
}

func TestAuthenticateRejectsBadTokens(t *testing.T) {
	st := openStore(t)
	boot, err := Bootstrap(t.Context(), st, "", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	good := string(boot.Token)
	orgID, tokenID, secret, _ := parseToken(good)
	for name, token := range map[string]string{
		"empty":        "",
		"no prefix":    strings.TrimPrefix(good, "pb_"),
		"wrong secret": formatTokenText(orgID, tokenID, strings.Repeat("0", len(secret))),
		"unknown id":   formatTokenText(orgID, "0000000000000000", secret),
		"other org":    formatTokenText("0123456789abcdef0123456789abcdef", tokenID, secret),
		"truncated":    good[:len(good)-1],
	} {
		if _, _, err := Authenticate(t.Context(), st, token); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: Authenticate error = %v, want ErrInvalidToken", name, err)
		}
	}
}

func formatTokenText(orgID, tokenID, secret string) string {
	return string(formatToken(orgID, tokenID, secret))
}

func TestIssueTokenStoresOnlyHash(t *testing.T) {
	st := openStore(t)
	boot, err := Bootstrap(t.Context(), st, "", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	admin, _, err := Authenticate(t.Context(), st, string(boot.Token))
	if err != nil {
		t.Fatal(err)
	}
	token, rec, err := IssueToken(t.Context(), st, admin.OrgID, admin.ID, "ci", []string{store.PermissionReadCredentials}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.GetAPIToken(t.Context(), admin.OrgID, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, _, secret, _ := parseToken(string(token))
	if strings.Contains(string(stored.Hash), secret) || len(stored.Hash) != 32 {
		t.Errorf("stored hash has %d bytes, want a 32-byte SHA-256 without the secret", len(stored.Hash))
	}
	_, got, err := Authenticate(t.Context(), st, string(token))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Permissions) != 1 || got.Permissions[0] != store.PermissionReadCredentials {
		t.Errorf("permissions = %v, want [%s]", got.Permissions, store.PermissionReadCredentials)
	}
}
