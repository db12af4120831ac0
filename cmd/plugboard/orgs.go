package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/members"
)

const createOrgUsage = `usage: plugboard create-org NAME [--admin USERNAME] [flags]

Creates the org NAME (2 to 40 lower-case letters, digits or "-", starting
with a letter) and its first admin, and prints the admin's API token once.
  --admin USERNAME   the admin's username (default admin)
The other flags are those of plugboard serve, which select the database.
`

// createOrg creates an org with its first admin and prints the admin's API
// token to stdout, the only time it is shown.
func createOrg(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(stdout, createOrgUsage)
		return errHelp
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, "plugboard create-org: the org name is missing\n\n"+createOrgUsage)
		return errUsage
	}
	name := args[0]
	adminUsername, rest, err := takeAdminFlag(args[1:])
	if err != nil {
		fmt.Fprintf(stderr, "plugboard create-org: %v\n\n%s", err, createOrgUsage)
		return errUsage
	}

	c, logger, err := commandSetup("create-org", rest, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	// The first start of the server creates the org "default" only on an
	// empty database, so an org created before it would leave no default
	// org and PLUGBOARD_ADMIN_TOKEN would be ignored.
	if n, err := st.CountOrgs(ctx); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("the database has no org yet; run plugboard serve once first, which creates the org %q and its admin", members.DefaultOrg)
	}

	manager := members.NewManager(members.Options{
		Store:  st,
		Audit:  audit.New(st, logger, time.Now),
		Logger: logger,
		Now:    time.Now,
	})
	created, err := manager.CreateOrg(ctx, name, adminUsername)
	if err != nil {
		return err
	}
	// Printed, not logged, so the token does not reach log storage.
	fmt.Fprintf(stdout, "Created org %s with admin %s.\n\nThe admin's API token, shown only this once:\n\n    %s\n\nKeep it safe.\n",
		created.Org.Name, created.Admin.Username, created.Token)
	return nil
}

// takeAdminFlag removes --admin USERNAME (or -admin, or the =USERNAME
// form) from args and returns the username, members.AdminUsername when the
// flag is absent, and the other arguments.
func takeAdminFlag(args []string) (string, []string, error) {
	return takeValueFlag(args, "admin", members.AdminUsername)
}
