//go:build !plugboard_testsignin

package main

import (
	"log/slog"

	"github.com/plugboard/plugboard/internal/authz"
	"github.com/plugboard/plugboard/internal/store"
)

// consentHooks returns the hooks of the consent page. This build has no
// web sign-in yet, so the page sends every visitor to /login, and Accept
// and Deny are rejected.
//
// TODO: pass the web UI's session lookup, login URL and CSRF check here
// once the web UI serves /login.
func consentHooks(store.Store, *slog.Logger) authz.Hooks {
	return authz.Hooks{}
}
