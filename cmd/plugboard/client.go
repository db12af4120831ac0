package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/plugboard/plugboard/pkg/client"
)

// runClient runs the client commands against PLUGBOARD_URL with
// PLUGBOARD_TOKEN.
func runClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	baseURL := envOr("PLUGBOARD_URL", "http://127.0.0.1:8080")
	token := os.Getenv("PLUGBOARD_TOKEN")
	if token == "" {
		return fmt.Errorf("PLUGBOARD_TOKEN is not set; export the API token that plugboard serve printed at its first start")
	}
	c := client.New(baseURL, token)

	switch args[0] {
	case "services":
		return listServices(ctx, c, strings.Join(args[1:], " "), stdout)
	case "connections":
		return listConnections(ctx, c, stdout)
	case "invoke":
		return invoke(ctx, c, args[1:], stdout)
	case "functions":
		return listFunctions(ctx, c, stdout)
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	if args[0] == "function" {
		return runFunctionCommand(ctx, c, args, os.Stdin, stdout, stderr)
	}
	switch args[1] {
	case "create":
		return createConnection(ctx, c, args[2:], stdout, stderr)
	case "connect":
		if len(args) != 3 {
			return fmt.Errorf("usage: plugboard connection connect LINK")
		}
		authURL, err := c.Connect(ctx, args[2], "")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Open this URL in a browser to connect %s:\n\n%s\n", args[2], authURL)
		return nil
	case "get":
		if len(args) != 3 {
			return fmt.Errorf("usage: plugboard connection get LINK")
		}
		// The whole API document, so fields the client type lacks show too.
		var conn map[string]any
		if err := c.Do(ctx, http.MethodGet, "/v1/connections/"+url.PathEscape(args[2]), nil, &conn); err != nil {
			return err
		}
		return printJSON(stdout, conn)
	case "code":
		return sampleCode(ctx, c, args[2:], stdout, stderr)
	case "revoke":
		if len(args) != 3 {
			return fmt.Errorf("usage: plugboard connection revoke LINK")
		}
		providerRevoked, err := c.Revoke(ctx, args[2])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s (provider confirmed: %t)\n", args[2], providerRevoked)
		return nil
	}
	fmt.Fprintf(stderr, "unknown connection command %q\n\n%s", args[1], usage)
	return errUsage
}

func listServices(ctx context.Context, c *client.Client, q string, stdout io.Writer) error {
	services, err := c.Services(ctx, q)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tNAME\tKIND\tAUTH")
	for _, s := range services {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Key, s.Name, s.Kind, s.AuthType)
	}
	return tw.Flush()
}

func listConnections(ctx context.Context, c *client.Client, stdout io.Writer) error {
	conns, err := c.Connections(ctx, "")
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LINK NAME\tNAME\tSERVICE\tOWNER\tSTATUS")
	for _, conn := range conns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", conn.LinkName, conn.Name, conn.Service, conn.Owner, conn.Status)
	}
	return tw.Flush()
}

func createConnection(ctx context.Context, c *client.Client, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("connection create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scopes := fs.String("scopes", "", "comma-separated scopes to request")
	link := fs.String("link-name", "", "link name; derived from NAME when empty")
	app := fs.String("application", "", "application ID; needed when the service has several and none is default")
	shared := fs.Bool("use-login-user-credentials", false, "each member connects and uses their own credential")
	if len(args) < 2 {
		return fmt.Errorf("usage: plugboard connection create NAME SERVICE [--scopes a,b] [--link-name x] [--application id]")
	}
	if err := fs.Parse(args[2:]); err != nil {
		return errUsage
	}
	in := client.CreateConnection{Name: args[0], Service: args[1], LinkName: *link, Application: *app, UseLoginUserCredentials: *shared}
	for _, s := range strings.Split(*scopes, ",") {
		if s = strings.TrimSpace(s); s != "" {
			in.Scopes = append(in.Scopes, s)
		}
	}
	conn, err := c.CreateConnection(ctx, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created connection %s; connect it with: plugboard connection connect %s\n", conn.LinkName, conn.LinkName)
	return nil
}

// sampleCode prints a connection's sample code: the snippet alone with
// --lang, else every snippet under a heading line.
func sampleCode(ctx context.Context, c *client.Client, args []string, stdout, stderr io.Writer) error {
	const codeUsage = "usage: plugboard connection code LINK [--lang deluge|json|curl|go|python|javascript]"
	if len(args) < 1 || strings.HasPrefix(args[0], "-") {
		return errors.New(codeUsage)
	}
	fs := flag.NewFlagSet("connection code", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", "", "one language: deluge, json, curl, go, python or javascript; every language when empty")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 0 {
		return errors.New(codeUsage)
	}
	snippets, err := c.SampleCode(ctx, args[0], *lang)
	if err != nil {
		return err
	}
	if *lang != "" {
		_, err := io.WriteString(stdout, snippets[0].Code)
		return err
	}
	for i, s := range snippets {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "== %s ==\n%s", s.Label, s.Code)
	}
	return nil
}

func invoke(ctx context.Context, c *client.Client, args []string, stdout io.Writer) error {
	if len(args) < 3 || len(args) > 4 {
		return fmt.Errorf("usage: plugboard invoke LINK METHOD URL [BODY]")
	}
	in := client.InvokeRequest{Connection: args[0], Method: args[1], URL: args[2]}
	if len(args) == 4 {
		in.Body = args[3]
	}
	resp, err := c.Invoke(ctx, in)
	if err != nil {
		return err
	}
	return printJSON(stdout, resp)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
