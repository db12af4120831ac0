package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/plugboard/plugboard/internal/members"
)

const setPasswordUsage = `usage: plugboard set-password --user NAME [--org ORG] [flags]

Sets the web UI password of member NAME and ends their web sessions. The
password is read from PLUGBOARD_NEW_PASSWORD when it is set, otherwise
from the first line of standard input. It needs 8 characters to 72 bytes.
  --user NAME   the member's username (required)
  --org ORG     the member's org (default "default")
The other flags are those of plugboard serve, which select the database.
`

// setPassword sets a member's password directly in the database, for an
// operator whose admin has none, such as on a database created before the
// web UI existed.
func setPassword(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(stdout, setPasswordUsage)
		return errHelp
	}
	username, rest, err := takeValueFlag(args, "user", "")
	if err == nil && username == "" {
		err = errors.New("the flag --user NAME is missing")
	}
	var orgName string
	if err == nil {
		orgName, rest, err = takeValueFlag(rest, "org", members.DefaultOrg)
	}
	if err != nil {
		fmt.Fprintf(stderr, "plugboard set-password: %v\n\n%s", err, setPasswordUsage)
		return errUsage
	}

	password, err := readNewPassword(stdin)
	if err != nil {
		return err
	}
	c, logger, err := commandSetup("set-password", rest, stderr)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, c, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	org, err := st.GetOrgByName(ctx, orgName)
	if err != nil {
		return fmt.Errorf("reading the org: %w; give set-password the --data-dir or --database-url of your server (plugboard serve creates the org %q on its first start, and create-org adds others)", err, members.DefaultOrg)
	}
	if _, err := members.SetUserPassword(ctx, st, org.ID, username, password); err != nil {
		return err
	}
	logger.Info("password set", "org", orgName, "user", username)
	fmt.Fprintf(stdout, "The password of %s in org %s is set; their web sessions have ended.\n", username, orgName)
	return nil
}

// readNewPassword returns PLUGBOARD_NEW_PASSWORD, or the first line of
// stdin without its line ending.
func readNewPassword(stdin io.Reader) (string, error) {
	if v := os.Getenv("PLUGBOARD_NEW_PASSWORD"); v != "" {
		return v, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the new password from standard input: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", errors.New("no password given; set PLUGBOARD_NEW_PASSWORD or write the password as one line to standard input")
	}
	if msg := members.PasswordProblem(password); msg != "" {
		return "", errors.New(msg)
	}
	return password, nil
}

// takeValueFlag removes --name VALUE (or -name, or the =VALUE form) from
// args and returns the value, fallback when the flag is absent, and the
// other arguments.
func takeValueFlag(args []string, name, fallback string) (string, []string, error) {
	value := fallback
	var rest []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		flagName, v, hasValue := strings.Cut(arg, "=")
		if flagName != "--"+name && flagName != "-"+name {
			rest = append(rest, arg)
			continue
		}
		if !hasValue {
			if i+1 == len(args) {
				return "", nil, fmt.Errorf("flag %s needs a value", flagName)
			}
			i++
			v = args[i]
		}
		value = v
	}
	return value, rest, nil
}
