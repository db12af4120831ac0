package connections

import (
	"errors"

	"github.com/plugboard/plugboard/internal/problem"
	"github.com/plugboard/plugboard/internal/store"
)

// ReferenceProblem returns a 409 problem when err is a *store.ReferenceError:
// a write named an application, connection, custom service or user that a
// concurrent request deleted after the write's checks passed. The problem
// names a connection by link, and the actor by username. It returns nil for
// any other error, and for a kind it does not know, which the caller
// reports as an internal error.
func ReferenceProblem(err error, actor Actor, link string) error {
	var ref *store.ReferenceError
	if !errors.As(err, &ref) {
		return nil
	}
	switch ref.Kind {
	case "application":
		return problem.Wrap(err, 409, "application_deleted",
			"application %q was deleted while this request ran; choose another application", ref.ID)
	case "connection":
		name := ref.ID
		if link != "" {
			name = link
		}
		return problem.Wrap(err, 409, "connection_deleted",
			"connection %q was deleted while this request ran; choose another connection", name)
	case "service":
		return problem.Wrap(err, 409, "service_deleted",
			"custom service %q was deleted while this request ran; create the service again or choose another service", ref.ID)
	case "user":
		name := ref.ID
		if ref.ID == actor.UserID && actor.Username != "" {
			name = actor.Username
		}
		return problem.Wrap(err, 409, "user_deleted",
			"user %q was deleted while this request ran; sign in as an existing member", name)
	}
	return nil
}
