package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/plugboard/plugboard/pkg/client"
)

// runFunctionCommand runs "plugboard function create|run|delete".
func runFunctionCommand(ctx context.Context, c *client.Client, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	switch args[1] {
	case "create":
		if len(args) != 4 {
			return fmt.Errorf("usage: plugboard function create NAME FILE (FILE - reads the script from standard input)")
		}
		script, err := readScript(args[3], stdin)
		if err != nil {
			return err
		}
		fn, err := c.CreateFunction(ctx, client.CreateFunction{Name: args[2], Language: "deluge", Script: script})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created function %s; run it with: plugboard function run %s\n", fn.Name, fn.Name)
		return nil
	case "run":
		if len(args) < 3 || len(args) > 4 {
			return fmt.Errorf(`usage: plugboard function run NAME ['{"argument": "value"}']`)
		}
		var arguments map[string]any
		if len(args) == 4 {
			if err := json.Unmarshal([]byte(args[3]), &arguments); err != nil {
				return fmt.Errorf("arguments %q are not a JSON object: %w; give them as '{\"name\": \"value\"}'", args[3], err)
			}
		}
		run, err := c.RunFunction(ctx, args[2], arguments)
		var apiErr *client.Error
		if errors.As(err, &apiErr) {
			for _, line := range apiErr.Log {
				fmt.Fprintln(stderr, line)
			}
		}
		if err != nil {
			return err
		}
		return printJSON(stdout, run)
	case "delete":
		if len(args) != 3 {
			return fmt.Errorf("usage: plugboard function delete NAME")
		}
		if err := c.DeleteFunction(ctx, args[2]); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted function %s\n", args[2])
		return nil
	}
	fmt.Fprintf(stderr, "unknown function command %q\n\n%s", args[1], usage)
	return errUsage
}

func readScript(path string, stdin io.Reader) (string, error) {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("reading script %s: %w", path, err)
	}
	return string(data), nil
}

func listFunctions(ctx context.Context, c *client.Client, stdout io.Writer) error {
	fns, err := c.Functions(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tLANGUAGE\tCONNECTIONS\tCREATED BY")
	for _, fn := range fns {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", fn.Name, fn.Language, strings.Join(fn.Connections, ","), fn.CreatedBy)
	}
	return tw.Flush()
}
