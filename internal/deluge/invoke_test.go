package deluge

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// recordingInvoker records requests and returns response for each.
type recordingInvoker struct {
	requests []InvokeRequest
	response InvokeResponse
	err      error
}

func (r *recordingInvoker) Invoke(ctx context.Context, req InvokeRequest) (InvokeResponse, error) {
	r.requests = append(r.requests, req)
	return r.response, r.err
}

func jsonResponse(body string) InvokeResponse {
	return InvokeResponse{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r1"}},
		Body:       []byte(body),
	}
}

func mustRun(t *testing.T, src string, env Env) Result {
	t.Helper()
	p, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	result, err := Run(context.Background(), p, env)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return result
}

func runError(t *testing.T, src string, env Env) *RuntimeError {
	t.Helper()
	p, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	_, err = Run(context.Background(), p, env)
	var rerr *RuntimeError
	if !errors.As(err, &rerr) {
		t.Fatalf("Run error = %v, want a *RuntimeError", err)
	}
	return rerr
}

// sampleTabs is the connection page's Deluge sample as shown there.
const sampleTabs = `// Acme Devices through the connection "acme_devices"
response = invokeurl
[
	url: "https://api.acme.example/v1/devices"
	type: GET
	connection: "acme_devices"
];
info response;
`

// sampleZoho is the same task in the spacing Zoho's own samples use.
const sampleZoho = `response = invokeUrl
[
url :"https://api.acme.example/v1/devices"
type :GET
connection:"acme_devices"
];
info response;`

func TestSampleRunsInBothSpacings(t *testing.T) {
	for name, src := range map[string]string{"tabs": sampleTabs, "zoho": sampleZoho} {
		t.Run(name, func(t *testing.T) {
			inv := &recordingInvoker{response: jsonResponse(`{"devices": [{"id": "pump-7"}]}`)}
			result := mustRun(t, src, Env{Invoker: inv})
			if len(inv.requests) != 1 {
				t.Fatalf("requests = %d, want 1", len(inv.requests))
			}
			req := inv.requests[0]
			if req.URL != "https://api.acme.example/v1/devices" {
				t.Errorf("URL = %q", req.URL)
			}
			if req.Method != "GET" {
				t.Errorf("Method = %q, want GET", req.Method)
			}
			if req.Connection != "acme_devices" {
				t.Errorf("Connection = %q, want acme_devices", req.Connection)
			}
			if want := []string{`{"devices":[{"id":"pump-7"}]}`}; strings.Join(result.Log, "|") != want[0] {
				t.Errorf("log = %q, want %q", result.Log, want)
			}
			p, _ := Parse(src)
			if got := p.Connections(); len(got) != 1 || got[0] != "acme_devices" {
				t.Errorf("Connections() = %q, want [acme_devices]", got)
			}
		})
	}
}

func TestInvokeSendsEveryKey(t *testing.T) {
	inv := &recordingInvoker{response: jsonResponse(`{"ok": true}`)}
	src := `params = {"page": 2, "tags": ["a"]};
headers = Map();
headers.put("X-Trace", 42);
r = invokeurl
[
	url: "https://api.example.com/items"
	type: post
	parameters: params
	headers: headers
	content-type: "application/json"
	connection: "crm"
];
return r.get("ok");`
	result := mustRun(t, src, Env{Invoker: inv})
	if result.Value != true {
		t.Errorf("result = %v, want true", result.Value)
	}
	req := inv.requests[0]
	if req.Method != "POST" {
		t.Errorf("Method = %q, want POST", req.Method)
	}
	if got, _ := json.Marshal(req.Parameters); string(got) != `{"page":2,"tags":["a"]}` {
		t.Errorf("Parameters = %s", got)
	}
	if req.Headers["X-Trace"] != "42" {
		t.Errorf("Headers = %v, want X-Trace 42", req.Headers)
	}
	if req.ContentType != "application/json" {
		t.Errorf("ContentType = %q", req.ContentType)
	}
	if req.Line != 4 || req.Column != 5 {
		t.Errorf("position = %d:%d, want 4:5", req.Line, req.Column)
	}
	if req.MaxResponseBytes != DefaultMaxResponseBytes {
		t.Errorf("MaxResponseBytes = %d, want the default %d", req.MaxResponseBytes, DefaultMaxResponseBytes)
	}
}

func TestInvokeBodyAndTextParameters(t *testing.T) {
	inv := &recordingInvoker{response: jsonResponse(`[]`)}
	mustRun(t, `m = {"name": "x"};
r = invokeurl [ url: "https://a.example" type: PUT parameters: m.toString() ];
r = invokeurl [ url: "https://a.example" type: PATCH body: m ];`, Env{Invoker: inv})
	if got := inv.requests[0].Body; got != `{"name":"x"}` {
		t.Errorf("text parameters: Body = %#v, want the JSON text", got)
	}
	if inv.requests[0].Parameters != nil {
		t.Errorf("text parameters: Parameters = %v, want nil", inv.requests[0].Parameters)
	}
	body, _ := json.Marshal(inv.requests[1].Body)
	if string(body) != `{"name":"x"}` {
		t.Errorf("map body = %s", body)
	}
}

func TestInvokeDetailed(t *testing.T) {
	inv := &recordingInvoker{response: InvokeResponse{StatusCode: 404, Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte("not here")}}
	result := mustRun(t, `r = invokeurl [ url: "https://a.example" detailed: true ];
info r.get("responseCode");
info r.get("responseHeader").get("content-type");
return r.get("responseText");`, Env{Invoker: inv})
	if result.Value != "not here" {
		t.Errorf("responseText = %#v, want the text body", result.Value)
	}
	if strings.Join(result.Log, "|") != "404|text/plain" {
		t.Errorf("log = %q", result.Log)
	}
}

func TestInvokeResponseShapes(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{`{"a": 1}`, `{"a":1}`},
		{`[1, "x"]`, `[1,"x"]`},
		{`plain text`, `"plain text"`},
		{`{broken`, `"{broken"`},
		{``, `""`},
	}
	for _, tt := range tests {
		inv := &recordingInvoker{response: InvokeResponse{StatusCode: 200, Body: []byte(tt.body)}}
		result := mustRun(t, `return invokeurl [ url: "https://a.example" ];`, Env{Invoker: inv})
		got, _ := json.Marshal(result.Value)
		if string(got) != tt.want {
			t.Errorf("body %q: result = %s, want %s", tt.body, got, tt.want)
		}
	}
}

func TestInvokeErrors(t *testing.T) {
	failing := &recordingInvoker{err: errors.New(`connection "crm" needs authorization`)}
	tests := []struct {
		name string
		src  string
		env  Env
		want string
	}{
		{"invoker error", `r = invokeurl [ url: "https://a.example" connection: "crm" ];`, Env{Invoker: failing},
			`1:5: invokeurl failed: connection "crm" needs authorization`},
		{"no invoker", `r = invokeurl [ url: "https://a.example" ];`, Env{},
			"1:5: invokeurl is not available in this run"},
		{"url type", `r = invokeurl [ url: 5 ];`, Env{Invoker: failing},
			"1:22: invokeurl url must be non-empty TEXT, got NUMBER"},
		{"type value", `r = invokeurl [ url: "https://a" type: "FETCH" ];`, Env{Invoker: failing},
			"1:40: invokeurl type must be GET, POST, PUT, PATCH or DELETE, got FETCH"},
		{"headers type", `r = invokeurl [ url: "https://a" headers: "x" ];`, Env{Invoker: failing},
			"1:43: invokeurl headers must be a KEY-VALUE, got TEXT"},
		{"body twice", `r = invokeurl [ url: "https://a" parameters: "x" body: "y" ];`, Env{Invoker: failing},
			"1:5: invokeurl got both body and text parameters; give the body once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rerr := runError(t, tt.src, tt.env)
			if got := positionMessage(rerr.Line, rerr.Column, rerr.Message); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
	rerr := runError(t, tests[0].src, tests[0].env)
	if !errors.Is(rerr, failing.err) {
		t.Errorf("error %v does not wrap the Invoker's error", rerr)
	}
}

func TestConnectionsListsLiteralNames(t *testing.T) {
	p, err := Parse(`a = invokeurl [ url: "https://a" connection: "crm" ];
if (true) {
	for each x in {1} {
		b = invokeurl [ url: "https://b" connection: "desk" ];
	}
}
name = "computed";
c = invokeurl [ url: "https://c" connection: name ];
d = invokeurl [ url: "https://d" connection: "crm" ];`)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Connections(), ","); got != "crm,desk" {
		t.Errorf("Connections() = %q, want crm,desk", got)
	}
}
