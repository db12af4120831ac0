package functions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/deluge"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// RunResult is the outcome of a successful run.
type RunResult struct {
	// Value is the script's return value, JSON-encodable.
	Value    any
	Log      []string
	Duration time.Duration
}

// Run runs a function as actor with the given arguments, which become
// variables of the script. A script that fails returns a function_failed
// problem with the line, column and log of the run. When an invokeurl task
// failed, the problem also carries the call's code as call_error (such as
// authorization_required) and the call's extra members (such as
// connect_url).
func (s *Service) Run(ctx context.Context, actor connections.Actor, name string, args map[string]any) (RunResult, error) {
	if !actor.CanUseCredentials() {
		return RunResult{}, problem.Forbidden("forbidden",
			"role %q may not run functions, because runs use credentials; ask an admin for the developer role", actor.Role)
	}
	fn, err := s.get(ctx, actor, name)
	if err != nil {
		return RunResult{}, err
	}
	program, err := deluge.Parse(fn.Script)
	if err != nil {
		// Stored scripts parsed when they were saved, so this happens only
		// when a newer parser rejects an old script.
		if _, err := parseScript(fn.Script); err != nil {
			return RunResult{}, err
		}
		return RunResult{}, fmt.Errorf("parsing function %q: %w", name, err)
	}

	inv := &invoker{s: s, actor: actor, calls: map[string]*connections.Call{}}
	start := s.now()
	result, err := deluge.Run(ctx, program, deluge.Env{Arguments: args, Invoker: inv, Limits: s.limits})
	duration := s.now().Sub(start)
	if err != nil {
		return RunResult{}, s.failed(ctx, actor, fn, result, duration, err)
	}
	s.logger.Info("function run", "org_id", actor.OrgID, "function", fn.Name, "user_id", actor.UserID,
		"duration", duration, "steps", result.Steps)
	s.record(ctx, actor, fn, ActionRun, map[string]any{
		"status": "succeeded", "duration_ms": duration.Milliseconds(), "connections": fn.Connections,
	})
	return RunResult{Value: result.Value, Log: nonNilLog(result.Log), Duration: duration}, nil
}

// failed turns a run's error into a problem, logs it and records it in the
// audit log.
func (s *Service) failed(ctx context.Context, actor connections.Actor, fn store.Function, result deluge.Result, duration time.Duration, err error) error {
	var runtimeErr *deluge.RuntimeError
	if !errors.As(err, &runtimeErr) {
		// Run rejected the arguments before the script started. Its message
		// names the argument and the fix.
		return problem.Invalid("invalid_arguments", "%s", err.Error())
	}
	p := problem.Invalid("function_failed", "function %q failed at line %d, column %d: %s",
		fn.Name, runtimeErr.Line, runtimeErr.Column, runtimeErr.Message).
		With("line", runtimeErr.Line).With("column", runtimeErr.Column).
		With("log", nonNilLog(result.Log))
	var callErr *CallError
	if errors.As(err, &callErr) {
		p = p.With("call_error", callErr.Code)
		for key, value := range callErr.Extra {
			p = p.With(key, value)
		}
	}
	p.Err = err
	s.logger.Warn("function run failed", "org_id", actor.OrgID, "function", fn.Name, "user_id", actor.UserID,
		"line", runtimeErr.Line, "column", runtimeErr.Column, "err", err)
	s.record(ctx, actor, fn, ActionRun, map[string]any{
		"status": "failed", "duration_ms": duration.Milliseconds(), "connections": fn.Connections,
		"error": runtimeErr.Message, "line": runtimeErr.Line, "column": runtimeErr.Column,
	})
	return p
}

func nonNilLog(log []string) []string {
	if log == nil {
		return []string{}
	}
	return log
}
