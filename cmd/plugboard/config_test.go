package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/plugboard/plugboard/internal/store/cached"
)

func TestParseConfigCacheStaleness(t *testing.T) {
	t.Setenv("PLUGBOARD_CACHE_STALENESS", "")
	c, err := parseConfig("serve", nil, io.Discard)
	if err != nil {
		t.Fatalf("parseConfig() error = %v", err)
	}
	if c.CacheStaleness != cached.DefaultStaleness {
		t.Errorf("default cache staleness = %s, want %s", c.CacheStaleness, cached.DefaultStaleness)
	}
	c, err = parseConfig("serve", []string{"--cache-staleness", "0s"}, io.Discard)
	if err != nil || c.CacheStaleness != 0 {
		t.Errorf("--cache-staleness 0s gave %s, %v; want 0s and no error", c.CacheStaleness, err)
	}
	_, err = parseConfig("serve", []string{"--cache-staleness", "-1s"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--cache-staleness -1s is negative") {
		t.Errorf("--cache-staleness -1s error = %v, want one naming the value", err)
	}
}

func TestParseConfigDebugAddr(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		wantErr string
	}{
		{"127.0.0.1:6060", ""},
		{"[::1]:6060", ""},
		{"localhost:6060", ""},
		{"0.0.0.0:6060", "not a loopback address"},
		{":6060", "not a loopback address"},
		{"10.0.0.5:6060", "not a loopback address"},
		{"6060", "not host:port"},
	} {
		_, err := parseConfig("serve", []string{"--debug-addr", tc.addr}, io.Discard)
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("--debug-addr %s error = %v, want none", tc.addr, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("--debug-addr %s error = %v, want one containing %q", tc.addr, err, tc.wantErr)
		}
	}
}

// TestDebugAddrServesProfiler starts serve with --debug-addr and reads the
// profiler's index from that address, and checks that the API address
// does not serve it.
func TestDebugAddrServesProfiler(t *testing.T) {
	debugAddr := freeAddr(t)
	inst := startInstance(t, "--debug-addr", debugAddr)
	client := &http.Client{Timeout: 10 * time.Second}
	var resp *http.Response
	var err error
	// The profiler listens once the API is ready; give it a moment more.
	for range 50 {
		if resp, err = client.Get("http://" + debugAddr + "/debug/pprof/"); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET /debug/pprof/ on --debug-addr: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine") {
		t.Errorf("GET /debug/pprof/ = %d with %d bytes, want 200 with the profile index", resp.StatusCode, len(body))
	}
	resp, err = client.Get(inst.URL + "/debug/pprof/")
	if err != nil {
		t.Fatalf("GET /debug/pprof/ on the API address: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("the API address serves /debug/pprof/, want it only on --debug-addr")
	}
}
