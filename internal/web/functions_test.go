package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/secrets"
	"github.com/plugboard/plugboard/internal/store"
)

// addUpstreamConnection starts an upstream on 127.0.0.1 that returns the
// API key it received and creates the connected API key connection
// "devices" to it. With shared set, the connection uses each member's own
// credential and no member has connected.
func (s *site) addUpstreamConnection(shared bool) {
	s.t.Helper()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"path": "` + r.URL.Path + `", "key": "` + r.Header.Get("X-API-Key") + `"}`))
	}))
	s.t.Cleanup(upstream.Close)
	if _, err := s.conns.CreateService(s.t.Context(), s.admin, catalog.Service{
		Key: "devices_api", Name: "Devices API", AuthType: catalog.AuthAPIKey,
		APIKey:     &catalog.APIKeySettings{Params: []catalog.APIKeyParam{{Name: "X-API-Key", In: "header"}}},
		APIBaseURL: upstream.URL + "/v1", SamplePath: "/devices",
	}); err != nil {
		s.t.Fatalf("creating service devices_api: %v", err)
	}
	if _, err := s.conns.CreateConnection(s.t.Context(), s.admin, connections.ConnectionInput{
		Name: ptr("Devices"), Service: "devices_api", UseLoginUserCredentials: &shared,
	}); err != nil {
		s.t.Fatalf("creating connection devices: %v", err)
	}
	if shared {
		return
	}
	if _, err := s.conns.Connect(s.t.Context(), s.admin, "devices", "", map[string]secrets.Secret{"X-API-Key": "key-123"}); err != nil {
		s.t.Fatalf("connecting devices: %v", err)
	}
}

func TestFunctionPagesCreateAndRun(t *testing.T) {
	s := newSite(t)
	s.addUpstreamConnection(false)
	c := s.adminClient()

	page := c.get("/functions")
	wantContains(t, "empty functions page", page, `id="empty-state"`, `id="new-function"`, `href="/functions" aria-current="page"`)

	// The connection page offers a function made from its Deluge sample.
	page = c.get("/connections/devices")
	wantContains(t, "connection page", page, `href="/functions/new?connection=devices"`, "New function from this sample")
	page = c.get("/functions/new?connection=devices")
	wantContains(t, "new function from the sample", page, `value="devices_sample"`, "/v1/devices&#34;", "connection: &#34;devices&#34;")

	// A syntax error is shown next to the script with its line and
	// column, and the typed name and script are kept.
	broken := "info \"start\";\nx = ;\n"
	resp := c.postForm("/functions/new", "/functions/new", url.Values{"name": {"list_devices"}, "script": {broken}})
	if resp.status != http.StatusUnprocessableEntity {
		t.Errorf("broken script: status %d, want 422", resp.status)
	}
	wantContains(t, "broken script", resp, `id="script-error"`, "line 2, column", `value="list_devices"`, "x = ;")

	resp = c.postForm("/functions/new", "/functions/new", url.Values{"name": {"List devices"}, "script": {"return 1;"}})
	wantContains(t, "invalid name", resp, `id="name-error"`, "return 1;")

	script := "r = invokeurl\n[\n\turl: \"/devices\"\n\ttype: GET\n\tconnection: \"devices\"\n];\ninfo r.get(\"path\");\nreturn {\"device\": device, \"key_seen\": r.get(\"key\") != \"\"};\n"
	resp = c.postForm("/functions/new", "/functions/new", url.Values{"name": {"list_devices"}, "script": {script}})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/functions/list_devices?notice=function_created" {
		t.Fatalf("create: status %d to %q, want 303 to the function page\n%s", resp.status, resp.header.Get("Location"), resp.body)
	}
	page = c.get("/functions")
	wantContains(t, "functions list", page, `href="/functions/list_devices"`, `href="/connections/devices"`, "admin")
	page = c.get("/connections/devices")
	wantContains(t, "connection page used by", page, `Function <a href="/functions/list_devices">`)

	// Run with arguments shows the result, the log and the duration.
	path := "/functions/list_devices"
	resp = c.postForm(path, path+"/run", url.Values{"arguments": {`{"device": "pump-7"}`}})
	if resp.status != http.StatusOK {
		t.Fatalf("run: status %d\n%s", resp.status, resp.body)
	}
	wantContains(t, "run result", resp, `id="run-result"`, "&#34;device&#34;: &#34;pump-7&#34;", "&#34;key_seen&#34;: true", `id="run-log"`, "/v1/devices", " ms)")

	resp = c.postForm(path, path+"/run", url.Values{"arguments": {`{"device": `}})
	if resp.status != http.StatusUnprocessableEntity {
		t.Errorf("run with broken JSON: status %d, want 422", resp.status)
	}
	wantContains(t, "broken arguments", resp, `id="arguments-error"`, "not valid JSON", "{&#34;device&#34;: </textarea>")
	resp = c.postForm(path, path+"/run", url.Values{"arguments": {`[1, 2]`}})
	wantContains(t, "arguments not an object", resp, `id="arguments-error"`, "must be a JSON object")

	// A runtime error shows the line, column and log.
	resp = c.postForm(path, path, url.Values{"name": {"list_devices"}, "script": {"info \"before\";\nx = 1 / 0;\n"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("edit: status %d\n%s", resp.status, resp.body)
	}
	resp = c.postForm(path, path+"/run", url.Values{"arguments": {"{}"}})
	if resp.status != http.StatusUnprocessableEntity {
		t.Errorf("failing run: status %d, want 422", resp.status)
	}
	wantContains(t, "failing run", resp, `id="run-error"`, "Failed at line 2, column", "before")

	// Rename, then delete.
	resp = c.postForm(path, path, url.Values{"name": {"divide"}, "script": {"return 2;"}})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/functions/divide?notice=function_saved" {
		t.Fatalf("rename: status %d to %q", resp.status, resp.header.Get("Location"))
	}
	resp = c.postForm("/functions/divide", "/functions/divide/delete", url.Values{})
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/functions?notice=function_deleted" {
		t.Fatalf("delete: status %d to %q", resp.status, resp.header.Get("Location"))
	}
	if page := c.get("/functions/divide"); page.status != http.StatusNotFound {
		t.Errorf("deleted function's page: status %d, want 404", page.status)
	}
}

func TestFunctionRunNeedsConnect(t *testing.T) {
	s := newSite(t)
	s.addUpstreamConnection(true)
	c := s.adminClient()
	script := "r = invokeurl\n[\n\turl: \"/devices\"\n\ttype: GET\n\tconnection: \"devices\"\n];\nreturn r;\n"
	if resp := c.postForm("/functions/new", "/functions/new", url.Values{"name": {"shared_call"}, "script": {script}}); resp.status != http.StatusSeeOther {
		t.Fatalf("create: status %d\n%s", resp.status, resp.body)
	}
	resp := c.postForm("/functions/shared_call", "/functions/shared_call/run", url.Values{"arguments": {""}})
	if resp.status != http.StatusUnprocessableEntity {
		t.Errorf("run without a credential: status %d, want 422", resp.status)
	}
	wantContains(t, "run without a credential", resp, `id="run-connect"`, `href="/connections/devices"`, "line 1, column")
}

func TestFunctionPagesForViewer(t *testing.T) {
	s := newSite(t)
	admin := s.adminClient()
	if resp := admin.postForm("/functions/new", "/functions/new", url.Values{"name": {"secret_script"}, "script": {"info \"key-in-script\";"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("create: status %d\n%s", resp.status, resp.body)
	}
	if err := s.store.CreateUser(t.Context(), store.User{OrgID: s.orgID, ID: "user-vera", Username: "vera", Role: store.RoleViewer, CreatedAt: s.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	setPassword(t, s, "vera", "veras-password")
	c := s.newClient()
	if resp := c.signIn("vera", "veras-password"); resp.status != http.StatusSeeOther {
		t.Fatalf("vera's sign-in: status %d", resp.status)
	}

	page := c.get("/functions")
	wantContains(t, "viewer's functions list", page, `href="/functions/secret_script"`)
	if strings.Contains(page.body, `id="new-function"`) {
		t.Errorf("a viewer's functions list offers New function")
	}
	page = c.get("/functions/secret_script")
	wantContains(t, "viewer's function page", page, `id="script-hidden"`)
	for _, part := range []string{"key-in-script", `id="run-form"`, `id="function-form"`, `id="delete-function"`} {
		if strings.Contains(page.body, part) {
			t.Errorf("a viewer's function page contains %q", part)
		}
	}
	if page := c.get("/functions/new"); page.status != http.StatusForbidden {
		t.Errorf("a viewer's new-function page: status %d, want 403", page.status)
	}
	form := url.Values{"csrf_token": {page.csrf(t)}, "arguments": {"{}"}}
	if resp := c.post("/functions/secret_script/run", form); resp.status != http.StatusForbidden {
		t.Errorf("a viewer's run: status %d, want 403\n%s", resp.status, resp.body)
	}
}

func TestFunctionFormNeedsCSRFToken(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	resp := c.post("/functions/new", url.Values{"name": {"no_token"}, "script": {"return 1;"}})
	if resp.status != http.StatusForbidden {
		t.Errorf("create without a CSRF token: status %d, want 403", resp.status)
	}
	if page := c.get("/functions/no_token"); page.status != http.StatusNotFound {
		t.Errorf("function created without a CSRF token: status %d, want 404", page.status)
	}
}
