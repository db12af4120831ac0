package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/plugboard/plugboard/internal/problem"
)

// errInvalidPublicURL is returned by New for a public URL without a scheme
// and host.
var errInvalidPublicURL = errors.New("want an absolute URL such as https://plugboard.example.com")

// pageError is a failure shown to the member as an error page.
type pageError struct {
	status  int
	message string
}

func (e *pageError) Error() string { return fmt.Sprintf("%d: %s", e.status, e.message) }

func notFound(format string, args ...any) error {
	return &pageError{status: http.StatusNotFound, message: fmt.Sprintf(format, args...)}
}

func forbidden(message string) error {
	return &pageError{status: http.StatusForbidden, message: message}
}

// errorView is the error page's data.
type errorView struct {
	Status  int
	Heading string
	Message string
}

// renderError renders err as an error page. A page error or a problem
// with a client status shows its message; anything else is logged and
// shown as a generic server error.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	view := errorView{Status: http.StatusInternalServerError}
	var pe *pageError
	if errors.As(err, &pe) {
		view.Status, view.Message = pe.status, pe.message
	} else if p, ok := problem.As(err); ok && p.Status < 500 {
		view.Status, view.Message = p.Status, uiMessage(p)
		if p.Err != nil {
			s.logger.Warn("page request rejected", "path", r.URL.Path, "code", p.Code, "err", p.Err)
		}
	} else {
		s.logger.Error("page request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		view.Message = "Something went wrong on the server. The server log has the details."
	}
	view.Heading = http.StatusText(view.Status)
	var sess *session
	if got, sessErr := s.sessionOf(r); sessErr == nil {
		sess = got
	}
	s.render(w, r, view.Status, "error", sess, view)
}
