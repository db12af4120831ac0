package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/plugboard/plugboard/internal/problem"
)

// problemDocument is an RFC 9457 problem details object with plugboard's
// stable code member.
type problemDocument struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
}

// adapt turns a handlerFunc into an http.Handler that writes returned errors
// as problems. A *problem.Error shows its code and detail and logs its cause;
// any other error is a 500 with a generic detail, logged in full.
func (s *Server) adapt(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeProblem(w, r, err)
		}
	})
}

func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p, ok := problem.As(err)
	if !ok {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		p = problem.New(http.StatusInternalServerError, "internal_error",
			"an internal error occurred; the server log has the details")
	} else if p.Status >= 500 {
		s.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "code", p.Code, "err", err)
	} else if p.Err != nil {
		s.logger.Warn("request rejected", "method", r.Method, "path", r.URL.Path, "code", p.Code, "err", p.Err)
	}

	doc := map[string]any{}
	for k, v := range p.Extra {
		doc[k] = v
	}
	base, _ := json.Marshal(problemDocument{
		Type:   "https://plugboard.dev/problems/" + p.Code,
		Title:  http.StatusText(p.Status),
		Status: p.Status,
		Code:   p.Code,
		Detail: p.Detail,
	})
	_ = json.Unmarshal(base, &doc)

	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(doc)
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logger.Error("handler panicked", "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.writeProblem(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// routeMethods are the methods tried when a request matches no route, to
// tell a wrong method from an unknown path.
var routeMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// unmatchedRoute returns 405 with an Allow header when the path has routes
// for other methods, and 404 otherwise. The catch-all route "/" matches
// every request that no other pattern matches, so mux itself never sends
// its plain-text 405.
func unmatchedRoute(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) error {
	var allowed []string
	for _, method := range routeMethods {
		probe := r.Clone(r.Context())
		probe.Method = method
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, method)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return problem.New(http.StatusMethodNotAllowed, "method_not_allowed",
			"%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allowed, ", "))
	}
	return problem.NotFound("route_not_found", "no route for %s %s; see /v1/openapi.json", r.Method, r.URL.Path)
}
