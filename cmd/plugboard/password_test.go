package main

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

func TestSetPasswordCommand(t *testing.T) {
	for _, name := range []string{"PLUGBOARD_DATABASE_URL", "PLUGBOARD_DATA_DIR", "PLUGBOARD_LOG_LEVEL", "PLUGBOARD_LOG_FORMAT", "PLUGBOARD_NEW_PASSWORD"} {
		t.Setenv(name, "")
	}
	dataDir := t.TempDir()
	path := filepath.Join(dataDir, "plugboard.db")
	st, err := sqlite.Open(t.Context(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	boot, err := members.Bootstrap(t.Context(), st, "", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	// A database from before the web UI has an admin without a password.
	admin, err := st.GetUserByUsername(t.Context(), boot.OrgID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetPasswordHash(t.Context(), boot.OrgID, admin.ID, ""); err != nil {
		t.Fatal(err)
	}
	st.Close()

	checkPassword := func(password string) error {
		t.Helper()
		st, err := sqlite.Open(t.Context(), path, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		_, err = members.CheckPassword(t.Context(), st, boot.OrgID, "admin", password)
		return err
	}

	var stdout, stderr bytes.Buffer
	err = setPassword(t.Context(), []string{"--user", "admin", "--data-dir", dataDir}, strings.NewReader("from-stdin-123\n"), &stdout, &stderr)
	if err != nil {
		t.Fatalf("set-password from stdin: %v\n%s", err, stderr.String())
	}
	if err := checkPassword("from-stdin-123"); err != nil {
		t.Errorf("password from stdin does not sign in: %v", err)
	}
	if strings.Contains(stdout.String()+stderr.String(), "from-stdin-123") {
		t.Errorf("set-password printed the password")
	}

	t.Setenv("PLUGBOARD_NEW_PASSWORD", "from-environment-123")
	if err := setPassword(t.Context(), []string{"--user=admin", "--data-dir", dataDir}, strings.NewReader(""), &stdout, &stderr); err != nil {
		t.Fatalf("set-password from PLUGBOARD_NEW_PASSWORD: %v", err)
	}
	if err := checkPassword("from-environment-123"); err != nil {
		t.Errorf("password from the environment does not sign in: %v", err)
	}
	t.Setenv("PLUGBOARD_NEW_PASSWORD", "")

	for _, tt := range []struct {
		name, stdin, want string
		args              []string
	}{
		{"missing user flag", "a-good-password\n", "--user NAME is missing", []string{"--data-dir", dataDir}},
		{"unknown member", "a-good-password\n", `member "nobody" not found`, []string{"--user", "nobody", "--data-dir", dataDir}},
		{"unknown org", "a-good-password\n", `org "acme"`, []string{"--user", "admin", "--org", "acme", "--data-dir", dataDir}},
		{"short password", "short\n", "use at least 8", []string{"--user", "admin", "--data-dir", dataDir}},
		{"no password", "", "no password given", []string{"--user", "admin", "--data-dir", dataDir}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stderr.Reset()
			err := setPassword(t.Context(), tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tt.want) {
				t.Errorf("set-password error = %v, output %q; want one containing %q", err, stderr.String(), tt.want)
			}
		})
	}
	if err := checkPassword("from-environment-123"); err != nil {
		t.Errorf("the password changed after failed runs: %v", err)
	}
}
