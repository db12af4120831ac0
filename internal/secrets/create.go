package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
)

// createKeyFile generates a key and writes it to path as key text. The file
// appears whole or not at all: the text goes to a temporary file in the same
// folder, which is then hard-linked to path. Linking fails when path exists,
// so an existing key file is never overwritten. When another process created
// the file first, its key is loaded instead and created is false.
func createKeyFile(path string, logger *slog.Logger) (kr *Keyring, created bool, err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, fmt.Errorf("creating data folder for the master key: %w", err)
	}

	key, err := GenerateKey()
	if err != nil {
		return nil, false, err
	}
	id := KeyID(key)
	kr, err = NewKeyring(id, map[string][]byte{id: key})
	if err != nil {
		return nil, false, err
	}

	if err := writeNewFile(path, []byte(FormatKeyring(kr).Reveal()+"\n")); err != nil {
		if !errors.Is(err, fs.ErrExist) {
			return nil, false, fmt.Errorf("creating master key file: %w", err)
		}
		kr, err = readKeyFile(path, logger)
		if err != nil {
			return nil, false, err
		}
		logLoaded(logger, kr, path)
		return kr, false, nil
	}

	logger.Warn("created a new master key file; back it up and keep it apart from the database, because stored secrets cannot be opened without it",
		"path", path, "primary_key_id", id)
	return kr, true, nil
}

// writeNewFile writes data to a new file at path with mode 0600. It returns
// an error wrapping fs.ErrExist, and leaves the file alone, when path exists.
func writeNewFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	// os.CreateTemp creates the file with mode 0600.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmpPath := tmp.Name()
	defer os.Remove(tmpPath)

	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}

	// NOTE: file systems without hard links fail here, and the key file
	// must then be created by hand or given through PLUGBOARD_MASTER_KEY.
	if err := os.Link(tmpPath, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir flushes the folder entry of a new file to disk, so the key file
// survives a crash that happens after the first secret is sealed.
func syncDir(dir string) error {
	// Windows cannot open a folder for syncing.
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
