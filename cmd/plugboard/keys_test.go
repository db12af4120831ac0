package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestRotateKeyResealsEverySecret(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-Key") != "key-123" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer upstream.Close()
	dataDir := t.TempDir()
	inst := startInstanceIn(t, dataDir)
	v1 := inst.URL + "/v1"
	mustStatus(t, "create service", call(t, "POST", v1+"/services", testAdminToken, map[string]any{
		"key": "devices", "name": "Devices", "auth_type": "api_key",
		"api_key":      map[string]any{"params": []map[string]string{{"name": "X-API-Key", "in": "header"}}},
		"api_base_url": upstream.URL,
	}), http.StatusCreated)
	mustStatus(t, "create connection", call(t, "POST", v1+"/connections", testAdminToken,
		map[string]any{"name": "Devices", "service": "devices"}), http.StatusCreated)
	mustStatus(t, "connect", call(t, "POST", v1+"/connections/devices/connect", testAdminToken,
		map[string]any{"credentials": map[string]string{"X-API-Key": "key-123"}}), http.StatusOK)
	if err := inst.stop(t); err != nil {
		t.Fatalf("stopping plugboard: %v", err)
	}

	keyFile := filepath.Join(dataDir, "master.key")
	before, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binaryPath, "rotate-key", "--data-dir", dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("plugboard rotate-key: %v\n%s", err, out)
	}
	// The API key credential and the client secret of the plugboard
	// service's built-in application.
	if !strings.Contains(string(out), "count=2") {
		t.Errorf("rotate-key output does not report two resealed secrets:\n%s", out)
	}
	after, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	entries := strings.Split(strings.TrimSpace(string(after)), ",")
	if len(entries) != 2 || entries[1] != strings.TrimSpace(string(before)) {
		t.Fatalf("key file after rotation has %d entries, want the new key followed by the old one", len(entries))
	}
	if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v; want 0600", info.Mode().Perm(), err)
	}

	// With the old key removed, the credential still opens, so it was
	// resealed under the new one.
	if err := os.WriteFile(keyFile, []byte(entries[0]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inst = startInstanceIn(t, dataDir)
	resp := call(t, "GET", inst.URL+"/v1/connections/devices/proxy/", testAdminToken, nil)
	mustStatus(t, "proxy after rotation", resp, http.StatusOK)
}
