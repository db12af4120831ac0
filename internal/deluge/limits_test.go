package deluge

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// slowInvoker waits until its context ends.
type slowInvoker struct{}

func (slowInvoker) Invoke(ctx context.Context, req InvokeRequest) (InvokeResponse, error) {
	<-ctx.Done()
	return InvokeResponse{}, ctx.Err()
}

func TestLimits(t *testing.T) {
	endless := `l = {1};
for each x in l { l.add(x); }
n = 0;
for each i in {1,2,3,4,5,6,7,8,9,10} {
	for each j in {1,2,3,4,5,6,7,8,9,10} {
		for each k in {1,2,3,4,5,6,7,8,9,10} {
			n = n + 1;
		}
	}
}`
	tests := []struct {
		name string
		src  string
		env  Env
		want string
	}{
		{"steps", endless, Env{Limits: Limits{MaxSteps: 500}},
			"run exceeded the step limit of 500 steps"},
		{"memory", `s = "0123456789";
for each i in {1,2,3,4,5,6,7,8,9,10,11,12} { s = s + s; }`, Env{Limits: Limits{MaxMemory: 4096}},
			"run exceeded the memory limit of 4096 bytes"},
		{"memory of lists", `l = List();
for each i in {1,2,3,4,5,6,7,8,9,10} { l.add(i); }`, Env{Limits: Limits{MaxMemory: 100}},
			"run exceeded the memory limit of 100 bytes"},
		{"calls", `for each i in {1,2,3} { r = invokeurl [ url: "https://a.example" ]; }`,
			Env{Invoker: &recordingInvoker{response: jsonResponse(`{}`)}, Limits: Limits{MaxCalls: 2}},
			"run exceeded the call limit of 2 invokeurl calls"},
		{"response size", `r = invokeurl [ url: "https://a.example" ];`,
			Env{Invoker: &recordingInvoker{response: jsonResponse(`"` + strings.Repeat("x", 100) + `"`)}, Limits: Limits{MaxResponseBytes: 64}},
			"invokeurl response exceeded the response limit of 64 bytes"},
		{"steps of comparisons", `s = "0123456789";
for each i in {1,2,3,4,5,6,7,8,9,10} { s = s + s; }
big = s.toList("");
copy = List(big);
for each i in {1,2,3,4,5,6,7,8,9,10} { same = big == copy; }`, Env{Limits: Limits{MaxSteps: 1000}},
			"run exceeded the step limit of 1000 steps"},
		{"steps of nesting checks", `s = "0123456789";
for each i in {1,2,3,4,5,6,7,8,9,10} { s = s + s; }
big = s.toList("");
outer = List();
for each i in {1,2,3,4,5,6,7,8,9,10} { outer.add(big); }`, Env{Limits: Limits{MaxSteps: 1000}},
			"run exceeded the step limit of 1000 steps"},
		{"timeout", `r = invokeurl [ url: "https://a.example" ];`,
			Env{Invoker: slowInvoker{}, Limits: Limits{Timeout: 50 * time.Millisecond}},
			"run exceeded the time limit of 50ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rerr := runError(t, tt.src, tt.env)
			if rerr.Message != tt.want {
				t.Errorf("error = %q, want %q", rerr.Message, tt.want)
			}
			if rerr.Line == 0 || rerr.Column == 0 {
				t.Errorf("error position = %d:%d, want a place in the script", rerr.Line, rerr.Column)
			}
		})
	}
}

func TestLimitsDefaults(t *testing.T) {
	got := Limits{}.withDefaults()
	want := Limits{Timeout: 40 * time.Second, MaxSteps: 200_000, MaxMemory: 16 << 20, MaxCalls: 50, MaxResponseBytes: 5 << 20}
	if got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
}

func TestStepsCounted(t *testing.T) {
	result := mustRun(t, `a = 1; b = a.toString(); info b;`, Env{})
	if result.Steps != 4 {
		t.Errorf("Steps = %d, want 4 (three statements and one method call)", result.Steps)
	}
}

func TestRunCanceled(t *testing.T) {
	p, err := Parse(`r = invokeurl [ url: "https://a.example" ];`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Run(ctx, p, Env{Invoker: slowInvoker{}})
	var rerr *RuntimeError
	if !errors.As(err, &rerr) || rerr.Message != "run canceled" {
		t.Errorf("error = %v, want run canceled", err)
	}
}
