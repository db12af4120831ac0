package oauthtest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// installTimeout bounds one `npm ci` run.
const installTimeout = 5 * time.Minute

// providerPath is the folder of server.mjs, relative to the module root.
const providerPath = "internal/oauthtest/provider"

// findProviderDir returns the folder of server.mjs. It walks up from the
// working directory, which go test sets to the package under test, to the
// module root.
func findProviderDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("getting working directory: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			provider := filepath.Join(dir, filepath.FromSlash(providerPath))
			if _, err := os.Stat(filepath.Join(provider, "server.mjs")); err != nil {
				return "", fmt.Errorf("server.mjs not found under module root %s: %w", dir, err)
			}
			return provider, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("go.mod not found above %s; run the tests inside the plugboard module", wd)
		}
	}
}

// ensureInstalled runs `npm ci` in dir unless node_modules is up to date.
// A file lock in the temporary directory keeps test processes of different
// packages from installing at the same time.
func ensureInstalled(ctx context.Context, dir string) error {
	ok, err := installed(dir)
	if err != nil || ok {
		return err
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return fmt.Errorf("npm not found in PATH; install it (Debian: apt-get install npm): %w", err)
	}

	sum := sha256.Sum256([]byte(dir))
	unlock, err := lockFile(filepath.Join(os.TempDir(), fmt.Sprintf("plugboard-oauthtest-%x.lock", sum[:8])))
	if err != nil {
		return err
	}
	defer unlock()

	// Another process may have installed while this one waited for the lock.
	if ok, err := installed(dir); err != nil || ok {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("running npm ci in %s: %w\n%s", dir, err, out)
	}
	if ok, err := installed(dir); err != nil || !ok {
		return fmt.Errorf("npm ci in %s left node_modules incomplete (%v)\n%s", dir, err, out)
	}
	return nil
}

// installed reports whether npm's record of node_modules
// (node_modules/.package-lock.json) is at least as new as package-lock.json.
func installed(dir string) (bool, error) {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return false, fmt.Errorf("reading package-lock.json: %w", err)
	}
	record, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading node_modules: %w", err)
	}
	return !record.ModTime().Before(lock.ModTime()), nil
}
