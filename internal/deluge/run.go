package deluge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// Defaults of Limits, used where a field is zero.
const (
	// DefaultTimeout bounds a whole run. Zoho's invokeurl gives up on an
	// API that takes more than 40 seconds, and a run here gets that much
	// time in total.
	DefaultTimeout = 40 * time.Second
	// DefaultMaxSteps bounds statements run plus function and method calls.
	DefaultMaxSteps = 200_000
	// DefaultMaxMemory bounds the bytes a run builds, in 16 MiB.
	DefaultMaxMemory = 16 << 20
	// DefaultMaxCalls bounds invokeurl tasks per run.
	DefaultMaxCalls = 50
	// DefaultMaxResponseBytes bounds one response body, 5 MiB, the size
	// Zoho allows invokeurl to download from non-Zoho domains.
	DefaultMaxResponseBytes = 5 << 20
)

// Limits bounds one run. A zero field takes its default.
type Limits struct {
	// Timeout bounds the whole run, invokeurl calls included.
	Timeout time.Duration
	// MaxSteps bounds statements run plus function and method calls. A
	// comparison or nesting check of maps and lists also costs one step
	// per 32 values it visits.
	MaxSteps int
	// MaxMemory bounds the bytes of text, keys and list and map entries
	// (16 bytes each) the run builds. It counts what the run allocates over
	// its life, not what is live at one time, and log lines count too.
	MaxMemory int64
	// MaxCalls bounds the invokeurl tasks a run performs.
	MaxCalls int
	// MaxResponseBytes bounds the body of one invokeurl response.
	MaxResponseBytes int64
}

func (l Limits) withDefaults() Limits {
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxSteps <= 0 {
		l.MaxSteps = DefaultMaxSteps
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = DefaultMaxMemory
	}
	if l.MaxCalls <= 0 {
		l.MaxCalls = DefaultMaxCalls
	}
	if l.MaxResponseBytes <= 0 {
		l.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return l
}

// Invoker performs the HTTP requests of invokeurl tasks. An implementation
// reads at most req.MaxResponseBytes+1 bytes of a body, so the evaluator can
// tell that a body was too large.
type Invoker interface {
	Invoke(ctx context.Context, req InvokeRequest) (InvokeResponse, error)
}

// InvokeRequest is one invokeurl task with its values evaluated. Parameters
// contains a KEY-VALUE given as parameters. Text given as parameters is sent
// as the body, as Zoho does, and arrives in Body. Body contains text or an
// exported map or list. Line and Column locate the task in the script.
type InvokeRequest struct {
	URL              string
	Method           string
	Parameters       map[string]any
	Headers          map[string]string
	Body             any
	ContentType      string
	Connection       string
	Line, Column     int
	MaxResponseBytes int64
}

// InvokeResponse is the upstream API's response.
type InvokeResponse struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Env is the input of a run. Arguments become variables of the script.
type Env struct {
	Arguments map[string]any
	Invoker   Invoker
	Limits    Limits
}

// Result is the outcome of a run. Value is what the script returned,
// JSON-encodable: nil, bool, int64, float64, string, *Map or []any.
type Result struct {
	Value any
	Log   []string
	Steps int
}

var variableName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Run runs a program. A failure in the script returns a *RuntimeError, with
// the log up to the failure in Result. Invalid arguments return a plain
// error.
func Run(ctx context.Context, p *Program, env Env) (Result, error) {
	limits := env.Limits.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, limits.Timeout)
	defer cancel()
	in := &interp{ctx: ctx, env: env, limits: limits, vars: map[string]any{}}
	for name, raw := range env.Arguments {
		if !variableName.MatchString(name) || keywords[lower(name)] {
			return Result{}, fmt.Errorf("argument name %q is not a valid variable name; use letters, digits and _ and start with a letter", name)
		}
		v, err := importValue(raw)
		if err != nil {
			return Result{}, fmt.Errorf("argument %q: %w", name, err)
		}
		if err := in.allocate(Position{Line: 1, Column: 1}, sizeOf(v)); err != nil {
			return Result{}, err
		}
		in.vars[name] = v
	}
	_, err := in.execBlock(p.Statements)
	result := Result{Value: export(in.returned), Log: in.log, Steps: in.steps}
	if err != nil {
		var rerr *RuntimeError
		if !errors.As(err, &rerr) {
			err = &RuntimeError{Line: 1, Column: 1, Message: err.Error()}
		}
		result.Value = nil
		return result, err
	}
	return result, nil
}
