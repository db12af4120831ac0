package api

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// openAPISpec is the part of an OpenAPI 3.1 document that these tests read.
type openAPISpec struct {
	OpenAPI string `json:"openapi"`
	Info    struct {
		Title   string `json:"title"`
		Version string `json:"version"`
	} `json:"info"`
	Security   []map[string][]string                 `json:"security"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Type   string `json:"type"`
			Scheme string `json:"scheme"`
		} `json:"securitySchemes"`
		Parameters map[string]openAPIParameter `json:"parameters"`
		Responses  map[string]openAPIResponse  `json:"responses"`
		Schemas    struct {
			Problem struct {
				Properties struct {
					Code struct {
						Description string `json:"description"`
					} `json:"code"`
				} `json:"properties"`
			} `json:"Problem"`
		} `json:"schemas"`
	} `json:"components"`
}

type openAPIOperation struct {
	OperationID string                     `json:"operationId"`
	Summary     string                     `json:"summary"`
	Security    *[]map[string][]string     `json:"security"`
	Parameters  []openAPIParameter         `json:"parameters"`
	Responses   map[string]openAPIResponse `json:"responses"`
}

type openAPIParameter struct {
	Ref      string `json:"$ref"`
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
}

type openAPIResponse struct {
	Ref         string                     `json:"$ref"`
	Description string                     `json:"description"`
	Content     map[string]json.RawMessage `json:"content"`
}

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// anyMethodOperations are the operations that the document lists for a route
// without a method, which http.ServeMux matches for every method.
var anyMethodOperations = []string{"get", "post", "put", "patch", "delete"}

// wildcardSegment matches a ServeMux wildcard that takes the rest of the
// path, such as {path...}, which OpenAPI writes as {path}.
var wildcardSegment = regexp.MustCompile(`\{(\w+)\.\.\.\}`)

var pathTemplate = regexp.MustCompile(`\{(\w+)\}`)

// operationKey returns the key of one operation, such as
// "get /v1/services/{key}".
func operationKey(method, path string) string {
	return strings.ToLower(method) + " " + path
}

func loadOpenAPI(t *testing.T) openAPISpec {
	t.Helper()
	var spec openAPISpec
	if err := json.Unmarshal(openAPIDocument, &spec); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	return spec
}

// operations returns the document's operations by key, each with the
// parameters of its path item added to its own.
func (s openAPISpec) operations(t *testing.T) map[string]openAPIOperation {
	t.Helper()
	ops := map[string]openAPIOperation{}
	for path, item := range s.Paths {
		var shared []openAPIParameter
		if raw, ok := item["parameters"]; ok {
			if err := json.Unmarshal(raw, &shared); err != nil {
				t.Fatalf("parameters of path %s do not parse: %v", path, err)
			}
		}
		for key, raw := range item {
			if !slices.Contains(openAPIMethods, key) {
				continue
			}
			var op openAPIOperation
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("operation %s does not parse: %v", operationKey(key, path), err)
			}
			op.Parameters = append(slices.Clone(shared), op.Parameters...)
			ops[operationKey(key, path)] = op
		}
	}
	return ops
}

// parameter resolves a reference to components.parameters.
func (s openAPISpec) parameter(p openAPIParameter) (openAPIParameter, error) {
	if p.Ref == "" {
		return p, nil
	}
	name, ok := strings.CutPrefix(p.Ref, "#/components/parameters/")
	if !ok {
		return openAPIParameter{}, fmt.Errorf("parameter reference %q is not under #/components/parameters/", p.Ref)
	}
	resolved, ok := s.Components.Parameters[name]
	if !ok {
		return openAPIParameter{}, fmt.Errorf("parameter %q is not defined", p.Ref)
	}
	return resolved, nil
}

// response resolves a reference to components.responses.
func (s openAPISpec) response(r openAPIResponse) (openAPIResponse, error) {
	if r.Ref == "" {
		return r, nil
	}
	name, ok := strings.CutPrefix(r.Ref, "#/components/responses/")
	if !ok {
		return openAPIResponse{}, fmt.Errorf("response reference %q is not under #/components/responses/", r.Ref)
	}
	resolved, ok := s.Components.Responses[name]
	if !ok {
		return openAPIResponse{}, fmt.Errorf("response %q is not defined", r.Ref)
	}
	return resolved, nil
}

// routeOperations returns the routes by the key of each operation that
// describes them.
func routeOperations() map[string]Route {
	out := map[string]Route{}
	for _, rt := range New(Options{}).Routes() {
		path := wildcardSegment.ReplaceAllString(rt.Path, "{$1}")
		if rt.Method == "" {
			for _, m := range anyMethodOperations {
				out[operationKey(m, path)] = rt
			}
			continue
		}
		out[operationKey(rt.Method, path)] = rt
	}
	return out
}

func TestOpenAPIDocumentVersion(t *testing.T) {
	if !json.Valid(openAPIDocument) {
		t.Fatal("openapi.json is not valid JSON")
	}
	spec := loadOpenAPI(t)
	if got, want := spec.OpenAPI, "3.1.0"; got != want {
		t.Errorf("openapi = %q, want %q", got, want)
	}
	if spec.Info.Title == "" {
		t.Error("info.title is missing")
	}
	if spec.Info.Version == "" {
		t.Error("info.version is missing")
	}
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	ops := loadOpenAPI(t).operations(t)
	for key, rt := range routeOperations() {
		if _, ok := ops[key]; !ok {
			t.Errorf("route %q has no operation %q in openapi.json", rt.Pattern(), key)
		}
	}
}

func TestOpenAPIHasNoStaleOperations(t *testing.T) {
	routes := routeOperations()
	for key := range loadOpenAPI(t).operations(t) {
		if _, ok := routes[key]; !ok {
			t.Errorf("operation %q in openapi.json has no route in Routes()", key)
		}
	}
}

func TestOpenAPIOperationsComplete(t *testing.T) {
	seen := map[string]string{}
	for key, op := range loadOpenAPI(t).operations(t) {
		if op.OperationID == "" {
			t.Errorf("%s: operationId is missing", key)
		} else if other, ok := seen[op.OperationID]; ok {
			t.Errorf("%s: operationId %q is also used by %s", key, op.OperationID, other)
		}
		seen[op.OperationID] = key
		if op.Summary == "" {
			t.Errorf("%s: summary is missing", key)
		}
		if len(op.Responses) == 0 {
			t.Errorf("%s: has no responses", key)
		}
	}
}

func TestOpenAPISecurity(t *testing.T) {
	spec := loadOpenAPI(t)
	scheme, ok := spec.Components.SecuritySchemes["apiToken"]
	if !ok {
		t.Fatal("security scheme apiToken is missing")
	}
	if scheme.Type != "http" || scheme.Scheme != "bearer" {
		t.Errorf("apiToken is type %q scheme %q, want http bearer", scheme.Type, scheme.Scheme)
	}
	if want := []map[string][]string{{"apiToken": {}}}; !reflect.DeepEqual(spec.Security, want) {
		t.Errorf("security = %v, want %v", spec.Security, want)
	}

	ops := spec.operations(t)
	for key, rt := range routeOperations() {
		op, ok := ops[key]
		if !ok {
			continue // reported by TestOpenAPIDescribesEveryRoute
		}
		public := op.Security != nil && len(*op.Security) == 0
		if public != rt.Public {
			t.Errorf("%s: openapi.json marks it public = %t, but the route has Public = %t", key, public, rt.Public)
		}
	}
}

func TestOpenAPIPathParameters(t *testing.T) {
	spec := loadOpenAPI(t)
	for key, op := range spec.operations(t) {
		_, path, _ := strings.Cut(key, " ")
		var want []string
		for _, m := range pathTemplate.FindAllStringSubmatch(path, -1) {
			want = append(want, m[1])
		}
		var got []string
		for _, p := range op.Parameters {
			p, err := spec.parameter(p)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			if p.In != "path" {
				continue
			}
			if !p.Required {
				t.Errorf("%s: path parameter %q is not required", key, p.Name)
			}
			got = append(got, p.Name)
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: path parameters = %v, want %v", key, got, want)
		}
	}
}

func TestOpenAPIReferencesResolve(t *testing.T) {
	var root any
	if err := json.Unmarshal(openAPIDocument, &root); err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	var walk func(node any, at string)
	walk = func(node any, at string) {
		switch v := node.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if _, err := resolvePointer(root, ref); err != nil {
					t.Errorf("%s: %v", at, err)
				}
			}
			for k, child := range v {
				walk(child, at+"/"+k)
			}
		case []any:
			for i, child := range v {
				walk(child, at+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(root, "#")
}

// resolvePointer returns the node that a local reference such as
// "#/components/schemas/Problem" points to (RFC 6901).
func resolvePointer(root any, ref string) (any, error) {
	pointer, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("reference %q is not local to the document", ref)
	}
	node := root
	for _, token := range strings.Split(pointer, "/") {
		token = strings.NewReplacer("~1", "/", "~0", "~").Replace(token)
		object, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("reference %q: %q is not inside an object", ref, token)
		}
		if node, ok = object[token]; !ok {
			return nil, fmt.Errorf("reference %q: %q is not defined", ref, token)
		}
	}
	return node, nil
}

// documentedCodes returns the problem codes listed in the description of
// the Problem schema's code member, in lines such as
// "- `connection_connected` (409): ...", with their statuses.
func documentedCodes(t *testing.T, spec openAPISpec) map[string]int {
	t.Helper()
	line := regexp.MustCompile("(?m)^- `([a-z_]+)` \\((\\d{3})\\): ")
	codes := map[string]int{}
	for _, m := range line.FindAllStringSubmatch(spec.Components.Schemas.Problem.Properties.Code.Description, -1) {
		status, _ := strconv.Atoi(m[2])
		if _, ok := codes[m[1]]; ok {
			t.Errorf("problem code %q is listed twice", m[1])
		}
		codes[m[1]] = status
	}
	if len(codes) == 0 {
		t.Fatal("the Problem schema's code description lists no codes")
	}
	return codes
}

// problemSources are the packages whose problem codes reach API clients.
var problemSources = []string{".", "../connections", "../members", "../audit", "../webhooks", "../functions"}

// usedCode is a problem code that the source creates, with its status.
type usedCode struct {
	code   string
	status int
	at     string
}

// usedProblemCodes parses the non-test Go files of problemSources and
// returns every problem.Error that they create with a literal code.
func usedProblemCodes(t *testing.T) []usedCode {
	t.Helper()
	// The statuses of the shorthands of package problem.
	shorthands := map[string]int{
		"BadRequest": http.StatusBadRequest,
		"Forbidden":  http.StatusForbidden,
		"NotFound":   http.StatusNotFound,
		"Conflict":   http.StatusConflict,
		"Invalid":    http.StatusUnprocessableEntity,
	}
	fset := token.NewFileSet()
	var used []usedCode
	add := func(node ast.Node, statusExpr, codeExpr ast.Expr, status int) {
		at := fset.Position(node.Pos()).String()
		code, ok := stringLiteral(codeExpr)
		if !ok {
			t.Errorf("%s: the problem code is not a string literal, so this test cannot check it", at)
			return
		}
		if statusExpr != nil {
			if status, ok = statusValue(statusExpr); !ok {
				t.Errorf("%s: the status of problem %q is neither an integer nor an http.Status constant that statusValue evaluates", at, code)
				return
			}
		}
		used = append(used, usedCode{code: code, status: status, at: at})
	}

	for _, dir := range problemSources {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatalf("parsing %s: %v", name, err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					fn, ok := problemSelector(n.Fun)
					if !ok {
						return true
					}
					switch {
					case fn == "New" && len(n.Args) >= 2:
						add(n, n.Args[0], n.Args[1], 0)
					case fn == "Wrap" && len(n.Args) >= 3:
						add(n, n.Args[1], n.Args[2], 0)
					case shorthands[fn] != 0 && len(n.Args) >= 1:
						add(n, nil, n.Args[0], shorthands[fn])
					}
				case *ast.CompositeLit:
					if name, ok := problemSelector(n.Type); !ok || name != "Error" {
						return true
					}
					var statusExpr, codeExpr ast.Expr
					for _, elt := range n.Elts {
						kv, ok := elt.(*ast.KeyValueExpr)
						if !ok {
							continue
						}
						switch key, _ := kv.Key.(*ast.Ident); {
						case key == nil:
						case key.Name == "Status":
							statusExpr = kv.Value
						case key.Name == "Code":
							codeExpr = kv.Value
						}
					}
					if statusExpr == nil || codeExpr == nil {
						t.Errorf("%s: problem.Error literal is missing Status or Code", fset.Position(n.Pos()))
						return true
					}
					add(n, statusExpr, codeExpr, 0)
				}
				return true
			})
		}
	}
	if len(used) == 0 {
		t.Fatalf("found no problem codes in %v", problemSources)
	}
	return used
}

// problemSelector returns the name X of an expression problem.X.
func problemSelector(e ast.Expr) (string, bool) {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return "", false
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok || pkg.Name != "problem" {
		return "", false
	}
	return sel.Sel.Name, true
}

func stringLiteral(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// statusValue evaluates an integer literal or an http.StatusX constant. It
// finds a constant by its name, "Status" followed by the status text without
// spaces, hyphens or apostrophes, so it misses the few constants named
// otherwise, such as http.StatusNonAuthoritativeInfo.
func statusValue(e ast.Expr) (int, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		n, err := strconv.Atoi(e.Value)
		return n, e.Kind == token.INT && err == nil
	case *ast.SelectorExpr:
		pkg, ok := e.X.(*ast.Ident)
		if !ok || pkg.Name != "http" {
			return 0, false
		}
		strip := strings.NewReplacer(" ", "", "-", "", "'", "")
		for status := 100; status < 600; status++ {
			if text := http.StatusText(status); text != "" && "Status"+strip.Replace(text) == e.Sel.Name {
				return status, true
			}
		}
	}
	return 0, false
}

func TestOpenAPIListsEveryProblemCode(t *testing.T) {
	documented := documentedCodes(t, loadOpenAPI(t))
	used := usedProblemCodes(t)

	for _, u := range used {
		status, ok := documented[u.code]
		if !ok {
			t.Errorf("%s: problem code %q is not listed in the Problem schema of openapi.json", u.at, u.code)
			continue
		}
		if status != u.status {
			t.Errorf("%s: problem code %q has status %d, but openapi.json lists %d", u.at, u.code, u.status, status)
		}
	}
	for code := range documented {
		if !slices.ContainsFunc(used, func(u usedCode) bool { return u.code == code }) {
			t.Errorf("problem code %q is listed in openapi.json but created nowhere in %v", code, problemSources)
		}
	}
}

func TestOpenAPIProblemResponsesNameCodes(t *testing.T) {
	spec := loadOpenAPI(t)
	documented := documentedCodes(t, spec)
	quoted := regexp.MustCompile("`([^`]+)`")

	for key, op := range spec.operations(t) {
		for statusText, r := range op.Responses {
			r, err := spec.response(r)
			if err != nil {
				t.Errorf("%s %s: %v", key, statusText, err)
				continue
			}
			if _, ok := r.Content["application/problem+json"]; !ok {
				continue
			}
			status, err := strconv.Atoi(statusText)
			if err != nil {
				t.Errorf("%s: problem response %q has no numeric status", key, statusText)
				continue
			}
			codes := quoted.FindAllStringSubmatch(r.Description, -1)
			if len(codes) == 0 {
				t.Errorf("%s %d: description %q names no problem code", key, status, r.Description)
			}
			for _, m := range codes {
				want, ok := documented[m[1]]
				switch {
				case !ok:
					t.Errorf("%s %d: code %q is not listed in the Problem schema", key, status, m[1])
				case want != status:
					t.Errorf("%s %d: code %q has status %d in the Problem schema", key, status, m[1], want)
				}
			}
		}
	}
}
