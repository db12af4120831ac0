package api

import (
	"reflect"
	"strings"
	"testing"

	"github.com/plugboard/plugboard/internal/authz"
)

// TestRouteScopes checks that every authenticated /v1 route names a scope
// of the authorization server, except /v1/me, which any access token may
// call, and that openapi.json lists the same scope for the operation.
func TestRouteScopes(t *testing.T) {
	spec := loadOpenAPI(t)
	ops := spec.operations(t)
	for key, rt := range routeOperations() {
		if rt.Public {
			if rt.Scope != "" {
				t.Errorf("%s: public route has scope %q", key, rt.Scope)
			}
			continue
		}
		if !strings.HasPrefix(rt.Path, "/v1/") {
			t.Errorf("%s: authenticated route outside /v1", key)
		}
		switch {
		case rt.Path == "/v1/me":
			if rt.Scope != "" {
				t.Errorf("%s: scope = %q, want none", key, rt.Scope)
			}
		case rt.Scope == "":
			t.Errorf("%s: no scope for access tokens", key)
		default:
			if _, ok := authz.LookupScope(rt.Scope); !ok {
				t.Errorf("%s: scope %q is not a scope of the authorization server", key, rt.Scope)
			}
		}

		op, ok := ops[key]
		if !ok {
			continue // reported by TestOpenAPIDescribesEveryRoute
		}
		want := []map[string][]string{{"apiToken": {}}, {"plugboardOAuth": {}}}
		if rt.Scope != "" {
			want[1]["plugboardOAuth"] = []string{rt.Scope}
		}
		if op.Security == nil || !reflect.DeepEqual(*op.Security, want) {
			t.Errorf("%s: openapi.json security = %v, want %v", key, op.Security, want)
		}
	}
}
