package web

import (
	"testing"

	"github.com/plugboard/plugboard/internal/problem"
)

func TestUIMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *problem.Error
		want string
	}{
		{
			name: "unknown connection",
			err:  problem.NotFound("connection_not_found", "connection %q not found; list connections with GET /v1/connections", "acme"),
			want: `Connection "acme" not found. It may have been deleted. The Connections page lists the connections you can see.`,
		},
		{
			name: "not connected with a full URL",
			err: problem.Conflict("connection_not_connected", "connection %q is not connected; connect it with POST %s",
				"acme", "https://plugboard.example/v1/connections/acme/connect"),
			want: `Connection "acme" is not connected. Connect it on the connection's page.`,
		},
		{
			name: "route in brackets",
			err: problem.BadRequest("state_expired",
				"this authorization expired after 10m0s; start again by connecting the connection (POST /v1/connections/<link name>/connect)"),
			want: "This authorization expired after 10m0s; start again by connecting again.",
		},
		{
			name: "field names",
			err: problem.Conflict("connection_connected",
				"connection %q is connected; revoke it before changing scopes, application or use_login_user_credentials", "acme"),
			want: `Connection "acme" is connected; revoke it before changing scopes, application or “Use credentials of login user”.`,
		},
		{
			name: "url field at the start only",
			err:  problem.Invalid("invalid_webhook", "url %q has no host; give an absolute https URL", "https:///url"),
			want: `URL "https:///url" has no host; give an absolute https URL.`,
		},
		{
			name: "no application chosen",
			err: problem.Invalid("application_required",
				"service %q has %d applications and none is default; name one in \"application\" or mark one default", "github", 2),
			want: `Service "github" has 2 applications and none is default; choose one above or mark one default.`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uiMessage(tt.err); got != tt.want {
				t.Errorf("uiMessage() = %q\nwant %q", got, tt.want)
			}
		})
	}
}
