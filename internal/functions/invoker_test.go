package functions

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/plugboard/plugboard/internal/deluge"
	"github.com/plugboard/plugboard/internal/problem"
)

// taskRequest runs a script whose invokeurl task goes to a recording invoker and
// returns the request the task built.
func taskRequest(t *testing.T, src string) deluge.InvokeRequest {
	t.Helper()
	p, err := deluge.Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	rec := &recorder{}
	if _, err := deluge.Run(context.Background(), p, deluge.Env{Invoker: rec}); err != nil {
		t.Fatalf("Run: %v", err)
	}
	return rec.req
}

type recorder struct{ req deluge.InvokeRequest }

func (r *recorder) Invoke(ctx context.Context, req deluge.InvokeRequest) (deluge.InvokeResponse, error) {
	r.req = req
	return deluge.InvokeResponse{StatusCode: 200, Body: []byte(`{}`)}, nil
}

func TestEgressRequestEncodings(t *testing.T) {
	tests := []struct {
		name        string
		task        string
		wantBody    string
		wantQuery   map[string]string
		contentType string
	}{
		{"map body as form", `type: POST body: {"a": "1", "b": [2]}`, "a=1&b=%5B2%5D", nil, "application/x-www-form-urlencoded"},
		{"map body as JSON", `type: POST body: {"a": 1} content-type: "application/json"`, `{"a":1}`, nil, "application/json"},
		{"list body", `type: PUT body: [1, "x"]`, `[1,"x"]`, nil, "application/json"},
		{"text body", `type: POST body: "raw text" headers: {"Content-Type": "text/plain"}`, "raw text", nil, "text/plain"},
		{"text parameters", `type: POST parameters: {"a": 1}.toString()`, `{"a":1}`, nil, ""},
		{"parameters as JSON", `type: PATCH parameters: {"n": 2} content-type: "application/json"`, `{"n":2}`, nil, "application/json"},
		{"parameters on GET", `parameters: {"page": 2, "q": "x"}`, "", map[string]string{"page": "2", "q": "x"}, ""},
		{"content-type key wins", `type: POST body: "x" headers: {"content-type": "text/plain"} content-type: "text/csv"`, "x", nil, "text/csv"},
	}
	target, _ := url.Parse("https://api.example.com/items")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := taskRequest(t, `r = invokeurl [ url: "https://api.example.com/items" connection: "crm" `+tt.task+` ];`)
			out, err := egressRequest(req, target)
			if err != nil {
				t.Fatalf("egressRequest: %v", err)
			}
			if string(out.Body) != tt.wantBody {
				t.Errorf("body = %q, want %q", out.Body, tt.wantBody)
			}
			if len(out.Parameters) != len(tt.wantQuery) {
				t.Errorf("parameters = %v, want %v", out.Parameters, tt.wantQuery)
			}
			for k, v := range tt.wantQuery {
				if out.Parameters[k] != v {
					t.Errorf("parameter %s = %q, want %q", k, out.Parameters[k], v)
				}
			}
			var contentTypes []string
			for name, value := range out.Headers {
				if name == "Content-Type" || name == "content-type" {
					contentTypes = append(contentTypes, value)
				}
			}
			switch {
			case tt.contentType == "" && len(contentTypes) != 0:
				t.Errorf("Content-Type = %q, want none", contentTypes)
			case tt.contentType != "" && (len(contentTypes) != 1 || contentTypes[0] != tt.contentType):
				t.Errorf("Content-Type = %q, want exactly %q", contentTypes, tt.contentType)
			}
		})
	}
}

func TestParseScriptProblem(t *testing.T) {
	_, err := parseScript("info 1;\ninfo ;")
	p, ok := problem.As(err)
	if !ok || p.Code != "script_invalid" {
		t.Fatalf("error = %v, want a script_invalid problem", err)
	}
	if p.Extra["line"] != 2 || p.Extra["column"] != 6 {
		t.Errorf("line, column = %v, %v, want 2, 6", p.Extra["line"], p.Extra["column"])
	}

	conns, err := parseScript(`a = invokeurl [ url: "/x" connection: "crm" ];`)
	if err != nil || len(conns) != 1 || conns[0] != "crm" {
		t.Errorf("parseScript = %q, %v, want [crm]", conns, err)
	}
}

func TestCallErrorKeepsProblem(t *testing.T) {
	cause := problem.Conflict("authorization_required", "connection %q needs you to connect", "crm").With("connect_url", "http://127.0.0.1/c")
	got := callError(cause)
	if got.Code != "authorization_required" || got.Message != `connection "crm" needs you to connect` || got.Extra["connect_url"] != "http://127.0.0.1/c" {
		t.Errorf("callError = %+v", got)
	}
	internal := callError(errors.New("database is locked"))
	if internal.Code != "call_failed" || internal.Message == "database is locked" {
		t.Errorf("callError of an internal error = %+v, want a generic message", internal)
	}
	if !errors.Is(internal, internal.Err) {
		t.Error("callError does not wrap its cause")
	}
}
