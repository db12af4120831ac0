package members

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/store"
)

func TestBootstrapAdminPassword(t *testing.T) {
	st := openStore(t)
	result, err := Bootstrap(t.Context(), st, "", "chosen-password", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if result.Password != "" {
		t.Errorf("bootstrap with a chosen password returned a new one")
	}
	if _, err := CheckPassword(t.Context(), st, result.OrgID, AdminUsername, "chosen-password"); err != nil {
		t.Errorf("CheckPassword(chosen password) error = %v", err)
	}

	st = openStore(t)
	result, err = Bootstrap(t.Context(), st, "", "", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Password) < 20 {
		t.Fatalf("generated password has %d characters, want at least 20", len(result.Password))
	}
	if _, err := CheckPassword(t.Context(), st, result.OrgID, AdminUsername, result.Password); err != nil {
		t.Errorf("CheckPassword(generated password) error = %v", err)
	}
}

func TestBootstrapRejectsShortPassword(t *testing.T) {
	st := openStore(t)
	_, err := Bootstrap(t.Context(), st, "", "short", testNow)
	if err == nil || !strings.Contains(err.Error(), "PLUGBOARD_ADMIN_PASSWORD") || strings.Contains(err.Error(), "short\"") {
		t.Errorf("Bootstrap(short password) error = %v, want one naming PLUGBOARD_ADMIN_PASSWORD", err)
	}
	if n, _ := st.CountOrgs(t.Context()); n != 0 {
		t.Errorf("orgs after a rejected bootstrap = %d, want 0", n)
	}
}

func TestCheckPassword(t *testing.T) {
	f := newFixture(t)
	f.addMember(t, "bob", store.RoleDeveloper)
	orgID := f.admin.OrgID

	if _, err := CheckPassword(t.Context(), f.store, orgID, "bob", "anything-at-all"); !errors.Is(err, ErrNoPassword) {
		t.Errorf("CheckPassword(member without password) error = %v, want ErrNoPassword", err)
	}
	if err := f.manager.SetPassword(t.Context(), f.admin, "bob", "bobs-password"); err != nil {
		t.Fatal(err)
	}
	user, err := CheckPassword(t.Context(), f.store, orgID, "bob", "bobs-password")
	if err != nil || user.Username != "bob" {
		t.Errorf("CheckPassword(right password) = %q, %v; want bob, nil", user.Username, err)
	}
	for name, tc := range map[string]struct{ username, password string }{
		"wrong password": {"bob", "bobs-password!"},
		"unknown user":   {"nobody", "bobs-password"},
		"other org":      {"bob", "bobs-password"},
	} {
		org := orgID
		if name == "other org" {
			org = "another-org"
		}
		if _, err := CheckPassword(t.Context(), f.store, org, tc.username, tc.password); !errors.Is(err, ErrWrongPassword) {
			t.Errorf("%s: CheckPassword error = %v, want ErrWrongPassword", name, err)
		}
	}
}

func TestSetPasswordRules(t *testing.T) {
	f := newFixture(t)
	dev := f.addMember(t, "dan", store.RoleDeveloper)

	err := f.manager.SetPassword(t.Context(), dev, "dan", "dans-password")
	wantProblem(t, err, http.StatusForbidden, "forbidden")
	for _, password := range []string{"", "seven77", strings.Repeat("é", 37)} {
		err := f.manager.SetPassword(t.Context(), f.admin, "dan", password)
		wantProblem(t, err, http.StatusUnprocessableEntity, "invalid_password")
	}
	err = f.manager.SetPassword(t.Context(), f.admin, "nobody", "a-good-password")
	wantProblem(t, err, http.StatusNotFound, "user_not_found")

	if err := f.manager.SetPassword(t.Context(), f.admin, "dan", "a-good-password"); err != nil {
		t.Fatal(err)
	}
	hash, err := f.store.GetPasswordHash(t.Context(), dev.OrgID, dev.UserID)
	if err != nil || !strings.HasPrefix(hash, "$2a$") || strings.Contains(hash, "a-good-password") {
		t.Errorf("stored hash = %q, %v; want a bcrypt hash without the password", hash, err)
	}
	if cost, err := bcrypt.Cost([]byte(hash)); err != nil || cost != bcrypt.DefaultCost {
		t.Errorf("bcrypt cost of a chosen password = %d, %v; want %d", cost, err, bcrypt.DefaultCost)
	}
	actions := f.auditActions(t, dev.OrgID)
	if !slices.Contains(actions, audit.ActionUserPasswordSet) {
		t.Errorf("audit actions = %v, want %s among them", actions, audit.ActionUserPasswordSet)
	}
	entries, err := f.audit.List(t.Context(), dev.OrgID, store.ListAuditOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(strings.ToLower(fmtEntry(e)), "a-good-password") {
			t.Errorf("audit entry %s contains the password", e.Action)
		}
	}
}

func fmtEntry(e store.AuditEntry) string {
	var b strings.Builder
	b.WriteString(e.Action)
	for k, v := range e.Detail {
		b.WriteString(" " + k + "=")
		if s, ok := v.(string); ok {
			b.WriteString(s)
		}
	}
	return b.String()
}
