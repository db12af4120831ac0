package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIFunction(t *testing.T) {
	upstream := newDevicesUpstream(t)
	inst := startInstance(t)
	v1 := inst.URL + "/v1"
	mustStatus(t, "create api_key service", call(t, "POST", v1+"/services", testAdminToken, map[string]any{
		"key": "devices", "name": "Devices", "auth_type": "api_key",
		"api_key": map[string]any{"params": []map[string]string{{"name": "X-API-Key", "in": "header"}}},
		"scopes":  []any{}, "api_base_url": upstream.URL + "/v2",
	}), http.StatusCreated)
	mustStatus(t, "create connection", call(t, "POST", v1+"/connections", testAdminToken,
		map[string]any{"name": "Plant devices", "service": "devices"}), http.StatusCreated)
	mustStatus(t, "connect", call(t, "POST", v1+"/connections/plant_devices/connect", testAdminToken,
		map[string]any{"credentials": map[string]string{"X-API-Key": "key-123"}}), http.StatusOK)

	script := filepath.Join(t.TempDir(), "devices.dg")
	source := fmt.Sprintf(`response = invokeurl
[
	url: %q
	type: GET
	connection: "plant_devices"
];
info response;
return response.get("devices").size() * factor;
`, upstream.URL+"/v2/devices")
	if err := os.WriteFile(script, []byte(source), 0o600); err != nil {
		t.Fatal(err)
	}

	out, err := runCLI(t, inst, "function", "create", "count_devices", script)
	if err != nil || !strings.Contains(out, "created function count_devices") {
		t.Fatalf("plugboard function create: %v\n%s", err, out)
	}
	out, err = runCLI(t, inst, "functions")
	if err != nil || !strings.Contains(out, "count_devices") || !strings.Contains(out, "plant_devices") {
		t.Fatalf("plugboard functions: %v\n%s", err, out)
	}
	out, err = runCLI(t, inst, "function", "run", "count_devices", `{"factor": 3}`)
	if err != nil || !strings.Contains(out, `"result": 3`) || !strings.Contains(out, `{\"devices\":[\"pump-7\"]}`) {
		t.Fatalf("plugboard function run: %v\n%s", err, out)
	}
	if key, path := upstream.last(); key != "key-123" || path != "/v2/devices" {
		t.Errorf("upstream got key %q at path %q, want key-123 at /v2/devices", key, path)
	}

	out, err = runCLI(t, inst, "function", "run", "count_devices")
	if err == nil || !strings.Contains(out, "function_failed") || !strings.Contains(out, "variable factor is not defined") {
		t.Errorf("run without the argument: err %v, want a function_failed failure\n%s", err, out)
	}
	out, err = runCLI(t, inst, "function", "delete", "count_devices")
	if err != nil || !strings.Contains(out, "deleted function count_devices") {
		t.Fatalf("plugboard function delete: %v\n%s", err, out)
	}
}
