package web

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/plugboard/plugboard/internal/catalog"
	"github.com/plugboard/plugboard/internal/problem"
)

// managementRoutes are the pages for services, applications, webhooks,
// members, API tokens and the audit log. Handler adds them to routes.
func (s *Server) managementRoutes() []route {
	return []route{
		{pattern: "GET /services", member: s.servicesPage},
		{pattern: "GET /services/new", member: s.newServicePage},
		{pattern: "POST /services/new", member: s.createService},
		{pattern: "GET /services/{key}", member: s.servicePage},
		{pattern: "GET /services/{key}/edit", member: s.editServicePage},
		{pattern: "POST /services/{key}/edit", member: s.updateService},
		{pattern: "POST /services/{key}/delete", member: s.deleteService},
		{pattern: "POST /services/{key}/applications", member: s.createApplication},
		{pattern: "GET /services/{key}/applications/{id}", member: s.applicationPage},
		{pattern: "POST /services/{key}/applications/{id}", member: s.updateApplication},
		{pattern: "POST /services/{key}/applications/{id}/default", member: s.makeApplicationDefault},
		{pattern: "POST /services/{key}/applications/{id}/delete", member: s.deleteApplication},

		{pattern: "GET /webhooks", member: s.webhooksPage},
		{pattern: "GET /webhooks/new", member: s.newWebhookPage},
		{pattern: "POST /webhooks/new", member: s.createWebhook},
		{pattern: "GET /webhooks/{id}", member: s.webhookPage},
		{pattern: "POST /webhooks/{id}", member: s.updateWebhook},
		{pattern: "POST /webhooks/{id}/test", member: s.testWebhook},
		{pattern: "POST /webhooks/{id}/rotate-secret", member: s.rotateWebhookSecret},
		{pattern: "POST /webhooks/{id}/delete", member: s.deleteWebhook},
		{pattern: "POST /webhooks/{id}/deliveries/{delivery}/redeliver", member: s.redeliver},

		{pattern: "GET /members", member: s.membersPage},
		{pattern: "POST /members", member: s.addMember},
		{pattern: "POST /members/{username}/role", member: s.changeRole},
		{pattern: "POST /members/{username}/password", member: s.resetPassword},
		{pattern: "POST /members/{username}/delete", member: s.removeMember},
		{pattern: "GET /members/tokens", member: s.tokensPage},
		{pattern: "POST /members/tokens", member: s.createToken},
		{pattern: "POST /members/tokens/{id}/delete", member: s.revokeToken},

		{pattern: "GET /audit", member: s.auditPage},
	}
}

// listLimit bounds the rows a management page lists at once.
const listLimit = 500

// dict builds a map from alternating keys and values, so a template can
// pass several values to a shared template such as "input".
func dict(pairs ...any) (map[string]any, error) {
	if len(pairs)%2 != 0 {
		return nil, fmt.Errorf("dict needs pairs of keys and values, got %d arguments", len(pairs))
	}
	m := make(map[string]any, len(pairs)/2)
	for i := 0; i < len(pairs); i += 2 {
		key, ok := pairs[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict key %v is not a string", pairs[i])
		}
		m[key] = pairs[i+1]
	}
	return m, nil
}

// excerpt returns at most n characters of s, with "…" when it was cut.
func excerpt(n int, s string) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// withoutQuery returns a URL without its query, which may carry a key.
func withoutQuery(u string) string {
	path, _, _ := strings.Cut(u, "?")
	return path
}

// authLabel returns an auth type in words, the one label of each auth
// type on every page.
func authLabel(t catalog.AuthType) string {
	switch t {
	case catalog.AuthOAuth2:
		return "OAuth 2.0 authorization code"
	case catalog.AuthOAuth2ClientCredentials:
		return "OAuth 2.0 client credentials"
	case catalog.AuthAPIKey:
		return "API key"
	case catalog.AuthBasic:
		return "Username and password"
	case catalog.AuthNone:
		return "No credential"
	}
	return string(t)
}

// formLines splits a textarea into its trimmed, non-empty lines.
func formLines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// failForm puts a domain error on f: next to the field that fieldOf
// returns for it, or as the form's message. It returns err itself when err
// is no client error, which the caller returns as a server error.
func (s *Server) failForm(r *http.Request, f *form, err error, fieldOf func(p *problem.Error) string) error {
	p, ok := problem.As(err)
	if !ok || p.Status >= 500 {
		return err
	}
	s.logRejected(r, p)
	if field := fieldOf(p); field != "" {
		f.Fail(field, uiMessage(p))
		return nil
	}
	f.Message = uiMessage(p)
	return nil
}

// logRejected logs a form that a domain package rejected, with the
// problem's code. The detail is not logged, because it may quote input.
func (s *Server) logRejected(r *http.Request, p *problem.Error) {
	s.logger.Warn("form rejected", "method", r.Method, "path", r.URL.Path, "code", p.Code, "status", p.Status)
}

// noField puts every problem in the form's message.
func noField(*problem.Error) string { return "" }

// formStatus returns the HTTP status of a page that shows err on a form.
func formStatus(err error) int {
	if p, ok := problem.As(err); ok {
		return p.Status
	}
	return http.StatusUnprocessableEntity
}

// isProblem reports whether err is a problem with the given code.
func isProblem(err error, code string) bool {
	p, ok := problem.As(err)
	return ok && p.Code == code
}

// forbiddenFor returns the page shown for an action the member's role does
// not allow. The domain packages reject such actions as well.
func forbiddenFor(role, action string) error {
	return forbidden(fmt.Sprintf("Your role, %s, does not allow you to %s. Ask an admin.", role, action))
}

// redirect sends the browser to target with a notice after a form post.
// The notice goes into the query, before any fragment.
func redirect(w http.ResponseWriter, r *http.Request, target, notice string) error {
	if notice != "" {
		path, fragment, _ := strings.Cut(target, "#")
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		target = path + sep + "notice=" + notice
		if fragment != "" {
			target += "#" + fragment
		}
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// parseForm reads a posted form, with a page error when it cannot.
func parseForm(r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return &pageError{status: http.StatusBadRequest, message: "The form could not be read. Reload the page and try again."}
	}
	return nil
}
