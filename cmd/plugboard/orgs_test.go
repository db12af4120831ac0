package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/members"
	"github.com/plugboard/plugboard/internal/store/sqlite"
)

var printedToken = regexp.MustCompile(`\bpb_[0-9a-f]+_[0-9a-f]+_[0-9a-f]+\b`)

func TestCreateOrgPrintsAdminToken(t *testing.T) {
	for _, name := range []string{"PLUGBOARD_DATABASE_URL", "PLUGBOARD_DATA_DIR", "PLUGBOARD_LOG_LEVEL", "PLUGBOARD_LOG_FORMAT"} {
		t.Setenv(name, "")
	}
	dataDir := t.TempDir()
	var stdout, stderr bytes.Buffer
	err := createOrg(t.Context(), []string{"acme", "--data-dir", dataDir}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "run plugboard serve once first") {
		t.Fatalf("createOrg on an empty database error = %v, want one saying to run plugboard serve first", err)
	}
	bootstrapped, err := sqlite.Open(t.Context(), filepath.Join(dataDir, "plugboard.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := members.Bootstrap(t.Context(), bootstrapped, "", "", time.Now()); err != nil {
		t.Fatal(err)
	}
	bootstrapped.Close()

	stdout.Reset()
	err = createOrg(t.Context(), []string{"acme", "--admin", "root", "--data-dir", dataDir}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("createOrg error = %v; stderr: %s", err, stderr.String())
	}
	token := printedToken.FindString(stdout.String())
	if token == "" {
		t.Fatalf("stdout = %q, want an API token", stdout.String())
	}
	if strings.Contains(stderr.String(), token) {
		t.Errorf("stderr (the log) contains the token")
	}

	st, err := sqlite.Open(t.Context(), filepath.Join(dataDir, "plugboard.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	user, _, err := members.Authenticate(t.Context(), st, token)
	if err != nil {
		t.Fatalf("Authenticate(printed token) error = %v", err)
	}
	org, err := st.GetOrg(t.Context(), user.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	if org.Name != "acme" || user.Username != "root" || user.Role != "admin" {
		t.Errorf("token belongs to %q (%s) of org %q, want root (admin) of acme", user.Username, user.Role, org.Name)
	}

	stdout.Reset()
	err = createOrg(t.Context(), []string{"acme", "--data-dir", dataDir}, &stdout, &stderr)
	if !errors.Is(err, members.ErrOrgExists) || !strings.Contains(err.Error(), "choose another name") {
		t.Errorf("second createOrg(acme) error = %v, want ErrOrgExists saying to choose another name", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("a failed createOrg printed %q", stdout.String())
	}
}

func TestCreateOrgUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want error
	}{
		{name: "no arguments", args: nil, want: errUsage},
		{name: "flag before name", args: []string{"--data-dir", "x", "acme"}, want: errUsage},
		{name: "admin without value", args: []string{"acme", "--admin"}, want: errUsage},
		{name: "help", args: []string{"-h"}, want: errHelp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := createOrg(t.Context(), tt.args, &stdout, &stderr)
			if !errors.Is(err, tt.want) {
				t.Errorf("createOrg(%q) error = %v, want %v", tt.args, err, tt.want)
			}
			if !strings.Contains(stdout.String()+stderr.String(), "usage: plugboard create-org") {
				t.Errorf("output = %q, want the usage", stdout.String()+stderr.String())
			}
		})
	}
}

func TestTakeAdminFlag(t *testing.T) {
	tests := []struct {
		args     []string
		want     string
		wantRest []string
	}{
		{args: nil, want: "admin", wantRest: nil},
		{args: []string{"--admin", "root"}, want: "root", wantRest: nil},
		{args: []string{"-admin=root", "--data-dir", "d"}, want: "root", wantRest: []string{"--data-dir", "d"}},
		{args: []string{"--data-dir", "d", "--admin=ops"}, want: "ops", wantRest: []string{"--data-dir", "d"}},
	}
	for _, tt := range tests {
		got, rest, err := takeAdminFlag(tt.args)
		if err != nil {
			t.Errorf("takeAdminFlag(%q) error = %v", tt.args, err)
			continue
		}
		if got != tt.want || fmt.Sprint(rest) != fmt.Sprint(tt.wantRest) {
			t.Errorf("takeAdminFlag(%q) = %q, %q; want %q, %q", tt.args, got, rest, tt.want, tt.wantRest)
		}
	}
}
