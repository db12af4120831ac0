package deluge

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// checkPositions fails for every node of the tree without a position.
func checkPositions(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return
		}
		if node, ok := v.Interface().(Node); ok {
			if pos := node.Pos(); pos.Line < 1 || pos.Column < 1 {
				t.Errorf("%T has position %d:%d", node, pos.Line, pos.Column)
			}
		}
		checkPositions(t, v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			checkPositions(t, v.Field(i))
		}
	case reflect.Slice:
		for i := range v.Len() {
			checkPositions(t, v.Index(i))
		}
	}
}

func TestParsePositionsOnEveryNode(t *testing.T) {
	for _, c := range readCorpus(t, "valid") {
		p, err := Parse(c.sections["script"])
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		checkPositions(t, reflect.ValueOf(p))
	}
	p, err := Parse(sampleTabs)
	if err != nil {
		t.Fatal(err)
	}
	checkPositions(t, reflect.ValueOf(p))
}

func TestParseSamplePositions(t *testing.T) {
	p, err := Parse(sampleTabs)
	if err != nil {
		t.Fatal(err)
	}
	assign, ok := p.Statements[0].(*AssignStmt)
	if !ok {
		t.Fatalf("first statement is %T, want *AssignStmt", p.Statements[0])
	}
	task, ok := assign.Value.(*InvokeExpr)
	if !ok {
		t.Fatalf("value is %T, want *InvokeExpr", assign.Value)
	}
	want := []struct {
		key       string
		line, col int
	}{{"url", 4, 2}, {"type", 5, 2}, {"connection", 6, 2}}
	for i, w := range want {
		got := task.Params[i]
		if got.Key != w.key || got.At.Line != w.line || got.At.Column != w.col {
			t.Errorf("param %d = %s at %d:%d, want %s at %d:%d", i, got.Key, got.At.Line, got.At.Column, w.key, w.line, w.col)
		}
	}
	if info, ok := p.Statements[1].(*InfoStmt); !ok || info.At != (Position{Line: 8, Column: 1}) {
		t.Errorf("second statement = %#v, want info at 8:1", p.Statements[1])
	}
}

func TestParseInvokeSpacings(t *testing.T) {
	for _, src := range []string{
		`r = invokeurl [ url: "https://a" type: POST content-type: "application/json" ];`,
		`r = invokeurl [ url :"https://a" type :POST content-type :"application/json" ];`,
		`r = invokeurl [url:"https://a" type:POST content-type:"application/json"];`,
		`r = invokeurl [ url: "https://a", type: POST, content-type: "application/json" ];`,
		"r = INVOKEURL\n[\nurl\n:\n\"https://a\"\ntype\n:\nPOST\ncontent - type : \"application/json\"\n];",
	} {
		p, err := Parse(src)
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		task := p.Statements[0].(*AssignStmt).Value.(*InvokeExpr)
		if len(task.Params) != 3 || task.Params[2].Key != "content-type" {
			t.Errorf("Parse(%q): params = %+v", src, task.Params)
		}
	}
}

func TestParseNestingLimit(t *testing.T) {
	deep := "x = "
	for range maxNesting + 1 {
		deep += "("
	}
	_, err := Parse(deep + "1")
	var serr *SyntaxError
	if !errors.As(err, &serr) || serr.Message != "script nests more than 100 levels deep" {
		t.Errorf("error = %v, want the nesting limit", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*.txt"))
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(splitSections(string(data))["script"])
		}
	}
	f.Add(sampleTabs)
	f.Add(sampleZoho)
	f.Fuzz(func(t *testing.T, src string) {
		p, err := Parse(src)
		if err != nil {
			var serr *SyntaxError
			if !errors.As(err, &serr) {
				t.Fatalf("Parse error %v is not a *SyntaxError", err)
			}
			if serr.Line < 1 || serr.Column < 1 {
				t.Fatalf("syntax error position %d:%d", serr.Line, serr.Column)
			}
			return
		}
		checkPositions(t, reflect.ValueOf(p))
		p.Connections()
		// Running what parses must end in a result or a *RuntimeError,
		// never a panic or a hang.
		env := Env{
			Invoker: &recordingInvoker{response: jsonResponse(`{"a": [1]}`)},
			Limits:  Limits{MaxSteps: 2000, MaxMemory: 1 << 20, Timeout: time.Second},
		}
		if _, err := Run(context.Background(), p, env); err != nil {
			var rerr *RuntimeError
			if !errors.As(err, &rerr) {
				t.Fatalf("Run error %v is not a *RuntimeError", err)
			}
		}
	})
}
