package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"text/template"
	"time"

	"github.com/plugboard/plugboard/internal/store"
)

// Largest rendered parts of a request, in bytes.
const (
	maxRenderedURL    = 8 << 10
	maxRenderedHeader = 8 << 10
	maxRenderedBody   = 1 << 20
)

// templateFuncs are the functions that webhook templates may call besides
// the text/template built-ins.
// print, printf and println replace the built-ins with versions whose
// result is capped, so a template cannot build a huge string in a loop.
var templateFuncs = template.FuncMap{
	"json":    toJSON,
	"print":   cappedPrint(fmt.Sprint),
	"println": cappedPrint(fmt.Sprintln),
	"printf":  cappedPrintf,
}

// maxValueLength is the longest string a template function returns.
const maxValueLength = 64 << 10

var errValueTooLong = fmt.Errorf("a template value exceeds %d bytes", maxValueLength)

func cappedPrint(print func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		out := print(args...)
		if len(out) > maxValueLength {
			return "", errValueTooLong
		}
		return out, nil
	}
}

// widthPattern matches a width or precision of five or more digits, which
// would make fmt allocate that many bytes before the cap could apply.
var widthPattern = regexp.MustCompile(`%[-+# 0]*[0-9]{5,}|\.[0-9]{5,}`)

func cappedPrintf(format string, args ...any) (string, error) {
	if widthPattern.MatchString(format) {
		return "", fmt.Errorf("printf format %q has a width or precision over 9999", format)
	}
	out := fmt.Sprintf(format, args...)
	if len(out) > maxValueLength {
		return "", errValueTooLong
	}
	return out, nil
}

// toJSON returns v as compact JSON, with "<", ">" and "&" unescaped.
func toJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n"))), nil
}

// EventContext returns the value that webhook templates are rendered over:
// the event's ID, type, creation time (RFC 3339 in UTC) and data.
func EventContext(ev store.Event) map[string]any {
	data := ev.Data
	if data == nil {
		data = map[string]any{}
	}
	return map[string]any{
		"id":         ev.ID,
		"type":       ev.Type,
		"created_at": ev.CreatedAt.UTC().Format(time.RFC3339Nano),
		"data":       data,
	}
}

// Request is a webhook's request rendered for one event, before signing
// and before a relative URL is resolved.
type Request struct {
	Method  string
	URL     string
	Headers map[string]string
	// Body is nil when the request has none.
	Body []byte
}

// Render renders a webhook's URL, header values and body over an event.
// An empty body template sends the event as JSON on POST, PUT and PATCH.
// A JSON body gets "Content-Type: application/json" unless the headers
// set a content type.
func Render(hook store.Webhook, ev store.Event) (*Request, error) {
	ctx := EventContext(ev)
	req := &Request{Method: hook.Method, Headers: make(map[string]string, len(hook.Headers)+1)}
	if req.Method == "" {
		req.Method = http.MethodPost
	}

	u, err := execute("url", hook.URL, ctx, maxRenderedURL)
	if err != nil {
		return nil, err
	}
	req.URL = u

	for name, src := range hook.Headers {
		value, err := execute("headers."+name, src, ctx, maxRenderedHeader)
		if err != nil {
			return nil, err
		}
		req.Headers[name] = value
	}

	switch {
	case hook.Body != "":
		body, err := execute("body", hook.Body, ctx, maxRenderedBody)
		if err != nil {
			return nil, err
		}
		req.Body = []byte(body)
	case req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch:
		body, err := toJSON(ctx)
		if err != nil {
			return nil, fmt.Errorf("encoding the event as the body: %w", err)
		}
		req.Body = []byte(body)
	}

	if len(req.Body) > 0 && json.Valid(req.Body) && !hasHeader(req.Headers, "Content-Type") {
		req.Headers["Content-Type"] = "application/json"
	}
	return req, nil
}

func hasHeader(headers map[string]string, name string) bool {
	for k := range headers {
		if http.CanonicalHeaderKey(k) == name {
			return true
		}
	}
	return false
}

// errTooLong is returned by a limitedBuffer that is full.
var errTooLong = errors.New("output too long")

// limitedBuffer is a bytes.Buffer that fails writes beyond max bytes.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errTooLong
	}
	return b.Buffer.Write(p)
}

// execute renders one template source, failing when the output exceeds
// max bytes.
func execute(name, src string, data any, max int) (string, error) {
	t, err := parseTemplate(name, src)
	if err != nil {
		return "", fmt.Errorf("parsing %s template: %w", name, err)
	}
	out := &limitedBuffer{max: max}
	if err := t.Execute(out, data); err != nil {
		if errors.Is(err, errTooLong) {
			return "", fmt.Errorf("rendering %s: the output exceeds %d bytes", name, max)
		}
		return "", fmt.Errorf("rendering %s: %w", name, err)
	}
	return out.String(), nil
}
