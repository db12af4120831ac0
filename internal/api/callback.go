package api

import (
	"html/template"
	"net"
	"net/http"
	"net/url"

	"github.com/plugboard/plugboard/internal/audit"
	"github.com/plugboard/plugboard/internal/connections"
	"github.com/plugboard/plugboard/internal/problem"
)

// callbackPage uses the web UI's stylesheet when the web UI is served; the
// page reads the same without it.
var callbackPage = template.Must(template.New("callback").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>plugboard: {{.Title}}</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><main><section class="narrow card"><h1>{{.Title}}</h1><p id="callback-message">{{.Message}}</p>
<p><a href="/">Back to plugboard</a></p></section></main></body></html>
`))

// oauthCallback completes the authorization code flow. With a return_to
// path the browser goes there, with connected=<link> or error=<code> added;
// otherwise a short page reports the outcome.
func (s *Server) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		r = r.WithContext(audit.WithRemoteAddr(r.Context(), host))
	}
	var browser *connections.Actor
	if s.browser != nil {
		user, err := s.browser(r)
		if err != nil {
			return err
		}
		browser = user
	}
	res, err := s.conns.CompleteAuthorization(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"), q.Get("error_description"), browser)
	if res.ReturnTo != "" {
		target, parseErr := url.Parse(res.ReturnTo)
		if parseErr == nil {
			values := target.Query()
			if err != nil {
				code := "internal_error"
				if p, ok := problem.As(err); ok {
					code = p.Code
				}
				values.Set("error", code)
				s.logger.Warn("authorization failed", "connection", res.LinkName, "err", err)
			} else {
				values.Set("connected", res.LinkName)
			}
			target.RawQuery = values.Encode()
			http.Redirect(w, r, target.String(), http.StatusSeeOther)
			return nil
		}
	}
	if err != nil {
		if p, ok := problem.As(err); ok && r.Header.Get("Accept") != "application/json" {
			s.logger.Warn("authorization failed", "connection", res.LinkName, "code", p.Code, "err", err)
			return writeCallbackPage(w, p.Status, "Connection failed", p.Detail)
		}
		return err
	}
	return writeCallbackPage(w, http.StatusOK, "Connected", "The connection "+res.LinkName+" is connected. You can close this window.")
}

// writeCallbackPage writes the callback page with headers that allow no
// script, form or framing, keep the page out of caches, and keep its URL,
// which carries the code and state, out of Referer headers.
func writeCallbackPage(w http.ResponseWriter, status int, title, message string) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; "+
		"frame-ancestors 'none'; form-action 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	return callbackPage.Execute(w, map[string]string{"Title": title, "Message": message})
}
