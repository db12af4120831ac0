// Command plugboard runs the plugboard server and talks to a running one.
//
//	plugboard serve              run the server
//	plugboard migrate            apply database migrations and exit
//	plugboard services ...       client commands; see plugboard help
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, errHelp) {
		return
	}
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "plugboard:", err)
		}
		os.Exit(1)
	}
}

// errUsage ends a command whose usage was printed; errHelp ends one whose
// help was requested, which is not a failure.
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help requested")
)

const usage = `plugboard: a self-hosted connections service

Server:
  plugboard serve [flags]        run the server (plugboard serve -h lists flags)
  plugboard migrate [flags]      apply database migrations and exit
  plugboard create-org NAME [--admin USERNAME] [flags]
                                 create an org and its admin; prints the admin's token once
  plugboard set-password --user NAME [--org ORG] [flags]
                                 set a member's web UI password (from PLUGBOARD_NEW_PASSWORD or stdin)
  plugboard rotate-key [flags]   add a new primary master key and reseal every secret (stop the server first)
  plugboard reseal [flags]       reseal secrets not under the primary key (after rotate-key
                                 with PLUGBOARD_MASTER_KEY)

Client (talks to a running server; set PLUGBOARD_URL and PLUGBOARD_TOKEN):
  plugboard services [query]                         list services
  plugboard connections                              list connections
  plugboard connection create NAME SERVICE [flags]   create a connection
  plugboard connection connect LINK                  print the authorization URL
  plugboard connection get LINK                      show a connection
  plugboard connection revoke LINK                   revoke your credential
  plugboard connection code LINK [--lang L]          print sample code (deluge, json, curl, go,
                                                     python, javascript; all without --lang)
  plugboard invoke LINK METHOD URL [BODY]            call an API through a connection
  plugboard functions                                list functions
  plugboard function create NAME FILE                store a Deluge script (FILE - reads stdin)
  plugboard function run NAME [ARGUMENTS_JSON]       run a function and print result and log
  plugboard function delete NAME                     delete a function
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "migrate":
		return migrate(ctx, args[1:], stderr)
	case "create-org":
		return createOrg(ctx, args[1:], stdout, stderr)
	case "set-password":
		return setPassword(ctx, args[1:], os.Stdin, stdout, stderr)
	case "rotate-key":
		return rotateKey(ctx, args[1:], stdout, stderr)
	case "reseal":
		return reseal(ctx, args[1:], stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "services", "connections", "connection", "invoke", "functions", "function":
		return runClient(ctx, args, stdout, stderr)
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
	return errUsage
}
