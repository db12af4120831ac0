package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/plugboard/plugboard/internal/testkit"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binaryPath is the plugboard binary that TestMain builds for the tests that
// run it as a process.
var binaryPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plugboard-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating temp folder:", err)
		os.Exit(1)
	}
	binaryPath = filepath.Join(dir, "plugboard")
	build := exec.Command("go", "build", "-o", binaryPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building plugboard:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testAdminToken is the admin token given to test instances.
const testAdminToken = "test-admin-token-0123456789abcdef0123456789"

// instance is a plugboard process started by a test.
type instance struct {
	URL     string
	DataDir string
	cmd     *exec.Cmd
	logs    *testkit.LockedBuffer
	done    chan error
}

// freeAddr returns a loopback address with a port that was free a moment
// ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startInstance runs plugboard serve with private egress allowed and waits
// until /readyz returns 200. The process is stopped with SIGTERM at cleanup.
func startInstance(t *testing.T, extraArgs ...string) *instance {
	t.Helper()
	return startInstanceIn(t, t.TempDir(), extraArgs...)
}

// startInstanceIn is startInstance with a given data folder.
func startInstanceIn(t *testing.T, dataDir string, extraArgs ...string) *instance {
	t.Helper()
	return startInstanceWith(t, instanceOptions{DataDir: dataDir, Args: extraArgs})
}

// instanceOptions configure startInstanceWith.
type instanceOptions struct {
	// Binary is the plugboard binary to run; empty means binaryPath.
	Binary  string
	DataDir string
	// Addr is the listen address; empty means a free loopback port.
	Addr string
	// GuardEgress leaves out --allow-private-egress.
	GuardEgress bool
	Args        []string
}

// startInstanceWith runs plugboard serve with opts and waits until
// /readyz returns 200. The process is stopped with SIGTERM at cleanup.
func startInstanceWith(t *testing.T, opts instanceOptions) *instance {
	t.Helper()
	addr := opts.Addr
	if addr == "" {
		addr = freeAddr(t)
	}
	binary := opts.Binary
	if binary == "" {
		binary = binaryPath
	}
	inst := &instance{URL: "http://" + addr, DataDir: opts.DataDir, logs: &testkit.LockedBuffer{}, done: make(chan error, 1)}
	args := []string{"serve", "--addr", addr, "--data-dir", inst.DataDir, "--log-level", "debug"}
	if !opts.GuardEgress {
		args = append(args, "--allow-private-egress")
	}
	args = append(args, opts.Args...)
	inst.cmd = exec.Command(binary, args...)
	inst.cmd.Env = append(os.Environ(), "PLUGBOARD_ADMIN_TOKEN="+testAdminToken, "PLUGBOARD_ADMIN_PASSWORD="+testAdminPassword)
	inst.cmd.Stdout, inst.cmd.Stderr = inst.logs, inst.logs
	if err := inst.cmd.Start(); err != nil {
		t.Fatalf("starting plugboard: %v", err)
	}
	go func() { inst.done <- inst.cmd.Wait() }()
	t.Cleanup(func() {
		inst.stop(t)
		if t.Failed() {
			t.Logf("plugboard log:\n%s", inst.logs.String())
		}
	})

	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(inst.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return inst
			}
		}
		select {
		case err := <-inst.done:
			t.Fatalf("plugboard exited at start: %v\n%s", err, inst.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("plugboard did not become ready within 20s\n%s", inst.logs.String())
	return nil
}

// stop sends SIGTERM and waits for a clean exit.
func (inst *instance) stop(t *testing.T) error {
	select {
	case err := <-inst.done:
		// The process has ended already.
		inst.done <- err
		return err
	default:
	}
	_ = inst.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-inst.done:
		inst.done <- err
		return err
	case <-time.After(35 * time.Second):
		_ = inst.cmd.Process.Kill()
		t.Errorf("plugboard did not stop within 35s of SIGTERM")
		return fmt.Errorf("killed")
	}
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (inst *instance) kill(t *testing.T) {
	t.Helper()
	if err := inst.cmd.Process.Kill(); err != nil {
		t.Fatalf("killing plugboard: %v", err)
	}
	err := <-inst.done
	inst.done <- err
}

// apiResponse is a decoded API response.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r apiResponse) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v\n%s", err, r.Body)
	}
	return m
}

// call sends an API request with token and a JSON body when body is not
// nil. It does not follow redirects.
func call(t *testing.T, method, url, token string, body any) apiResponse {
	t.Helper()
	var reader io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reader = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// mustStatus fails the test unless the response has the wanted status.
func mustStatus(t *testing.T, what string, r apiResponse, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, r.Status, want, r.Body)
	}
}

func TestServeStopsOnSIGTERM(t *testing.T) {
	inst := startInstance(t)
	if err := inst.stop(t); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	if !strings.Contains(inst.logs.String(), "msg=stopped") {
		t.Errorf("log has no clean stop:\n%s", inst.logs.String())
	}
}
