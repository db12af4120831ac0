package web

import (
	"net/http"
	"slices"
	"strings"
)

// contentSecurityPolicy allows only this origin's scripts, styles, images
// and form targets, and no framing. Pages whose forms lead to a provider's
// consent screen add that provider's origin to form-action; see
// allowFormTarget.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.secureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// allowFormTarget adds origins to the page's form-action directive.
//
// Chromium applies form-action to every redirect that follows a form
// submission, so a Connect form whose response is a 303 redirect to the
// provider's authorization URL is blocked under form-action 'self'. A page whose
// forms start an authorization therefore lists the origins of the
// service's authorization endpoints (one per region). Only those origins
// are added, so the page still cannot post to any other site, and the
// flow needs neither JavaScript nor an extra click.
func allowFormTarget(w http.ResponseWriter, origins ...string) {
	var extra []string
	for _, o := range origins {
		if o != "" && !slices.Contains(extra, o) {
			extra = append(extra, o)
		}
	}
	if len(extra) == 0 {
		return
	}
	policy := strings.Replace(contentSecurityPolicy, "form-action 'self'", "form-action 'self' "+strings.Join(extra, " "), 1)
	w.Header().Set("Content-Security-Policy", policy)
}
