package deluge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusCase is one file of testdata: sections start with a line
// "-- name --". Sections: script, arguments (JSON), result (JSON of the
// returned value), log (one line per info), error (a syntax error as
// "line:column: message"), runtime error (the same for a runtime error).
type corpusCase struct {
	name     string
	sections map[string]string
}

func readCorpus(t testing.TB, dir string) []corpusCase {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no corpus files in testdata/%s", dir)
	}
	var cases []corpusCase
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, corpusCase{name: filepath.Base(path), sections: splitSections(string(data))})
	}
	return cases
}

func splitSections(data string) map[string]string {
	sections := map[string]string{}
	current := ""
	for _, line := range strings.SplitAfter(data, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "-- ") && strings.HasSuffix(trimmed, " --") {
			current = strings.TrimSuffix(strings.TrimPrefix(trimmed, "-- "), " --")
			sections[current] = ""
			continue
		}
		sections[current] += line
	}
	return sections
}

func wantLog(section string) []string {
	section = strings.TrimSuffix(section, "\n")
	if section == "" {
		return nil
	}
	return strings.Split(section, "\n")
}

func positionMessage(line, column int, message string) string {
	return fmt.Sprintf("%d:%d: %s", line, column, message)
}

func TestCorpusValid(t *testing.T) {
	for _, c := range readCorpus(t, "valid") {
		t.Run(c.name, func(t *testing.T) {
			p, err := Parse(c.sections["script"])
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var args map[string]any
			if raw := c.sections["arguments"]; raw != "" {
				if err := json.Unmarshal([]byte(raw), &args); err != nil {
					t.Fatalf("arguments: %v", err)
				}
			}
			result, err := Run(context.Background(), p, Env{Arguments: args})
			if want, ok := c.sections["runtime error"]; ok {
				var rerr *RuntimeError
				if !errors.As(err, &rerr) {
					t.Fatalf("Run error = %v, want a *RuntimeError", err)
				}
				if got := positionMessage(rerr.Line, rerr.Column, rerr.Message); got != strings.TrimSpace(want) {
					t.Errorf("runtime error = %q, want %q", got, strings.TrimSpace(want))
				}
			} else {
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				got, err := json.Marshal(result.Value)
				if err != nil {
					t.Fatalf("encoding result: %v", err)
				}
				if want := strings.TrimSpace(c.sections["result"]); string(got) != want {
					t.Errorf("result = %s, want %s", got, want)
				}
			}
			if got, want := result.Log, wantLog(c.sections["log"]); strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("log = %q, want %q", got, want)
			}
		})
	}
}

func TestCorpusInvalid(t *testing.T) {
	for _, c := range readCorpus(t, "invalid") {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.sections["script"])
			var serr *SyntaxError
			if !errors.As(err, &serr) {
				t.Fatalf("Parse error = %v, want a *SyntaxError", err)
			}
			got := positionMessage(serr.Line, serr.Column, serr.Message)
			if want := strings.TrimSpace(c.sections["error"]); got != want {
				t.Errorf("error = %q, want %q", got, want)
			}
		})
	}
}
