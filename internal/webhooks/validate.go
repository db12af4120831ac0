package webhooks

import (
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"unicode"
	"unicode/utf8"

	"github.com/plugboard/plugboard/internal/problem"
)

// Limits of a webhook definition.
const (
	maxNameLength     = 200
	maxURLLength      = 4096
	maxBodyTemplate   = 64 << 10
	maxHeaders        = 50
	maxHeaderTemplate = 4096
	maxEvents         = 50
	maxEventType      = 100
	// DefaultMaxAttempts is the number of attempts a delivery gets when the
	// webhook does not set max_attempts.
	DefaultMaxAttempts = 8
	// MaxMaxAttempts is the largest max_attempts a webhook may set.
	MaxMaxAttempts = 20
)

// eventTypePattern matches an event type: two or more dot-separated
// segments of lower-case letters, digits and underscores, each starting
// with a letter, such as "device.alarm".
var eventTypePattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)

// reservedPrefixes start the event types that plugboard raises itself and
// that API clients may not post.
var reservedPrefixes = []string{"connection.", "webhook."}

// EventTest is the type of the event that the test action sends.
const EventTest = "webhook.test"

// methods are the HTTP methods a webhook may use.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// reservedHeaders are header names a webhook may not set, each with the
// reason. Egress drops hop-by-hop headers and sets the others itself.
var reservedHeaders = map[string]string{
	"Authorization":     "the connection's credential sets it; bind the webhook to a connection, or rely on the webhook signature",
	"Host":              "it comes from the URL",
	"Content-Length":    "it comes from the body",
	"Connection":        "it is a hop-by-hop header",
	"Keep-Alive":        "it is a hop-by-hop header",
	"Te":                "it is a hop-by-hop header",
	"Trailer":           "it is a hop-by-hop header",
	"Transfer-Encoding": "it is a hop-by-hop header",
	"Upgrade":           "it is a hop-by-hop header",
	"Webhook-Id":        "plugboard sets it on signed requests",
	"Webhook-Timestamp": "plugboard sets it on signed requests",
	"Webhook-Signature": "plugboard sets it on signed requests",
}

// invalid returns the 422 problem of a webhook definition, naming the field.
func invalid(field, format string, args ...any) error {
	return problem.Invalid("invalid_webhook", format, args...).With("field", field)
}

// ValidEventType reports whether t is a lower-case dotted event type.
func ValidEventType(t string) bool {
	return len(t) <= maxEventType && eventTypePattern.MatchString(t)
}

func checkEventType(field, t string) error {
	if !ValidEventType(t) {
		return invalid(field, "event type %q is not valid; use lower-case dotted words such as \"device.alarm\" (at most %d characters)",
			t, maxEventType)
	}
	return nil
}

// checkName rejects an empty or over-long name, or one with control
// characters other than tabs.
func checkName(name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return invalid("name", "name is missing; give the webhook a name such as \"Ticket on alarm\"")
	case utf8.RuneCountInString(name) > maxNameLength:
		return invalid("name", "name has %d characters; shorten it to at most %d", utf8.RuneCountInString(name), maxNameLength)
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsControl(r) && r != '\t' }) >= 0:
		return invalid("name", "name contains a control character; remove it")
	}
	return nil
}

func normalizeMethod(method string) (string, error) {
	if method == "" {
		return http.MethodPost, nil
	}
	upper := strings.ToUpper(method)
	if !slices.Contains(methods, upper) {
		return "", invalid("method", "method %q is not supported; use %s", method, strings.Join(methods, ", "))
	}
	return upper, nil
}

// parseTemplate parses src as a text/template named name, with the
// functions rendering provides.
// The template is also checked against the limits that keep rendering
// time linear in the event's size: no range over a number, no range inside
// a range, and no template definitions or calls.
func parseTemplate(name, src string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(templateFuncs).Parse(src)
	if err != nil {
		return nil, err
	}
	if len(t.Templates()) > 1 {
		return nil, errors.New("templates may not define other templates")
	}
	if t.Tree != nil && t.Tree.Root != nil {
		if err := checkNodes(t.Tree.Root, 0); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// checkNodes walks a template tree and rejects the constructs whose cost
// does not grow with the event's size alone.
func checkNodes(node parse.Node, ranges int) error {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return nil
		}
		for _, child := range n.Nodes {
			if err := checkNodes(child, ranges); err != nil {
				return err
			}
		}
	case *parse.RangeNode:
		if ranges > 0 {
			return errors.New("a range inside a range is not allowed; flatten the data in the event instead")
		}
		if !rangesOverField(n.Pipe) {
			return errors.New("range goes only over a field of the event, such as {{range .data.items}}")
		}
		if err := checkNodes(n.List, ranges+1); err != nil {
			return err
		}
		return checkNodes(n.ElseList, ranges)
	case *parse.IfNode:
		if err := checkNodes(n.List, ranges); err != nil {
			return err
		}
		return checkNodes(n.ElseList, ranges)
	case *parse.WithNode:
		if err := checkNodes(n.List, ranges); err != nil {
			return err
		}
		return checkNodes(n.ElseList, ranges)
	case *parse.TemplateNode:
		return errors.New("calling a template is not allowed")
	}
	return nil
}

// rangesOverField reports whether a range pipeline is one field of the
// event, such as .data.items or $.data.items. Event data comes from JSON,
// so such a field is a list or map the size of the event, never an integer
// that text/template would count up to.
func rangesOverField(pipe *parse.PipeNode) bool {
	if pipe == nil || len(pipe.Cmds) != 1 || len(pipe.Cmds[0].Args) != 1 {
		return false
	}
	switch arg := pipe.Cmds[0].Args[0].(type) {
	case *parse.FieldNode:
		return true
	case *parse.VariableNode:
		return len(arg.Ident) > 1
	}
	return false
}

func checkTemplate(field, src string, maxLen int) error {
	if len(src) > maxLen {
		return invalid(field, "%s is %d bytes; shorten it to at most %d", field, len(src), maxLen)
	}
	if _, err := parseTemplate(field, src); err != nil {
		return invalid(field, "%s is not a valid template: %s", field, err.Error())
	}
	return nil
}

// checkURL checks a URL template. It must be an absolute http or https URL,
// or, for a webhook bound to a connection, a path starting with "/" under
// the service's API base URL. When the URL has no template actions it is
// returned parsed, so the caller can check its host.
func checkURL(src string, bound bool) (*url.URL, error) {
	if src == "" {
		return nil, invalid("url", "url is missing; give an absolute https URL, or a path when the webhook uses a connection")
	}
	if err := checkTemplate("url", src, maxURLLength); err != nil {
		return nil, err
	}

	prefix := literalPrefix(src)
	lower := strings.ToLower(prefix)
	switch {
	case strings.HasPrefix(src, "/") && !strings.HasPrefix(src, "//"):
		if !bound {
			return nil, invalid("url", "url %q is a path, which only a webhook with a connection may use; give an absolute https URL", src)
		}
		return nil, nil
	case strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://"):
	case len(prefix) < len("https://") && (strings.HasPrefix("https://", lower) || strings.HasPrefix("http://", lower)):
		return nil, invalid("url", "url %q must name its scheme and host without template actions; start it with \"https://\" and the host", src)
	default:
		return nil, invalid("url", "url %q is not an absolute http or https URL; start it with \"https://\"", src)
	}

	if prefix != src {
		// An unbound webhook's destination must not come from event data:
		// the scheme, host and port end with the "/" of the path before any
		// action. A bound webhook is kept to its service's hosts at send
		// time instead.
		_, afterScheme, _ := strings.Cut(prefix, "://")
		if !bound && !strings.Contains(afterScheme, "/") {
			return nil, invalid("url", "url %q must give its scheme, host and port before any template action, ending them with \"/\"; only the path and query may use templates", src)
		}
		return nil, nil
	}
	u, err := url.Parse(src)
	if err != nil {
		return nil, invalid("url", "url %q is not valid: %s", src, urlErrorCause(err))
	}
	if u.Host == "" {
		return nil, invalid("url", "url %q has no host; give an absolute https URL", src)
	}
	if u.User != nil {
		return nil, invalid("url", "url must not contain user information; put credentials in a connection")
	}
	return u, nil
}

// literalPrefix returns the text of src before its first template action.
// src must parse.
func literalPrefix(src string) string {
	t, err := parseTemplate("url", src)
	if err != nil || t.Tree == nil || t.Tree.Root == nil {
		return ""
	}
	var b strings.Builder
	for _, node := range t.Tree.Root.Nodes {
		text, ok := node.(*parse.TextNode)
		if !ok {
			break
		}
		b.Write(text.Text)
	}
	return b.String()
}

func urlErrorCause(err error) error {
	if urlErr, ok := err.(*url.Error); ok {
		return urlErr.Err
	}
	return err
}

// normalizeHeaders checks header names and value templates and returns the
// headers with canonical names.
func normalizeHeaders(headers map[string]string) (map[string]string, error) {
	if len(headers) > maxHeaders {
		return nil, invalid("headers", "headers has %d entries; use at most %d", len(headers), maxHeaders)
	}
	out := make(map[string]string, len(headers))
	for name, value := range headers {
		if !validHeaderName(name) {
			return nil, invalid("headers", "header name %q is not valid; use letters, digits and '-'", name)
		}
		canonical := http.CanonicalHeaderKey(name)
		if reason, ok := reservedHeaders[canonical]; ok {
			return nil, invalid("headers", "header %s cannot be set: %s", canonical, reason)
		}
		if strings.HasPrefix(canonical, "Proxy-") {
			return nil, invalid("headers", "header %s cannot be set: it is a hop-by-hop header", canonical)
		}
		if _, dup := out[canonical]; dup {
			return nil, invalid("headers", "header %s is given twice in different cases; give it once", canonical)
		}
		field := "headers." + canonical
		if err := checkTemplate(field, value, maxHeaderTemplate); err != nil {
			return nil, err
		}
		out[canonical] = value
	}
	return out, nil
}

// validHeaderName reports whether name is an RFC 9110 token.
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r >= utf8.RuneSelf || !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

// normalizeEvents checks the event types and removes duplicates, keeping
// the order given.
func normalizeEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, invalid("events", "events is empty; list the event types that trigger the webhook, such as [\"device.alarm\"]")
	}
	if len(events) > maxEvents {
		return nil, invalid("events", "events has %d entries; use at most %d", len(events), maxEvents)
	}
	out := make([]string, 0, len(events))
	for _, t := range events {
		if err := checkEventType("events", t); err != nil {
			return nil, err
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

func checkMaxAttempts(n int) error {
	if n < 1 || n > MaxMaxAttempts {
		return invalid("max_attempts", "max_attempts %d is out of range; use a number from 1 to %d", n, MaxMaxAttempts)
	}
	return nil
}

// checkPostedType rejects an event type that API clients may not post.
func checkPostedType(t string) error {
	if !ValidEventType(t) {
		return problem.Invalid("invalid_event",
			"event type %q is not valid; use lower-case dotted words such as \"device.alarm\" (at most %d characters)", t, maxEventType)
	}
	for _, prefix := range reservedPrefixes {
		if strings.HasPrefix(t, prefix) {
			return problem.Invalid("invalid_event",
				"event type %q is reserved: plugboard raises %s* events itself; choose another type", t, prefix)
		}
	}
	return nil
}

// checkHostAllowed checks a static URL of a bound webhook against the
// connection's allow-list, so a definition that can never be sent is
// rejected at once.
func checkHostAllowed(u *url.URL, allowed interface{ Check(*url.URL) error }, link string) error {
	if err := allowed.Check(u); err != nil {
		return invalid("url", "url cannot be called through connection %q: %s", link, err.Error())
	}
	return nil
}

// checkUnboundScheme rejects an http URL of an unbound webhook unless its
// host is a loopback host, because egress sends http only to loopback
// hosts.
func checkUnboundScheme(u *url.URL) error {
	if !strings.EqualFold(u.Scheme, "http") {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); host == "localhost" || (err == nil && ip.IsLoopback()) {
		return nil
	}
	return invalid("url", "url %q uses http, which plugboard sends only to localhost, 127.0.0.0/8 or ::1; use https", u.Redacted())
}
