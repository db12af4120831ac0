// Package functions keeps an org's functions, scripts in the Deluge
// language of package deluge, and runs them for members. A run calls APIs
// through connections as the member who runs it: a shared connection uses
// that member's own credential, as POST /v1/invoke does.
//
// Only admins and developers create, change and run functions, and viewers
// read them without the script. Only a function's creator or an admin may
// change or delete it, because others run it with their own credentials. A
// function that names a connection in invokeurl is listed among the
// connection's users and keeps the connection from being deleted, as a bound
// webhook does.
package functions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/deluge"
	"github.com/plugboard/plugboard/internal/egress"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// LanguageDeluge is the one script language functions support.
const LanguageDeluge = "deluge"

// Audit actions of functions.
const (
	ActionCreated = "function.created"
	ActionUpdated = "function.updated"
	ActionDeleted = "function.deleted"
	ActionRun     = "function.run"
)

// namePattern is the rule for function names, the same as for link names.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// maxScriptBytes bounds a stored script, 256 KiB.
const maxScriptBytes = 256 << 10

// Options configure a Service.
type Options struct {
	Store       store.Store
	Connections *connections.Manager
	Sender      *egress.Sender
	// Audit receives an entry for every change and run. A nil Audit drops them.
	Audit  connections.AuditRecorder
	Logger *slog.Logger
	Now    func() time.Time
	// Limits bound each run, and zero fields take the deluge package defaults.
	Limits deluge.Limits
}

// Service manages and runs functions.
type Service struct {
	store  store.Store
	conns  *connections.Manager
	sender *egress.Sender
	audit  connections.AuditRecorder
	logger *slog.Logger
	now    func() time.Time
	limits deluge.Limits
}

// New returns a Service.
func New(opts Options) *Service {
	s := &Service{store: opts.Store, conns: opts.Connections, sender: opts.Sender, audit: opts.Audit,
		logger: opts.Logger, now: opts.Now, limits: opts.Limits}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// Input is a function to create, or the changes to one. A nil field is left
// as it is.
type Input struct {
	Name     *string
	Language *string
	Script   *string
}

// Function is a stored function with the creator's username.
type Function struct {
	store.Function
	CreatedByName string
}

func requireManage(actor connections.Actor) error {
	if !actor.CanManage() {
		return problem.Forbidden("forbidden", "role %q may only read functions; ask an admin for the developer role", actor.Role)
	}
	return nil
}

func requireChange(actor connections.Actor, fn store.Function) error {
	if err := requireManage(actor); err != nil {
		return err
	}
	if actor.Role != store.RoleAdmin && actor.UserID != fn.CreatedBy {
		return problem.Forbidden("forbidden",
			"only the creator of function %q or an admin may change it, because other members run it with their own credentials", fn.Name)
	}
	return nil
}

func notFound(name string) error {
	return problem.NotFound("function_not_found", "function %q not found", name)
}

func exists(name string) error {
	return problem.Conflict("function_exists", "function %q already exists; pick another name", name)
}

func validName(name string) error {
	if !namePattern.MatchString(name) {
		return problem.Invalid("invalid_function",
			"name %q is invalid; use 1 to 50 lower-case letters, digits and _, starting with a letter", name)
	}
	return nil
}

func validLanguage(language string) error {
	if language != LanguageDeluge {
		return problem.Invalid("invalid_function", "language %q is not supported; use %q", language, LanguageDeluge)
	}
	return nil
}

// parseScript parses a script and returns the link names it names, or a
// script_invalid problem with the line and column of the syntax error.
func parseScript(script string) ([]string, error) {
	if strings.TrimSpace(script) == "" {
		return nil, problem.Invalid("invalid_function", "script is missing; give the Deluge source of the function")
	}
	if len(script) > maxScriptBytes {
		return nil, problem.Invalid("invalid_function", "script has %d bytes, more than the limit of %d", len(script), maxScriptBytes)
	}
	program, err := deluge.Parse(script)
	var syntaxErr *deluge.SyntaxError
	if errors.As(err, &syntaxErr) {
		return nil, problem.Invalid("script_invalid", "script has a syntax error at line %d, column %d: %s",
			syntaxErr.Line, syntaxErr.Column, syntaxErr.Message).
			With("line", syntaxErr.Line).With("column", syntaxErr.Column)
	}
	if err != nil {
		return nil, fmt.Errorf("parsing script: %w", err)
	}
	return program.Connections(), nil
}

// List returns the org's functions by name.
func (s *Service) List(ctx context.Context, actor connections.Actor) ([]Function, error) {
	fns, err := s.store.ListFunctions(ctx, actor.OrgID, store.ListFunctionsOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing functions: %w", err)
	}
	out := make([]Function, 0, len(fns))
	names := map[string]string{}
	for _, fn := range fns {
		out = append(out, s.withNames(ctx, fn, names))
	}
	return out, nil
}

// withNames adds the creator's username, cached in names by user ID.
func (s *Service) withNames(ctx context.Context, fn store.Function, names map[string]string) Function {
	name, ok := names[fn.CreatedBy]
	if !ok {
		if user, err := s.store.GetUser(ctx, fn.OrgID, fn.CreatedBy); err == nil {
			name = user.Username
		}
		names[fn.CreatedBy] = name
	}
	return Function{Function: fn, CreatedByName: name}
}

// Get returns one function.
func (s *Service) Get(ctx context.Context, actor connections.Actor, name string) (Function, error) {
	fn, err := s.get(ctx, actor, name)
	if err != nil {
		return Function{}, err
	}
	return s.withNames(ctx, fn, map[string]string{}), nil
}

// get reads one function without looking up its creator's username.
func (s *Service) get(ctx context.Context, actor connections.Actor, name string) (store.Function, error) {
	fn, err := s.store.GetFunction(ctx, actor.OrgID, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Function{}, notFound(name)
	}
	if err != nil {
		return store.Function{}, fmt.Errorf("reading function %q: %w", name, err)
	}
	return fn, nil
}

// Create stores a new function after checking its name and parsing its
// script.
func (s *Service) Create(ctx context.Context, actor connections.Actor, in Input) (Function, error) {
	if err := requireManage(actor); err != nil {
		return Function{}, err
	}
	if in.Name == nil {
		return Function{}, problem.Invalid("invalid_function", "name is missing; give a name such as sync_alarms")
	}
	if err := validName(*in.Name); err != nil {
		return Function{}, err
	}
	language := LanguageDeluge
	if in.Language != nil {
		language = *in.Language
	}
	if err := validLanguage(language); err != nil {
		return Function{}, err
	}

	script := ""
	if in.Script != nil {
		script = *in.Script
	}
	conns, err := parseScript(script)
	if err != nil {
		return Function{}, err
	}

	now := s.now()
	fn := store.Function{
		OrgID: actor.OrgID, ID: store.NewSortableID(now), Name: *in.Name, Language: language, Script: script,
		Connections: conns, CreatedBy: actor.UserID, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateFunction(ctx, fn); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return Function{}, exists(fn.Name)
		}
		return Function{}, fmt.Errorf("creating function %q: %w", fn.Name, err)
	}
	s.logger.Info("function created", "org_id", actor.OrgID, "function", fn.Name, "user_id", actor.UserID)
	s.record(ctx, actor, fn, ActionCreated, nil)
	return Function{Function: fn, CreatedByName: actor.Username}, nil
}

// Update changes a function's name, language or script.
func (s *Service) Update(ctx context.Context, actor connections.Actor, name string, in Input) (Function, error) {
	if err := requireManage(actor); err != nil {
		return Function{}, err
	}
	if in.Name != nil {
		if err := validName(*in.Name); err != nil {
			return Function{}, err
		}
	}
	if in.Language != nil {
		if err := validLanguage(*in.Language); err != nil {
			return Function{}, err
		}
	}
	var conns []string
	if in.Script != nil {
		var err error
		if conns, err = parseScript(*in.Script); err != nil {
			return Function{}, err
		}
	}
	var fields []string
	updated, err := s.store.UpdateFunction(ctx, actor.OrgID, name, func(fn *store.Function) error {
		if err := requireChange(actor, *fn); err != nil {
			return err
		}
		if in.Name != nil && *in.Name != fn.Name {
			fn.Name = *in.Name
			fields = append(fields, "name")
		}
		if in.Language != nil {
			fn.Language = *in.Language
		}
		if in.Script != nil {
			fn.Script, fn.Connections = *in.Script, conns
			fields = append(fields, "script")
		}
		fn.UpdatedAt = s.now()
		return nil
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return Function{}, notFound(name)
	case errors.Is(err, store.ErrConflict):
		return Function{}, exists(*in.Name)
	case err != nil:
		return Function{}, err
	}
	s.record(ctx, actor, updated, ActionUpdated, map[string]any{"fields": fields, "previous_name": name})
	return s.withNames(ctx, updated, map[string]string{}), nil
}

// Delete deletes a function.
func (s *Service) Delete(ctx context.Context, actor connections.Actor, name string) error {
	fn, err := s.get(ctx, actor, name)
	if err != nil {
		return err
	}
	if err := requireChange(actor, fn); err != nil {
		return err
	}
	if err := s.store.DeleteFunction(ctx, actor.OrgID, name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound(name)
		}
		return fmt.Errorf("deleting function %q: %w", name, err)
	}
	s.logger.Info("function deleted", "org_id", actor.OrgID, "function", name, "user_id", actor.UserID)
	s.record(ctx, actor, fn, ActionDeleted, nil)
	return nil
}

func (s *Service) record(ctx context.Context, actor connections.Actor, fn store.Function, action string, detail map[string]any) {
	if s.audit == nil {
		return
	}
	if detail == nil {
		detail = map[string]any{}
	}
	// Every entry names the function, which may be renamed or deleted later.
	detail["name"] = fn.Name
	s.audit.Record(context.WithoutCancel(ctx), store.AuditEntry{
		OrgID:      fn.OrgID,
		ActorID:    actor.UserID,
		ActorName:  actor.Username,
		Action:     action,
		TargetType: "function",
		TargetID:   fn.ID,
		Detail:     detail,
	})
}
