package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/secrets"
)

// rotateKey adds a new primary key to the master keyring and reseals every
// stored secret under it. With a key file, the file gets the new keyring
// first (the old keys stay in it), so a failure part way leaves every secret
// readable. With PLUGBOARD_MASTER_KEY, plugboard cannot change the variable:
// it prints the new keyring and the operator sets it and runs reseal.
func rotateKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, logger, err := commandSetup("rotate-key", args, stderr)
	if err != nil {
		return err
	}
	current, _, err := secrets.LoadKeyring(secrets.LoadOptions{
		Key: c.MasterKey, KeyFile: c.MasterKeyFile, DataDir: c.DataDir, Logger: logger,
	})
	if err != nil {
		return err
	}
	key, err := secrets.GenerateKey()
	if err != nil {
		return err
	}
	next, err := current.WithPrimary(secrets.KeyID(key), key)
	if err != nil {
		return err
	}

	if c.MasterKey != "" {
		fmt.Fprintf(stdout, "Set PLUGBOARD_MASTER_KEY to this keyring, which keeps the old keys and adds the new primary key %s:\n\n%s\n\n"+
			"then run: plugboard reseal\n", next.PrimaryID(), secrets.FormatKeyring(next).Reveal())
		return nil
	}
	path := c.MasterKeyFile
	if path == "" {
		path = filepath.Join(c.DataDir, secrets.KeyFileName)
	}
	if err := replaceKeyFile(path, secrets.FormatKeyring(next).Reveal()); err != nil {
		return err
	}
	logger.Info("added a new primary key to the key file", "path", path, "primary_key_id", next.PrimaryID())
	return resealWith(ctx, c, next, logger)
}

// reseal seals every secret that is not under the primary key again.
func reseal(ctx context.Context, args []string, stderr io.Writer) error {
	c, logger, err := commandSetup("reseal", args, stderr)
	if err != nil {
		return err
	}
	kr, _, err := secrets.LoadKeyring(secrets.LoadOptions{
		Key: c.MasterKey, KeyFile: c.MasterKeyFile, DataDir: c.DataDir, Logger: logger,
	})
	if err != nil {
		return err
	}
	return resealWith(ctx, c, kr, logger)
}

// commandSetup parses a server-side command's flags and builds its logger.
func commandSetup(name string, args []string, stderr io.Writer) (config, *slog.Logger, error) {
	c, err := parseConfig(name, args, stderr)
	if err != nil {
		return config{}, nil, err
	}
	logger, err := newLogger(c, stderr)
	if err != nil {
		return config{}, nil, err
	}
	return c, logger, nil
}

func resealWith(ctx context.Context, c config, kr *secrets.Keyring, logger *slog.Logger) error {
	st, err := openStore(ctx, c, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	manager := connections.New(connections.Options{Store: st, Keyring: kr, Logger: logger})
	n, err := manager.Reseal(ctx)
	if err != nil {
		return fmt.Errorf("resealing secrets: %w", err)
	}
	logger.Info("resealed secrets under the primary key", "count", n, "primary_key_id", kr.PrimaryID())
	return nil
}

// replaceKeyFile writes text to path through a temporary file and a rename,
// so the key file is never seen half written.
func replaceKeyFile(path, text string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master.key-*")
	if err != nil {
		return fmt.Errorf("creating a temporary key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("setting key file mode: %w", err)
	}
	if _, err := tmp.WriteString(text + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("writing key file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("syncing key file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing key file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing key file %s: %w", path, err)
	}
	return nil
}
