package api_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// handlerConnection starts an upstream on 127.0.0.1 that runs handler, and
// creates an api_key service at its /base path with the key in a header and
// a connected connection to it. It returns the connection's link name and
// the upstream server.
func handlerConnection(t *testing.T, s *stack, handler http.HandlerFunc) (string, *httptest.Server) {
	t.Helper()
	server := httptest.NewServer(handler)
	t.Cleanup(server.Close)
	s.createService(apiKeyService("acme_keys", server.URL+"/base", "X-API-Key", "header"))
	conn := s.createConnection(adminToken, map[string]any{"name": "Acme keys", "service": "acme_keys"})
	s.connectWithSecrets(conn.LinkName, map[string]string{"X-API-Key": testAPIKey})
	return conn.LinkName, server
}

// gzipBytes returns data compressed with gzip.
func gzipBytes(t *testing.T, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	writer := gzip.NewWriter(&buf)
	if _, err := writer.Write(data); err != nil {
		t.Fatalf("compressing: %v", err)
	}
	if err := writer.Close(); err != nil {
		t.Fatalf("closing gzip writer: %v", err)
	}
	return buf.Bytes()
}

func TestFidelityProxyGzipAndConnectionHeaders(t *testing.T) {
	plain := []byte(strings.Repeat(`{"device":"pump-7","status":"ok"}`, 64))
	compressed := gzipBytes(t, plain)
	s := newStack(t)
	link, upstreamServer := handlerConnection(t, s, func(w http.ResponseWriter, r *http.Request) {
		// The upstream compresses every response, whatever the request's
		// Accept-Encoding, as some APIs do.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Connection", "keep-alive, X-Foo")
		w.Header().Set("X-Foo", "bar")
		w.Header().Set("X-Upstream", "yes")
		w.Write(compressed)
	})

	// Control: the upstream really sends the headers the proxy must strip.
	direct, err := (&http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}).Get(upstreamServer.URL + "/base/devices")
	if err != nil {
		t.Fatalf("calling the upstream directly: %v", err)
	}
	direct.Body.Close()
	if direct.Header.Get("X-Foo") != "bar" || !strings.Contains(direct.Header.Get("Connection"), "X-Foo") {
		t.Fatalf("upstream sent X-Foo %q and Connection %q, want bar and a list naming X-Foo",
			direct.Header.Get("X-Foo"), direct.Header.Get("Connection"))
	}

	resp := s.doWith("GET", "/v1/connections/"+link+"/proxy/devices", adminToken, nil,
		http.Header{"Accept-Encoding": {"gzip"}})

	wantStatus(t, resp, http.StatusOK)
	if !bytes.Equal(resp.body, compressed) {
		t.Errorf("body = %d bytes, want the upstream's %d gzip bytes unchanged", len(resp.body), len(compressed))
	}
	if got := resp.header.Get("Content-Encoding"); got != "gzip" {
		t.Errorf("Content-Encoding = %q, want gzip", got)
	}
	if got := resp.header.Get("X-Upstream"); got != "yes" {
		t.Errorf("X-Upstream = %q, want the end-to-end header kept", got)
	}
	if got := resp.header.Get("X-Foo"); got != "" {
		t.Errorf("X-Foo = %q, want it stripped because Connection names it", got)
	}
	if got := resp.header.Get("Connection"); strings.Contains(strings.ToLower(got), "x-foo") {
		t.Errorf("Connection = %q, want the upstream's list not passed on", got)
	}
}

func TestFidelityProxyGzipWithoutAcceptEncoding(t *testing.T) {
	plain := []byte(strings.Repeat(`{"device":"pump-7","status":"ok"}`, 64))
	compressed := gzipBytes(t, plain)
	s := newStack(t)
	link, _ := handlerConnection(t, s, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(compressed)
	})

	// A caller that sends no Accept-Encoding and does not decompress
	// reads the body as it crosses the wire.
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	req, err := http.NewRequest("GET", s.url+"/v1/connections/"+link+"/proxy/devices", nil)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("calling the proxy: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the proxied body: %v", err)
	}

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200; body: %s", resp.StatusCode, body)
	}
	// Either representation is correct, as long as the header describes
	// the bytes: the upstream's gzip bytes with Content-Encoding gzip, or
	// the decoded bytes without it.
	switch encoding := resp.Header.Get("Content-Encoding"); encoding {
	case "gzip":
		if !bytes.Equal(body, compressed) {
			t.Errorf("body with Content-Encoding gzip = %d bytes, want the upstream's %d gzip bytes", len(body), len(compressed))
		}
	case "":
		if !bytes.Equal(body, plain) {
			t.Errorf("body without Content-Encoding = %d bytes, want the %d decoded bytes", len(body), len(plain))
		}
	default:
		t.Errorf("Content-Encoding = %q, want gzip or none", encoding)
	}
}

func TestFidelityQueryKeptByteForByte(t *testing.T) {
	queries := []struct {
		name string
		raw  string
	}{
		{name: "plus, escaped plus and brackets", raw: "q=a+b&q=c%2Bd&x[]=1"},
		{name: "unsorted keys and escaped space", raw: "z=1&a=two%20words"},
	}
	senders := []struct {
		name string
		send func(s *stack, link, rawQuery string) response
	}{
		{
			name: "proxy",
			send: func(s *stack, link, rawQuery string) response {
				return s.admin("GET", "/v1/connections/"+link+"/proxy/search?"+rawQuery, nil)
			},
		},
		{
			name: "invoke",
			send: func(s *stack, link, rawQuery string) response {
				return s.admin("POST", "/v1/invoke", map[string]any{"url": "/search?" + rawQuery, "connection": link})
			},
		},
	}
	for _, query := range queries {
		for _, sender := range senders {
			t.Run(sender.name+" "+query.name, func(t *testing.T) {
				s := newStack(t)
				up := newUpstream(t)
				link := keyConnection(t, s, up, "header")

				resp := sender.send(s, link, query.raw)

				wantStatus(t, resp, http.StatusOK)
				req := up.only(t)
				if req.RawQuery != query.raw {
					t.Errorf("upstream query = %q, want %q", req.RawQuery, query.raw)
				}
				if req.Path != "/base/search" {
					t.Errorf("upstream path = %q, want /base/search", req.Path)
				}
			})
		}
	}
}

func TestFidelityProxyMultipartUpload(t *testing.T) {
	file := make([]byte, 1<<20)
	if _, err := rand.Read(file); err != nil {
		t.Fatalf("generating file: %v", err)
	}
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	if err := form.WriteField("name", "firmware.bin"); err != nil {
		t.Fatalf("writing field: %v", err)
	}
	part, err := form.CreateFormFile("file", "firmware.bin")
	if err != nil {
		t.Fatalf("creating form file: %v", err)
	}
	if _, err := part.Write(file); err != nil {
		t.Fatalf("writing form file: %v", err)
	}
	if err := form.Close(); err != nil {
		t.Fatalf("closing multipart writer: %v", err)
	}
	contentType := form.FormDataContentType()
	wantSum := sha256.Sum256(body.Bytes())

	var (
		mu        sync.Mutex
		gotSum    [sha256.Size]byte
		gotType   string
		gotLength int
		requests  int
	)
	s := newStack(t)
	link, _ := handlerConnection(t, s, func(w http.ResponseWriter, r *http.Request) {
		raw, err := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		requests++
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		gotSum, gotType, gotLength = sha256.Sum256(raw), r.Header.Get("Content-Type"), len(raw)
		w.WriteHeader(http.StatusCreated)
	})

	resp := s.doWith("POST", "/v1/connections/"+link+"/proxy/uploads", adminToken, body.String(),
		http.Header{"Content-Type": {contentType}})

	wantStatus(t, resp, http.StatusCreated)
	mu.Lock()
	defer mu.Unlock()
	if requests != 1 {
		t.Fatalf("upstream received %d requests, want 1", requests)
	}
	if gotSum != wantSum {
		t.Errorf("upstream body = %d bytes with SHA-256 %x, want %d bytes with %x", gotLength, gotSum, body.Len(), wantSum)
	}
	if gotType != contentType {
		t.Errorf("upstream Content-Type = %q, want %q", gotType, contentType)
	}
}

func TestFidelityRedirectNotFollowed(t *testing.T) {
	var stolen atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stolen.Add(1)
	}))
	t.Cleanup(other.Close)
	location := other.URL + "/steal"

	s := newStack(t)
	link, _ := handlerConnection(t, s, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", location)
		w.WriteHeader(http.StatusFound)
	})

	t.Run("proxy", func(t *testing.T) {
		resp := s.admin("GET", "/v1/connections/"+link+"/proxy/files/1", nil)

		wantStatus(t, resp, http.StatusFound)
		if got := resp.header.Get("Location"); got != location {
			t.Errorf("Location = %q, want %q", got, location)
		}
	})
	t.Run("invoke", func(t *testing.T) {
		resp := s.admin("POST", "/v1/invoke", map[string]any{"url": "/files/1", "connection": link})

		wantStatus(t, resp, http.StatusOK)
		got := decode[invokeResult](t, resp)
		if got.StatusCode != http.StatusFound {
			t.Errorf("status_code = %d, want 302", got.StatusCode)
		}
		if got.Headers["Location"] != location {
			t.Errorf("Location = %q, want %q", got.Headers["Location"], location)
		}
	})
	if n := stolen.Load(); n != 0 {
		t.Errorf("the other server received %d requests, want 0", n)
	}
}

func TestFidelityUnauthorizedNotRetried(t *testing.T) {
	tests := []struct {
		name string
		send func(s *stack, link string) response
		// check verifies that the caller got the 401.
		check func(t *testing.T, resp response)
	}{
		{
			name: "proxy GET",
			send: func(s *stack, link string) response {
				return s.admin("GET", "/v1/connections/"+link+"/proxy/devices", nil)
			},
			check: func(t *testing.T, resp response) {
				wantStatus(t, resp, http.StatusUnauthorized)
				if got := string(resp.body); got != `{"error":"invalid key"}` {
					t.Errorf("body = %q, want the upstream's", got)
				}
			},
		},
		{
			name: "proxy POST",
			send: func(s *stack, link string) response {
				return s.admin("POST", "/v1/connections/"+link+"/proxy/devices", `{"name":"pump-7"}`)
			},
			check: func(t *testing.T, resp response) {
				wantStatus(t, resp, http.StatusUnauthorized)
			},
		},
		{
			name: "invoke",
			send: func(s *stack, link string) response {
				return s.admin("POST", "/v1/invoke", map[string]any{"url": "/devices", "connection": link})
			},
			check: func(t *testing.T, resp response) {
				wantStatus(t, resp, http.StatusOK)
				if got := decode[invokeResult](t, resp).StatusCode; got != http.StatusUnauthorized {
					t.Errorf("status_code = %d, want 401", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			s := newStack(t)
			link, _ := handlerConnection(t, s, func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				w.WriteHeader(http.StatusUnauthorized)
				io.WriteString(w, `{"error":"invalid key"}`)
			})

			resp := tt.send(s, link)

			tt.check(t, resp)
			if n := requests.Load(); n != 1 {
				t.Errorf("upstream received %d requests, want 1", n)
			}
		})
	}
}

func TestFidelityProxyStreamsEvents(t *testing.T) {
	secondWritten := make(chan struct{})
	s := newStack(t)
	link, _ := handlerConnection(t, s, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
		io.WriteString(w, "event: status\ndata: first\n\n")
		if err := http.NewResponseController(w).Flush(); err != nil {
			return
		}
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		close(secondWritten)
		io.WriteString(w, "event: status\ndata: second\n\n")
	})

	req, err := http.NewRequest("GET", s.url+"/v1/connections/"+link+"/proxy/events", nil)
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("calling the proxy: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	if got := resp.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("Content-Type = %q, want text/event-stream", got)
	}

	reader := bufio.NewReader(resp.Body)
	first := readEvent(t, reader)
	select {
	case <-secondWritten:
		t.Errorf("the first event arrived after the upstream wrote the second, want it streamed as soon as it was flushed")
	default:
	}
	if want := "event: status\ndata: first\n\n"; first != want {
		t.Errorf("first event = %q, want %q", first, want)
	}
	if got, want := readEvent(t, reader), "event: status\ndata: second\n\n"; got != want {
		t.Errorf("second event = %q, want %q", got, want)
	}
}

// readEvent reads one server-sent event, up to and including the blank line
// that ends it.
func readEvent(t *testing.T, reader *bufio.Reader) string {
	t.Helper()
	var event strings.Builder
	for {
		line, err := reader.ReadString('\n')
		event.WriteString(line)
		if err != nil {
			t.Fatalf("reading event stream after %q: %v", event.String(), err)
		}
		if line == "\n" {
			return event.String()
		}
	}
}
