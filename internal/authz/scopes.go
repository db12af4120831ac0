package authz

import "slices"

// ScopeOfflineAccess requests a refresh token, so a client keeps access
// after the access token expires.
const ScopeOfflineAccess = "offline_access"

// Scope is a permission on plugboard's API that a member grants an
// application on the consent page.
type Scope struct {
	Name string
	// Description completes the sentence "<application> wants to ...".
	Description string
}

// Scopes are the scopes the authorization server issues, in the order the
// consent page lists them. The plugboard service in the catalog declares
// the same list, which a test checks.
var Scopes = []Scope{
	{"connections.read", "see your connections, their status and who holds a credential"},
	{"connections.use", "call APIs through your connections (proxy and invoke)"},
	{"connections.write", "create, change, connect, revoke and delete connections"},
	{"credentials.read", "read the access tokens of your connections"},
	{"services.read", "see the service catalog and custom services"},
	{"services.write", "create, change and delete custom services"},
	{"applications.read", "see OAuth applications"},
	{"applications.write", "create, change and delete OAuth applications"},
	{"webhooks.read", "see webhooks and their deliveries"},
	{"webhooks.write", "create, change, test and delete webhooks and send deliveries again"},
	{"events.write", "post events that trigger webhooks"},
	{"functions.read", "see custom functions"},
	{"functions.write", "create, change and delete custom functions"},
	{"functions.run", "run custom functions"},
	{"members.read", "see the members of your organization"},
	{"members.write", "add, change and remove members"},
	{"tokens.read", "see API tokens"},
	{"tokens.write", "create and delete API tokens"},
	{"audit.read", "read the audit log"},
	{ScopeOfflineAccess, "keep this access when you are away, through a refresh token"},
}

// LookupScope returns the scope with the name.
func LookupScope(name string) (Scope, bool) {
	i := slices.IndexFunc(Scopes, func(s Scope) bool { return s.Name == name })
	if i < 0 {
		return Scope{}, false
	}
	return Scopes[i], true
}

// ScopeNames returns the names of every scope.
func ScopeNames() []string {
	names := make([]string, len(Scopes))
	for i, s := range Scopes {
		names[i] = s.Name
	}
	return names
}
