package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"time"
	"unicode"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed assets
var assetFiles embed.FS

// navItem is one entry of the header's navigation.
type navItem struct {
	Key   string
	Label string
	Path  string
	// AdminOnly entries are shown to admins only, because the page rejects
	// every other role.
	AdminOnly bool
}

// navItems are the header's navigation entries, in order.
var navItems = []navItem{
	{Key: "connections", Label: "Connections", Path: "/"},
	{Key: "services", Label: "Services", Path: "/services"},
	{Key: "webhooks", Label: "Webhooks", Path: "/webhooks"},
	{Key: "functions", Label: "Functions", Path: "/functions"},
	{Key: "members", Label: "Members", Path: "/members"},
	{Key: "audit", Label: "Audit", Path: "/audit", AdminOnly: true},
}

// pageData is the data of every template: the signed-in member (nil on
// the sign-in page), the CSRF token, the active navigation item and the
// page's own data.
type pageData struct {
	Title   string
	Session *session
	CSRF    string
	Nav     []navItem
	Active  string
	Notice  string
	// Alert is an error notice, such as a failed authorization.
	Alert string
	Data  any
}

// pageSet holds one template per page, each parsed with the layout.
type pageSet struct {
	pages map[string]*template.Template
}

var templateFuncs = template.FuncMap{
	"initials":   initials,
	"statusText": statusText,
	"when":       formatTime,
	"ago":        timeAgo,
	"join":       strings.Join,
	"lower":      strings.ToLower,

	"dict":         dict,
	"excerpt":      excerpt,
	"authLabel":    authLabel,
	"withoutQuery": withoutQuery,
}

func loadPages() (*pageSet, error) {
	layout, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFiles, "templates/layout.html", "templates/fields.html")
	if err != nil {
		return nil, fmt.Errorf("parsing layout template: %w", err)
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("listing templates: %w", err)
	}
	set := &pageSet{pages: map[string]*template.Template{}}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" || base == "fields" {
			continue
		}
		clone, err := layout.Clone()
		if err != nil {
			return nil, fmt.Errorf("cloning layout for %s: %w", base, err)
		}
		page, err := clone.ParseFS(templateFiles, name)
		if err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
		set.pages[base] = page
	}
	return set, nil
}

// render writes a page with the layout. The page is rendered into a buffer
// first, so a template error becomes a clean 500 instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, sess *session, data any) {
	pd := pageData{Session: sess, Data: data}
	if sess != nil {
		pd.CSRF = sess.CSRF
	}
	s.renderWith(w, r, status, name, pd)
}

// renderWith writes a page from complete page data; render fills it from a
// session.
func (s *Server) renderWith(w http.ResponseWriter, r *http.Request, status int, name string, pd pageData) {
	tmpl, ok := s.pages.pages[name]
	if !ok {
		s.logger.Error("page template missing", "template", name)
		http.Error(w, "page template missing", http.StatusInternalServerError)
		return
	}
	pd.Nav, pd.Active = navItems, activeNav(r.URL.Path)
	pd.Notice, pd.Alert = noticeOf(r), alertOf(r)
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, "layout", pd); err != nil {
		s.logger.Error("rendering page failed", "template", name, "err", err)
		http.Error(w, "rendering the page failed; the server log has the details", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// activeNav returns the navigation item a path belongs to.
func activeNav(p string) string {
	for _, item := range navItems[1:] {
		if p == item.Path || strings.HasPrefix(p, item.Path+"/") {
			return item.Key
		}
	}
	if p == "/" || strings.HasPrefix(p, "/connections") {
		return "connections"
	}
	return ""
}

// notices are the fixed messages a redirect may ask a page to show, by
// key, so a URL cannot put arbitrary text on a page.
var notices = map[string]string{
	"service_created":     "The service was created.",
	"service_saved":       "The service was saved.",
	"service_deleted":     "The service was deleted.",
	"application_created": "The application was created.",
	"application_saved":   "The application was saved.",
	"application_deleted": "The application was deleted.",
	"webhook_saved":       "The webhook was saved.",
	"webhook_deleted":     "The webhook was deleted.",
	"webhook_tested":      "A test delivery was queued; it appears below once sent.",
	"redelivered":         "The delivery was queued again.",
	"member_added":        "The member was added.",
	"member_saved":        "The member's role was changed.",
	"member_removed":      "The member was removed.",
	"password_set":        "The password was set, and the member's sessions ended.",
	"token_revoked":       "The API token was revoked.",
	"function_created":    "The function was created.",
	"function_saved":      "The function was saved.",
	"function_deleted":    "The function was deleted.",

	"connected":  "Connected.",
	"revoked":    "The credential was revoked.",
	"saved":      "Changes saved.",
	"deleted":    "The connection was deleted.",
	"created":    "The connection was created.",
	"signed_out": "You have signed out.",
}

// linkNotices are the notices that name a connection, used when the
// redirect adds link=LINK with a valid link name.
var linkNotices = map[string]string{
	"revoked": "The credential of connection %s was revoked.",
	"deleted": "Connection %s was deleted.",
}

// linkNamePattern is the form of a link name that a notice may show.
var linkNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// errorCodePattern is the form of a problem code in a callback's redirect.
var errorCodePattern = regexp.MustCompile(`^[a-z][a-z_]{0,40}$`)

// alertOf returns the error notice for the OAuth callback's error=<code>.
func alertOf(r *http.Request) string {
	code := r.URL.Query().Get("error")
	if code == "" {
		return ""
	}
	if code == "authorization_denied" {
		return "The provider did not grant access, so nothing was connected. Connect again to retry."
	}
	if !errorCodePattern.MatchString(code) {
		code = "unknown"
	}
	return "Connecting failed (" + code + "). Connect again to retry; the server log has the details."
}

func noticeOf(r *http.Request) string {
	q := r.URL.Query()
	if q.Get("connected") != "" {
		return notices["connected"]
	}
	key := q.Get("notice")
	if format, ok := linkNotices[key]; ok && linkNamePattern.MatchString(q.Get("link")) {
		return fmt.Sprintf(format, q.Get("link"))
	}
	return notices[key]
}

// initials returns up to two letters for a service without a logo.
func initials(name string) string {
	var out []rune
	for _, word := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out = append(out, unicode.ToUpper([]rune(word)[0]))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// statusText returns a credential status in words.
func statusText(status string) string {
	switch status {
	case "connected":
		return "Connected"
	case "needs_reauth":
		return "Needs reconnecting"
	case "not_connected", "":
		return "Not connected"
	}
	return status
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// timeAgo returns how long ago t was, in rough words, or "never".
func timeAgo(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	}
	return plural(int(d/(24*time.Hour)), "day") + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// serveAsset serves an embedded stylesheet, script or image.
func (s *Server) serveAsset(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	data, err := assetFiles.ReadFile("assets/" + name)
	if err != nil || strings.Contains(name, "/") {
		return notFound("There is no asset named %s.", name)
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(data)
	return nil
}
