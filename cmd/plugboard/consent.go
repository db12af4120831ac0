package main

import (
	"net/http"
	"net/url"

	"github.com/plugboard/plugboard/internal/authz"
	"github.com/plugboard/plugboard/internal/web"
)

// consentHooks returns the hooks of the authorization server's consent
// page: the member signed in to the web UI consents, and the page's form
// carries the web session's CSRF token.
func consentHooks(ui *web.Server) authz.Hooks {
	return authz.Hooks{
		SignedIn:   ui.SignedIn,
		LoginURL:   func(returnTo string) string { return "/login?next=" + url.QueryEscape(returnTo) },
		CSRFToken:  func(_ http.ResponseWriter, r *http.Request) string { return ui.CSRFToken(r) },
		CheckCSRF:  ui.CheckCSRF,
		Stylesheet: web.StylesheetPath,
	}
}
