package deluge

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestEvaluatorSemantics(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // JSON of the returned value
	}{
		{"integer division truncates", `return 9 / 4;`, `2`},
		{"negative division truncates toward zero", `return -9 / 4;`, `-2`},
		{"decimal division", `return 9 / 4.0;`, `2.25`},
		{"decimal modulo", `return 7.5 % 2;`, `1.5`},
		{"precedence", `return 1 + 2 * 3 - 4 / 2;`, `5`},
		{"unary minus", `return -(2 + 3) * -1;`, `5`},
		{"concatenation left to right", `return 1 + 2 + "x";`, `"3x"`},
		{"concatenation after text", `return "x" + 1 + 2;`, `"x12"`},
		{"map in concatenation", `return "m=" + {"a": [1]};`, `"m={\"a\":[1]}"`},
		{"decimal text keeps a point", `return "" + 2.0;`, `"2.0"`},
		{"short circuit and", `return false && missing;`, `false`},
		{"short circuit or", `return true || missing;`, `true`},
		{"number equality across types", `return 2 == 2.0;`, `true`},
		{"list literal in brackets", `return [1, [2, 3]];`, `[1,[2,3]]`},
		{"list literal in braces", `return {"a", "b"};`, `["a","b"]`},
		{"empty braces are a map", `return {}.size();`, `0`},
		{"number keys become text", `m = Map(); m.put(1, "x"); return m.get("1");`, `"x"`},
		{"lists are shared", `a = List(); b = a; b.add(1); return a.size();`, `1`},
		{"List copies", `a = {1}; b = List(a); b.add(2); return a.size();`, `1`},
		{"loop over snapshot", `l = {1, 2}; for each x in l { l.add(x); } return l.size();`, `4`},
		{"return inside loop", `for each x in {1, 2, 3} { if (x == 2) { return x; } } return 0;`, `2`},
		{"bare return", `return;`, `null`},
		{"no return", `a = 1;`, `null`},
		{"replaceFirst", `return "aaa".replaceFirst("a", "b");`, `"baa"`},
		{"regex groups", `return "2024-01-31".replaceAll("(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1");`, `"31/01/2024"`},
		{"substring in characters", `return "héllo".subString(1, 3);`, `"él"`},
		{"length in characters", `return "héllo".length();`, `5`},
		{"toList of empty text", `return "".toList().size();`, `0`},
		{"round", `return 2.345.round(2);`, `2.35`},
		{"toNumber of decimal", `return 2.9.toNumber();`, `2`},
		{"ifnull is lazy", `return ifnull("set", missing);`, `"set"`},
		{"map remove missing", `return {"a": 1}.remove("b");`, `null`},
		{"removeElement", `l = {"a", "b", "a"}; l.removeElement("a"); return l;`, `["b","a"]`},
		{"distinct", `return {1, "1", 1.0, null, {"a": 1}, {"a": 1}, null, 2.5, true, true}.distinct();`, `[1,"1",null,{"a":1},2.5,true]`},
		{"map values", `return {"a": 1, "b": 2}.values();`, `[1,2]`},
		{"sort decimals and integers", `return {2, 1.5, -1}.sort();`, `[-1,1.5,2]`},
		{"containValue", `return {"a": [1]}.containValue([1]);`, `true`},
		{"left and right", `return "abcdef".left(2) + "abcdef".right(2);`, `"abef"`},
		{"matches", `return "abc123".matches("[a-z]+\\d+");`, `true`},
		{"comments anywhere", "a = /* inline */ 1; // end\nreturn a;", `1`},
		{"deep nesting", `return ((((((((((1))))))))));`, `1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result := mustRun(t, tt.src, Env{})
			got, err := json.Marshal(result.Value)
			if err != nil {
				t.Fatalf("encoding: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("result = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEvaluatorRuntimeErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"integer overflow", `return 9223372036854775807 + 1;`, "1:28: number out of range"},
		{"modulo by zero", `return 1 % 0;`, "1:10: division by zero"},
		{"and needs booleans", `return 1 && true;`, "1:10: operator && needs BOOLEAN operands, got NUMBER on the left"},
		{"not needs a boolean", `return !"x";`, "1:8: operator ! needs a BOOLEAN, got TEXT"},
		{"compare mixed", `return 1 < "2";`, "1:10: cannot compare NUMBER with TEXT"},
		{"unknown function", `return nope(1);`, "1:8: unknown function nope; available are Map, List, Collection, isNull, ifnull and isEmpty"},
		{"unknown method", `return "x".nope();`, "1:12: TEXT has no method nope"},
		{"wrong arity", `return "x".contains();`, "1:12: contains takes 1 arguments, got 0"},
		{"for each over a map", `for each k in {"a": 1} { }`, "1:15: for each needs a LIST, got KEY-VALUE; use .keys() to loop over a map"},
		{"map into itself", `m = Map(); m.put("self", m);`, "1:14: cannot put a map into itself"},
		{"list into itself", `l = List(); x = {l}; l.add(x);`, "1:24: cannot add a list to itself"},
		{"substring range", `return "abc".subString(2, 9);`, "1:14: subString(2, 9) is out of range for text of length 3"},
		{"toNumber of text", `return "1.5".toNumber();`, "1:14: text \"1.5\" is not a whole NUMBER; use toDecimal for a fraction"},
		{"toMap of a list", `return "[1]".toMap();`, "1:14: toMap needs a JSON object, got LIST"},
		{"invalid JSON", `return "{".toMap();`, "1:12: toMap: invalid JSON: unexpected end of JSON"},
		{"bad regex", `return "a".replaceAll("(", "");`, "1:12: invalid regular expression \"(\": error parsing regexp: missing closing ): `(`; pass true as the third argument to replace plain text"},
		{"sort mixed", `return {1, "a"}.sort();`, "1:17: sort needs a list of only numbers or only text"},
		{"null key", `m = Map(); m.put(null, 1);`, "1:14: map key is null; use text keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rerr := runError(t, tt.src, Env{})
			if got := positionMessage(rerr.Line, rerr.Column, rerr.Message); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRunKeepsLogOnError(t *testing.T) {
	p, err := Parse("info 1;\ninfo 2;\nx = 1 / 0;\ninfo 3;")
	if err != nil {
		t.Fatal(err)
	}
	result, err := Run(context.Background(), p, Env{})
	var rerr *RuntimeError
	if !errors.As(err, &rerr) {
		t.Fatalf("error = %v, want a *RuntimeError", err)
	}
	if strings.Join(result.Log, ",") != "1,2" {
		t.Errorf("log = %q, want [1 2]", result.Log)
	}
	if result.Value != nil {
		t.Errorf("Value = %v, want nil after an error", result.Value)
	}
}

func TestRunArguments(t *testing.T) {
	p, err := Parse(`return n * 2;`)
	if err != nil {
		t.Fatal(err)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(`{"n": 21}`), &args); err != nil {
		t.Fatal(err)
	}
	result, err := Run(context.Background(), p, Env{Arguments: args})
	if err != nil {
		t.Fatal(err)
	}
	if result.Value != int64(42) {
		t.Errorf("result = %#v, want int64(42)", result.Value)
	}

	for _, bad := range []map[string]any{{"a-b": 1}, {"if": 1}, {"x": struct{}{}}} {
		_, err := Run(context.Background(), p, Env{Arguments: bad})
		var rerr *RuntimeError
		if err == nil || errors.As(err, &rerr) {
			t.Errorf("arguments %v: error = %v, want a plain error", bad, err)
		}
	}
}

func TestResultEncodesMapsInOrder(t *testing.T) {
	result := mustRun(t, `return {"z": 1, "a": {"y": 2, "b": 3}};`, Env{})
	got, err := json.Marshal(map[string]any{"result": result.Value})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"result":{"z":1,"a":{"y":2,"b":3}}}`; string(got) != want {
		t.Errorf("encoded = %s, want %s", got, want)
	}
}
