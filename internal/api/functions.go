package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/plugboard/plugboard/internal/functions"
	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// functionJSON is a function as the API shows it. Viewers get no script,
// because a script may contain a literal key.
type functionJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Language    string    `json:"language"`
	Script      string    `json:"script"`
	Connections []string  `json:"connections"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type functionInput struct {
	Name     *string `json:"name"`
	Language *string `json:"language"`
	Script   *string `json:"script"`
}

type runInput struct {
	Arguments map[string]any `json:"arguments"`
}

type runOutput struct {
	Result     any      `json:"result"`
	Log        []string `json:"log"`
	DurationMS int64    `json:"duration_ms"`
}

func toFunctionJSON(fn functions.Function, c *Caller) functionJSON {
	out := functionJSON{
		ID: fn.ID, Name: fn.Name, Language: fn.Language, Script: fn.Script, Connections: nonNilStrings(fn.Connections),
		CreatedBy: fn.CreatedByName, CreatedAt: fn.CreatedAt, UpdatedAt: fn.UpdatedAt,
	}
	if c.Actor.Role == store.RoleViewer {
		out.Script = hiddenValue
	}
	return out
}

func (in functionInput) domain() functions.Input {
	return functions.Input{Name: in.Name, Language: in.Language, Script: in.Script}
}

func (s *Server) listFunctions(w http.ResponseWriter, r *http.Request, c *Caller) error {
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	fns, err := s.functions.List(r.Context(), c.Actor)
	if err != nil {
		return err
	}
	// Functions come in name order, and the cursor is the name of the last
	// one of the previous page.
	start := 0
	if after != "" {
		start, _ = slices.BinarySearchFunc(fns, after, func(fn functions.Function, name string) int {
			return strings.Compare(fn.Name, name)
		})
		if start < len(fns) && fns[start].Name == after {
			start++
		}
	}
	out := list[functionJSON]{Items: []functionJSON{}}
	for _, fn := range fns[start:] {
		if len(out.Items) == limit {
			out.NextCursor = cursorOf(out.Items[len(out.Items)-1].Name)
			break
		}
		out.Items = append(out.Items, toFunctionJSON(fn, c))
	}
	return writeJSON(w, http.StatusOK, out)
}

func (s *Server) createFunction(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in functionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	fn, err := s.functions.Create(r.Context(), c.Actor, in.domain())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, toFunctionJSON(fn, c))
}

func (s *Server) getFunction(w http.ResponseWriter, r *http.Request, c *Caller) error {
	fn, err := s.functions.Get(r.Context(), c.Actor, r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toFunctionJSON(fn, c))
}

func (s *Server) updateFunction(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in functionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	fn, err := s.functions.Update(r.Context(), c.Actor, r.PathValue("name"), in.domain())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, toFunctionJSON(fn, c))
}

func (s *Server) deleteFunction(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if err := s.functions.Delete(r.Context(), c.Actor, r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// runFunction runs a function as the caller. An empty body runs it without
// arguments.
func (s *Server) runFunction(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in runInput
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	result, err := s.functions.Run(r.Context(), c.Actor, r.PathValue("name"), in.Arguments)
	if err != nil {
		return err
	}
	out := runOutput{Result: result.Value, Log: result.Log, DurationMS: result.Duration.Milliseconds()}

	// The result is encoded once, before the status is written, so a value
	// that cannot be encoded fails as a problem rather than as a
	// half-written response. The encoder is set up as writeJSON sets it up.
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		return problem.Wrap(err, http.StatusInternalServerError, "internal_error", "the function's result cannot be encoded as JSON")
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body.Bytes()); err != nil {
		return fmt.Errorf("writing response: %w", err)
	}
	return nil
}
