package secrets

import (
	"encoding/base64"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeKeyFile writes text to a file in a new temporary folder with the
// given permissions and returns its path.
func writeKeyFile(t *testing.T, text string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
	// os.WriteFile applies the umask, so set the mode explicitly.
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadKeyringPrecedence(t *testing.T) {
	envText := "env:" + base64.StdEncoding.EncodeToString(testKey(1))
	fileText := "file:" + base64.StdEncoding.EncodeToString(testKey(2))
	dataText := "data:" + base64.StdEncoding.EncodeToString(testKey(3))

	dataDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dataDir, "master.key"), []byte(dataText), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := writeKeyFile(t, fileText, 0o600)

	tests := []struct {
		name    string
		opts    LoadOptions
		wantID  string
		wantErr bool
	}{
		{"all set", LoadOptions{Key: envText, KeyFile: keyFile, DataDir: dataDir}, "env", false},
		{"key file and data folder", LoadOptions{KeyFile: keyFile, DataDir: dataDir}, "file", false},
		{"data folder only", LoadOptions{DataDir: dataDir}, "data", false},
		{"key file missing", LoadOptions{KeyFile: filepath.Join(t.TempDir(), "absent"), DataDir: dataDir}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, created, err := LoadKeyring(tt.opts)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("LoadKeyring loaded %v, want an error", kr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadKeyring: %v", err)
			}
			if created {
				t.Errorf("created = true, want false")
			}
			if got := kr.PrimaryID(); got != tt.wantID {
				t.Errorf("PrimaryID() = %q, want %q", got, tt.wantID)
			}
		})
	}
}

func TestLoadKeyringMissingKeyFileNamesSetting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "absent")
	_, _, err := LoadKeyring(LoadOptions{KeyFile: path, DataDir: t.TempDir()})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("LoadKeyring error = %v, want fs.ErrNotExist", err)
	}
	for _, want := range []string{EnvMasterKeyFile, path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

func TestLoadKeyringCreatesKeyFile(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	logger, buf := newTestLogger()

	kr, created, err := LoadKeyring(LoadOptions{DataDir: dataDir, Logger: logger})
	if err != nil {
		t.Fatalf("LoadKeyring: %v", err)
	}
	if !created {
		t.Errorf("created = false, want true")
	}

	path := filepath.Join(dataDir, "master.key")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	if got := info.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %#o, want 0600", got)
	}
	dirInfo, err := os.Stat(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if got := dirInfo.Mode().Perm(); got != 0o700 {
		t.Errorf("data folder mode = %#o, want 0700", got)
	}
	entries, err := os.ReadDir(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("data folder has %d entries, want only master.key", len(entries))
	}

	warns := warnings(t, buf)
	if len(warns) != 1 {
		t.Fatalf("logged %d warnings, want 1: %s", len(warns), buf)
	}
	for _, want := range []string{"created", "back it up", "apart from the database"} {
		if !strings.Contains(warns[0].Msg, want) {
			t.Errorf("warning %q does not contain %q", warns[0].Msg, want)
		}
	}
	if warns[0].Path != path {
		t.Errorf("warning path = %q, want %q", warns[0].Path, path)
	}

	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), strings.TrimSpace(string(text))) {
		t.Errorf("log contains the key text")
	}

	// A second start reads the same key and creates nothing.
	buf.Reset()
	again, created, err := LoadKeyring(LoadOptions{DataDir: dataDir, Logger: logger})
	if err != nil {
		t.Fatalf("second LoadKeyring: %v", err)
	}
	if created {
		t.Errorf("second created = true, want false")
	}
	if len(warnings(t, buf)) != 0 {
		t.Errorf("second start logged warnings: %s", buf)
	}
	sealed, err := kr.Seal([]byte("x"), testAD)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.Open(sealed, testAD); err != nil {
		t.Errorf("keyring of the second start cannot open a value of the first: %v", err)
	}
}

func TestLoadKeyringNoDataDir(t *testing.T) {
	_, _, err := LoadKeyring(LoadOptions{})
	if err == nil {
		t.Fatal("LoadKeyring without any source succeeded")
	}
	if !strings.Contains(err.Error(), EnvMasterKey) {
		t.Errorf("error %q does not name %s", err, EnvMasterKey)
	}
}

func TestWriteNewFileKeepsExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte("existing"), 0o600); err != nil {
		t.Fatal(err)
	}

	err := writeNewFile(path, []byte("new"))
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("writeNewFile error = %v, want fs.ErrExist", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "existing" {
		t.Errorf("file content = %q after writeNewFile, want %q", got, "existing")
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("folder has %d entries, want the temporary file removed", len(entries))
	}
}

func TestLoadKeyringPermissionWarning(t *testing.T) {
	text := base64.StdEncoding.EncodeToString(testKey(1))
	tests := []struct {
		perm     os.FileMode
		wantWarn bool
	}{
		{0o600, false},
		{0o400, false},
		{0o640, true},
		{0o644, true},
		{0o700, true},
	}
	for _, tt := range tests {
		t.Run(tt.perm.String(), func(t *testing.T) {
			path := writeKeyFile(t, text, tt.perm)
			logger, buf := newTestLogger()

			if _, _, err := LoadKeyring(LoadOptions{KeyFile: path, Logger: logger}); err != nil {
				t.Fatalf("LoadKeyring: %v", err)
			}
			warns := warnings(t, buf)
			if got := len(warns) == 1; got != tt.wantWarn {
				t.Fatalf("warned = %v, want %v: %s", got, tt.wantWarn, buf)
			}
			if tt.wantWarn && (!strings.Contains(warns[0].Msg, "0600") || warns[0].Path != path) {
				t.Errorf("warning = %+v, want 0600 in the message and path %q", warns[0], path)
			}
		})
	}
}

func TestLoadKeyringInvalidText(t *testing.T) {
	material := base64.StdEncoding.EncodeToString(testKey(0xcd)[:31])
	dataDir := t.TempDir()
	dataPath := filepath.Join(dataDir, "master.key")
	if err := os.WriteFile(dataPath, []byte(material), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := writeKeyFile(t, "main:"+material, 0o600)

	tests := []struct {
		name       string
		opts       LoadOptions
		wantSource []string
	}{
		{"environment", LoadOptions{Key: material, DataDir: t.TempDir()}, []string{EnvMasterKey}},
		{"key file", LoadOptions{KeyFile: keyFile}, []string{EnvMasterKeyFile, keyFile}},
		{"data folder", LoadOptions{DataDir: dataDir}, []string{dataPath}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadKeyring(tt.opts)
			if !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("LoadKeyring error = %v, want ErrInvalidKey", err)
			}
			msg := err.Error()
			for _, want := range append(tt.wantSource, "id:base64key", "32-byte") {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not contain %q", msg, want)
				}
			}
			if strings.Contains(msg, material[:8]) {
				t.Errorf("error %q contains key material", msg)
			}
		})
	}
}

func TestLoadKeyringKeyFileTooLarge(t *testing.T) {
	path := writeKeyFile(t, strings.Repeat("A", maxKeyFileSize+1), 0o600)
	_, _, err := LoadKeyring(LoadOptions{KeyFile: path})
	if !errors.Is(err, ErrInvalidKey) {
		t.Errorf("LoadKeyring error = %v, want ErrInvalidKey", err)
	}
}
