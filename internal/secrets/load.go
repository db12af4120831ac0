package secrets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
)

// Names of the settings that hold the master keyring; errors and logs name
// them so an operator knows what to fix.
const (
	EnvMasterKey     = "PLUGBOARD_MASTER_KEY"
	EnvMasterKeyFile = "PLUGBOARD_MASTER_KEY_FILE"
)

// KeyFileName is the key file that [LoadKeyring] reads from, or creates in,
// the data folder.
const KeyFileName = "master.key"

// maxKeyFileSize bounds the key file read. A keyring of a few hundred keys
// fits, so a larger file is not key text.
const maxKeyFileSize = 64 << 10

// LoadOptions contains the sources of the master keyring for [LoadKeyring].
type LoadOptions struct {
	// Key is the key text from PLUGBOARD_MASTER_KEY; empty when unset.
	Key string
	// KeyFile is the path from PLUGBOARD_MASTER_KEY_FILE; empty when unset.
	KeyFile string
	// DataDir is the data folder, which contains master.key when neither
	// Key nor KeyFile is set.
	DataDir string
	// Logger receives warnings about key files; nil discards them.
	Logger *slog.Logger
}

// LoadKeyring loads the master keyring from the first source that is set:
// opts.Key, then the file opts.KeyFile, then master.key in opts.DataDir.
// When none of them exists, it generates a key, writes it to
// <DataDir>/master.key with mode 0600, logs a warning to back the file up,
// and returns created true. It never overwrites a key file. It logs a warning
// when a key file's permissions are wider than 0600.
func LoadKeyring(opts LoadOptions) (kr *Keyring, created bool, err error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	switch {
	case opts.Key != "":
		if opts.KeyFile != "" {
			logger.Warn("both master key settings are set; using "+EnvMasterKey+" and ignoring "+EnvMasterKeyFile,
				"path", opts.KeyFile)
		}
		kr, err := ParseKeyring(opts.Key)
		if err != nil {
			return nil, false, fmt.Errorf("reading %s: %w; %s", EnvMasterKey, err, KeyTextFormat)
		}
		logLoaded(logger, kr, EnvMasterKey)
		return kr, false, nil

	case opts.KeyFile != "":
		kr, err := readKeyFile(opts.KeyFile, logger)
		if err != nil {
			return nil, false, fmt.Errorf("reading %s: %w", EnvMasterKeyFile, err)
		}
		logLoaded(logger, kr, opts.KeyFile)
		return kr, false, nil
	}

	if opts.DataDir == "" {
		return nil, false, fmt.Errorf("loading master keyring: no data folder given; set %s, %s or the data folder", EnvMasterKey, EnvMasterKeyFile)
	}
	path := filepath.Join(opts.DataDir, KeyFileName)

	kr, err = readKeyFile(path, logger)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(path, logger)
	}
	if err != nil {
		return nil, false, err
	}
	logLoaded(logger, kr, path)
	return kr, false, nil
}

func logLoaded(logger *slog.Logger, kr *Keyring, source string) {
	logger.Info("master keyring loaded", "source", source, "primary_key_id", kr.PrimaryID(), "keys", len(kr.keys))
}

// readKeyFile parses the key file at path. A missing file gives an error
// that wraps fs.ErrNotExist.
func readKeyFile(path string, logger *slog.Logger) (*Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening master key file: %w", err)
	}
	defer f.Close()

	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading master key file: %w", err)
	}
	// Windows has no Unix permission bits to check.
	if perm := info.Mode().Perm(); perm&^0o600 != 0 && runtime.GOOS != "windows" {
		logger.Warn("master key file permissions are wider than 0600; run chmod 600 on it",
			"path", path, "mode", fmt.Sprintf("%#o", perm))
	}

	text, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading master key file %s: %w", path, err)
	}
	if len(text) > maxKeyFileSize {
		return nil, fmt.Errorf("master key file %s: %w: the file is larger than %d bytes; %s", path, ErrInvalidKey, maxKeyFileSize, KeyTextFormat)
	}

	kr, err := ParseKeyring(string(text))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w; %s", path, err, KeyTextFormat)
	}
	return kr, nil
}
