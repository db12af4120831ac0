package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// upstreamCall is one request that the sample upstream received.
type upstreamCall struct {
	method, path, query, key string
}

// sampleUpstream records the requests it receives and returns a JSON list
// of devices.
type sampleUpstream struct {
	server *httptest.Server
	mu     sync.Mutex
	calls  []upstreamCall
}

func newSampleUpstream(t *testing.T) *sampleUpstream {
	t.Helper()
	u := &sampleUpstream{}
	u.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.calls = append(u.calls, upstreamCall{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-API-Key")})
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"devices":["pump-7"]}`))
	}))
	t.Cleanup(u.server.Close)
	return u
}

// take returns the requests received since the last take.
func (u *sampleUpstream) take() []upstreamCall {
	u.mu.Lock()
	defer u.mu.Unlock()
	calls := u.calls
	u.calls = nil
	return calls
}

// TestSampleCodeRuns runs the curl, Python, JavaScript and Go snippets of a
// connection against a plugboard process, and sends the JSON snippet to
// POST /v1/invoke. Each must reach the upstream with the connection's key.
func TestSampleCodeRuns(t *testing.T) {
	up := newSampleUpstream(t)
	inst := startInstance(t)
	v1 := inst.URL + "/v1"

	mustStatus(t, "create api_key service", call(t, "POST", v1+"/services", testAdminToken, map[string]any{
		"key": "devices", "name": "Devices", "auth_type": "api_key",
		"api_key":      map[string]any{"params": []map[string]string{{"name": "X-API-Key", "in": "header"}}},
		"scopes":       []any{},
		"api_base_url": up.server.URL + "/v2",
		"sample_path":  "/devices?limit=5",
	}), http.StatusCreated)
	mustStatus(t, "create connection", call(t, "POST", v1+"/connections", testAdminToken,
		map[string]any{"name": "Plant devices", "service": "devices"}), http.StatusCreated)
	mustStatus(t, "connect", call(t, "POST", v1+"/connections/plant_devices/connect", testAdminToken,
		map[string]any{"credentials": map[string]string{"X-API-Key": "key-123"}}), http.StatusOK)

	all, err := runCLI(t, inst, "connection", "code", "plant_devices")
	if err != nil {
		t.Fatalf("plugboard connection code: %v\n%s", err, all)
	}
	for _, label := range []string{"== Deluge ==", "== JSON (POST /v1/invoke) ==", "== curl ==", "== Go ==", "== Python ==", "== JavaScript =="} {
		if !strings.Contains(all, label) {
			t.Errorf("plugboard connection code output lacks %q:\n%s", label, all)
		}
	}
	if strings.Contains(all, "key-123") || strings.Contains(all, testAdminToken) {
		t.Errorf("sample code contains a secret:\n%s", all)
	}

	runs := []struct {
		lang, file string
		command    func(path string) []string
	}{
		{"curl", "sample.sh", func(path string) []string { return []string{"sh", path} }},
		{"python", "sample.py", func(path string) []string { return []string{"python3", path} }},
		{"javascript", "sample.js", func(path string) []string { return []string{"node", path} }},
		{"go", "main.go", func(path string) []string { return []string{"go", "run", path} }},
	}
	for _, run := range runs {
		t.Run(run.lang, func(t *testing.T) {
			command := run.command("")
			tool := command[0]
			if run.lang == "curl" {
				tool = "curl"
			}
			if _, err := exec.LookPath(tool); err != nil {
				t.Skipf("%s is not installed: %v", tool, err)
			}
			code, err := runCLI(t, inst, "connection", "code", "plant_devices", "--lang", run.lang)
			if err != nil {
				t.Fatalf("plugboard connection code --lang %s: %v\n%s", run.lang, err, code)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, run.file)
			if err := os.WriteFile(path, []byte(code), 0o600); err != nil {
				t.Fatal(err)
			}
			command = run.command(path)
			cmd := exec.Command(command[0], command[1:]...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PLUGBOARD_TOKEN="+testAdminToken)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s\ncode:\n%s", strings.Join(command, " "), err, out, code)
			}
			t.Logf("%s ran in %v", run.lang, time.Since(start).Round(time.Millisecond))
			if !strings.Contains(string(out), "pump-7") {
				t.Errorf("%s output does not contain the upstream's body:\n%s", run.lang, out)
			}
			wantOneCall(t, up.take())
		})
	}

	t.Run("json", func(t *testing.T) {
		body, err := runCLI(t, inst, "connection", "code", "plant_devices", "--lang", "json")
		if err != nil {
			t.Fatalf("plugboard connection code --lang json: %v\n%s", err, body)
		}
		req, err := http.NewRequest("POST", v1+"/invoke", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST /v1/invoke with the json snippet: status %d", resp.StatusCode)
		}
		wantOneCall(t, up.take())
	})
}

// wantOneCall checks that the upstream received exactly the sample call.
func wantOneCall(t *testing.T, calls []upstreamCall) {
	t.Helper()
	want := upstreamCall{"GET", "/v2/devices", "limit=5", "key-123"}
	if len(calls) != 1 || calls[0] != want {
		t.Errorf("upstream received %+v, want one %+v", calls, want)
	}
}
