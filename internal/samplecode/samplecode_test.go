package samplecode

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var acme = Connection{
	LinkName:    "acme_devices",
	Name:        "Acme devices",
	ServiceName: "Acme Devices",
	URL:         "https://api.acme.example/v1/devices",
	Path:        "/devices",
	PublicURL:   "http://127.0.0.1:8080",
}

// hostile has names and URLs with every character that could end a
// comment or a string literal in one of the languages.
var hostile = Connection{
	LinkName:    "hostile",
	Name:        "Name \"quoted\" \\ back\nslash */ ${x} </script>\u2028end",
	ServiceName: "Svc 'single' \"double\" \\\r\n# ${HOME} `cmd` </script> \u2029x",
	URL:         "https://api.example/a\"b'c\\d${e}`f`</script>\ng",
	Path:        "/a\"b'c\\d${e}`f`$(touch x)</script>?q='1'\"&r=${HOME}",
	PublicURL:   "http://127.0.0.1:8080",
}

func TestDelugeAcme(t *testing.T) {
	got, err := Generate(Deluge, acme)
	if err != nil {
		t.Fatal(err)
	}
	want := `// Acme Devices through the connection "acme_devices"
response = invokeurl
[
	url: "https://api.acme.example/v1/devices"
	type: GET
	connection: "acme_devices"
];
info response;
`
	if got.Code != want {
		t.Errorf("deluge code =\n%s\nwant\n%s", got.Code, want)
	}
	if got.Label != "Deluge" {
		t.Errorf("label = %q, want Deluge", got.Label)
	}
}

func TestDelugeEscapesURL(t *testing.T) {
	got, err := Generate(Deluge, hostile)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(got.Code, "\n"), "\n")
	if len(lines) != 8 {
		t.Fatalf("deluge code has %d lines, want 8:\n%s", len(lines), got.Code)
	}
	if !strings.HasPrefix(lines[0], "// ") {
		t.Errorf("first line %q is not a comment", lines[0])
	}
	want := `	url: "https://api.example/a\"b'c\\d${e}` + "`f`" + `</script>\ng"`
	if lines[3] != want {
		t.Errorf("url line = %q, want %q", lines[3], want)
	}
}

func TestJSONIsInvokeBody(t *testing.T) {
	for _, c := range []Connection{acme, hostile} {
		got, err := Generate(JSON, c)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]string
		if err := json.Unmarshal([]byte(got.Code), &body); err != nil {
			t.Fatalf("json code does not parse: %v\n%s", err, got.Code)
		}
		want := map[string]string{"url": c.URL, "method": "GET", "connection": c.LinkName}
		for k, v := range want {
			if body[k] != v {
				t.Errorf("%s = %q, want %q", k, body[k], v)
			}
		}
		if strings.Contains(got.Code, "</script>") {
			t.Errorf("json code contains </script>:\n%s", got.Code)
		}
	}
}

func TestProxyURL(t *testing.T) {
	if got, want := acme.ProxyURL(), "http://127.0.0.1:8080/v1/connections/acme_devices/proxy/devices"; got != want {
		t.Errorf("ProxyURL() = %q, want %q", got, want)
	}
	base := acme
	base.Path = ""
	if got, want := base.ProxyURL(), "http://127.0.0.1:8080/v1/connections/acme_devices/proxy/"; got != want {
		t.Errorf("ProxyURL() without a path = %q, want %q", got, want)
	}
}

func TestGenerateUnknownLanguage(t *testing.T) {
	_, err := Generate("cobol", acme)
	var unknown *UnknownLanguageError
	if !errors.As(err, &unknown) {
		t.Fatalf("Generate(cobol) error = %v, want *UnknownLanguageError", err)
	}
	if unknown.Lang != "cobol" {
		t.Errorf("Lang = %q, want cobol", unknown.Lang)
	}
	if !strings.Contains(err.Error(), "deluge, json, curl, go, python, javascript") {
		t.Errorf("error %q does not list the languages", err)
	}
}

func TestAllLanguagesInOrder(t *testing.T) {
	var got []string
	for _, s := range All(acme) {
		got = append(got, s.Lang)
		if s.Code == "" || s.Label == "" {
			t.Errorf("%s: code or label is empty", s.Lang)
		}
	}
	if want := Languages(); !slices.Equal(got, want) {
		t.Errorf("languages = %v, want %v", got, want)
	}
}

// TestCommentsStayOneLine checks that names cannot add lines: each snippet
// of the hostile connection has as many lines as the plain one.
func TestCommentsStayOneLine(t *testing.T) {
	for _, lang := range Languages() {
		plain, _ := Generate(lang, acme)
		bad, _ := Generate(lang, hostile)
		if got, want := strings.Count(bad.Code, "\n"), strings.Count(plain.Code, "\n"); got != want {
			t.Errorf("%s: hostile snippet has %d lines, want %d:\n%s", lang, got, want, bad.Code)
		}
		if strings.ContainsAny(bad.Code, "\r\u2028\u2029") {
			t.Errorf("%s: snippet contains a carriage return or line separator", lang)
		}
	}
}

func TestNoSecretPlaceholders(t *testing.T) {
	for _, s := range All(acme) {
		if strings.Contains(strings.ToLower(s.Code), "secret") {
			t.Errorf("%s snippet mentions a secret:\n%s", s.Lang, s.Code)
		}
	}
	for _, lang := range []string{Curl, Go, Python, JavaScript} {
		s, _ := Generate(lang, acme)
		if !strings.Contains(s.Code, "PLUGBOARD_TOKEN") {
			t.Errorf("%s snippet does not read PLUGBOARD_TOKEN:\n%s", lang, s.Code)
		}
	}
}

func TestGoParsesAndQuotesURL(t *testing.T) {
	for _, c := range []Connection{acme, hostile} {
		s, _ := Generate(Go, c)
		file, err := parser.ParseFile(token.NewFileSet(), "main.go", s.Code, parser.ParseComments)
		if err != nil {
			t.Fatalf("go code does not parse: %v\n%s", err, s.Code)
		}
		var urls []string
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "NewRequest" || len(call.Args) != 3 {
				return true
			}
			if lit, ok := call.Args[1].(*ast.BasicLit); ok {
				value, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Errorf("unquoting %s: %v", lit.Value, err)
				}
				urls = append(urls, value)
			}
			return true
		})
		if want := []string{c.ProxyURL()}; !slices.Equal(urls, want) {
			t.Errorf("NewRequest URLs = %q, want %q", urls, want)
		}
	}
}

// writeSnippet writes a snippet to a file in a temporary folder.
func writeSnippet(t *testing.T, name, code string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// lookTool returns the path of a program, skipping the test without it.
func lookTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed: %v", name, err)
	}
	return path
}

// runTool runs a program with PLUGBOARD_TOKEN set and returns its output.
func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "PLUGBOARD_TOKEN=tok-123")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// requestJSON is the request a snippet made, as the stubs below print it.
type requestJSON struct {
	URL           string `json:"url"`
	Authorization string `json:"authorization"`
}

func decodeRequest(t *testing.T, out string) requestJSON {
	t.Helper()
	var got requestJSON
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &got); err != nil {
		t.Fatalf("stub output %q is not JSON: %v", out, err)
	}
	return got
}

// Stubs that replace the HTTP call of a snippet, print the request as
// JSON and exit. Each takes the snippet's path as its first argument.
const (
	pythonStub = `import json, runpy, sys, urllib.request
def urlopen(request):
    print(json.dumps({"url": request.full_url, "authorization": request.get_header("Authorization")}))
    sys.exit(0)
urllib.request.urlopen = urlopen
runpy.run_path(sys.argv[1])
`
	javaScriptStub = `globalThis.fetch = async (url, options) => {
  console.log(JSON.stringify({url, authorization: options.headers.Authorization}));
  process.exit(0);
};
require(process.argv[1]);
`
)

// TestSnippetsSendURL runs the Python and JavaScript snippets with their
// HTTP call replaced by a stub, and checks the URL and token they send.
func TestSnippetsSendURL(t *testing.T) {
	tests := []struct {
		lang, tool, flag, stub, file string
	}{
		{Python, "python3", "-c", pythonStub, "sample.py"},
		{JavaScript, "node", "-e", javaScriptStub, "sample.js"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			tool := lookTool(t, tt.tool)
			for _, c := range []Connection{acme, hostile} {
				s, _ := Generate(tt.lang, c)
				got := decodeRequest(t, runTool(t, tool, tt.flag, tt.stub, writeSnippet(t, tt.file, s.Code)))
				if got.URL != c.ProxyURL() {
					t.Errorf("URL = %q, want %q", got.URL, c.ProxyURL())
				}
				if got.Authorization != "Bearer tok-123" {
					t.Errorf("Authorization = %q, want Bearer tok-123", got.Authorization)
				}
			}
		})
	}
}

func TestJavaScriptHasNoScriptEnd(t *testing.T) {
	s, _ := Generate(JavaScript, hostile)
	if strings.Contains(s.Code, "</script") {
		t.Errorf("javascript code contains </script:\n%s", s.Code)
	}
}

// TestCurlArguments runs the curl snippet in bash with curl replaced by a
// function that prints its arguments, one a line.
func TestCurlArguments(t *testing.T) {
	bash := lookTool(t, "bash")
	for _, c := range []Connection{acme, hostile} {
		s, _ := Generate(Curl, c)
		dir := t.TempDir()
		script := "cd " + shellQuote(dir) + "\ncurl() { for a in \"$@\"; do printf '%s\\0' \"$a\"; done; }\n" + s.Code
		out := runTool(t, bash, "-c", script)
		got := strings.Split(strings.TrimSuffix(out, "\x00"), "\x00")
		want := []string{"-sS", c.ProxyURL(), "-H", "Authorization: Bearer tok-123"}
		if !slices.Equal(got, want) {
			t.Errorf("curl arguments = %q, want %q", got, want)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("the curl snippet ran a command substitution: %d files created", len(entries))
		}
	}
}
