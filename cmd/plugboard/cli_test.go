package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// runCLI runs a client command of the plugboard binary against inst.
func runCLI(t *testing.T, inst *instance, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binaryPath, args...)
	cmd.Env = append(os.Environ(), "PLUGBOARD_URL="+inst.URL, "PLUGBOARD_TOKEN="+testAdminToken)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// devicesUpstream is an API on 127.0.0.1 that returns one device and
// records the key and path of the last request.
type devicesUpstream struct {
	*httptest.Server

	mu              sync.Mutex
	gotKey, gotPath string
}

func newDevicesUpstream(t *testing.T) *devicesUpstream {
	t.Helper()
	up := &devicesUpstream{}
	up.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		up.mu.Lock()
		up.gotKey, up.gotPath = r.Header.Get("X-API-Key"), r.URL.Path
		up.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"devices":["pump-7"]}`))
	}))
	t.Cleanup(up.Close)
	return up
}

// last returns the key and path of the last request.
func (up *devicesUpstream) last() (key, path string) {
	up.mu.Lock()
	defer up.mu.Unlock()
	return up.gotKey, up.gotPath
}

func TestCLIMainJob(t *testing.T) {
	upstream := newDevicesUpstream(t)
	inst := startInstance(t)
	v1 := inst.URL + "/v1"

	out, err := runCLI(t, inst, "services", "github")
	if err != nil || !strings.Contains(out, "github") || strings.Contains(out, "slack") {
		t.Fatalf("plugboard services github: %v\n%s", err, out)
	}

	mustStatus(t, "create api_key service", call(t, "POST", v1+"/services", testAdminToken, map[string]any{
		"key": "devices", "name": "Devices", "auth_type": "api_key",
		"api_key": map[string]any{"params": []map[string]string{{"name": "X-API-Key", "in": "header"}}},
		"scopes":  []any{}, "api_base_url": upstream.URL + "/v2",
	}), http.StatusCreated)
	out, err = runCLI(t, inst, "connection", "create", "Plant devices", "devices")
	if err != nil || !strings.Contains(out, "plant_devices") {
		t.Fatalf("plugboard connection create: %v\n%s", err, out)
	}
	mustStatus(t, "connect", call(t, "POST", v1+"/connections/plant_devices/connect", testAdminToken,
		map[string]any{"credentials": map[string]string{"X-API-Key": "key-123"}}), http.StatusOK)

	out, err = runCLI(t, inst, "connections")
	if err != nil || !strings.Contains(out, "plant_devices") || !strings.Contains(out, "connected") {
		t.Fatalf("plugboard connections: %v\n%s", err, out)
	}
	out, err = runCLI(t, inst, "invoke", "plant_devices", "GET", "/devices")
	if err != nil || !strings.Contains(out, `"status_code": 200`) || !strings.Contains(out, "pump-7") {
		t.Fatalf("plugboard invoke: %v\n%s", err, out)
	}
	if key, path := upstream.last(); key != "key-123" || path != "/v2/devices" {
		t.Errorf("upstream got key %q at path %q, want key-123 at /v2/devices", key, path)
	}
	out, err = runCLI(t, inst, "connection", "revoke", "plant_devices")
	if err != nil || !strings.Contains(out, "revoked plant_devices") {
		t.Fatalf("plugboard connection revoke: %v\n%s", err, out)
	}
	out, err = runCLI(t, inst, "invoke", "plant_devices", "GET", "/devices")
	if err == nil || !strings.Contains(out, "connection_not_connected") {
		t.Errorf("invoke after revoke: err %v, want a connection_not_connected failure\n%s", err, out)
	}
}

func TestCLIConnectPrintsAuthorizationURL(t *testing.T) {
	inst := startInstance(t)
	v1 := inst.URL + "/v1"
	mustStatus(t, "create oauth2 service", call(t, "POST", v1+"/services", testAdminToken, map[string]any{
		"key": "acme", "name": "Acme", "auth_type": "oauth2",
		"oauth2": map[string]any{
			"authorization_url": "https://auth.acme.example/authorize", "token_url": "https://auth.acme.example/token",
			"token_auth_method": "client_secret_post",
		},
		"scopes":       []map[string]string{{"name": "devices.read"}},
		"api_base_url": "https://api.acme.example/v1",
	}), http.StatusCreated)
	mustStatus(t, "create application", call(t, "POST", v1+"/applications", testAdminToken, map[string]any{
		"service": "acme", "name": "Production", "client_id": "cli-client", "client_secret": "cli-secret",
	}), http.StatusCreated)
	if out, err := runCLI(t, inst, "connection", "create", "Acme", "acme", "--scopes", "devices.read"); err != nil {
		t.Fatalf("plugboard connection create: %v\n%s", err, out)
	}

	out, err := runCLI(t, inst, "connection", "connect", "acme")
	if err != nil {
		t.Fatalf("plugboard connection connect: %v\n%s", err, out)
	}
	for _, want := range []string{"https://auth.acme.example/authorize?", "client_id=cli-client", "code_challenge_method=S256", "scope=devices.read"} {
		if !strings.Contains(out, want) {
			t.Errorf("connect output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "cli-secret") {
		t.Errorf("connect output shows the client secret:\n%s", out)
	}
}

func TestCLIWithoutToken(t *testing.T) {
	cmd := exec.Command(binaryPath, "connections")
	cmd.Env = append(os.Environ(), "PLUGBOARD_TOKEN=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "PLUGBOARD_TOKEN is not set") {
		t.Errorf("connections without a token: err %v, output %q; want a failure naming PLUGBOARD_TOKEN", err, out)
	}
}
