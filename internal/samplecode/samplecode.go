// Package samplecode writes the sample code of a connection: a GET request
// to the connection's API in Deluge, as a POST /v1/invoke body, and through
// plugboard's proxy with curl, Go, Python and JavaScript. Each snippet runs
// as written once the PLUGBOARD_TOKEN environment variable holds a plugboard
// API token, and none contains a secret.
//
// connections.Manager.SampleCall builds the Connection of a stored
// connection, with its URL resolved as the proxy resolves it.
//
// Text from a service or connection reaches a snippet in two ways. Names go
// into comments, with control characters and line separators replaced by
// spaces so a name cannot end the comment. URLs go into string literals,
// escaped for each language.
package samplecode

import (
	"fmt"
	"strings"
)

// Languages of the snippets, in the order All returns them.
const (
	Deluge     = "deluge"
	JSON       = "json"
	Curl       = "curl"
	Go         = "go"
	Python     = "python"
	JavaScript = "javascript"
)

var labels = map[string]string{
	Deluge:     "Deluge",
	JSON:       "JSON (POST /v1/invoke)",
	Curl:       "curl",
	Go:         "Go",
	Python:     "Python",
	JavaScript: "JavaScript",
}

var languages = []string{Deluge, JSON, Curl, Go, Python, JavaScript}

// Languages returns the languages Generate accepts, in display order.
func Languages() []string {
	return append([]string(nil), languages...)
}

// Connection is the data of one connection that the snippets use.
type Connection struct {
	// LinkName is the connection's link name, which scripts refer to.
	LinkName string
	// Name is the connection's display name.
	Name string
	// ServiceName is the display name of the connection's service.
	ServiceName string
	// URL is the absolute URL that the call goes to: the API base URL as
	// the proxy resolves it, plus Path.
	URL string
	// Path is the escaped path under the API base URL, with an optional
	// query, such as "/crm/v2/Leads"; "" calls the API base URL itself.
	Path string
	// PublicURL is the instance's external base URL, without a trailing
	// slash.
	PublicURL string
}

// ProxyURL returns the URL that calls c.Path through plugboard's proxy.
func (c Connection) ProxyURL() string {
	return strings.TrimSuffix(c.PublicURL, "/") + "/v1/connections/" + c.LinkName + "/proxy/" + strings.TrimPrefix(c.Path, "/")
}

// Snippet is the sample code of one language.
type Snippet struct {
	Lang  string
	Label string
	Code  string
}

// UnknownLanguageError reports a language that Generate does not write.
type UnknownLanguageError struct {
	Lang string
}

func (e *UnknownLanguageError) Error() string {
	return fmt.Sprintf("unknown language %q; use one of %s", e.Lang, strings.Join(languages, ", "))
}

// Generate returns the snippet of one language for c, or an
// *UnknownLanguageError.
func Generate(lang string, c Connection) (Snippet, error) {
	var code string
	switch lang {
	case Deluge:
		code = delugeCode(c)
	case JSON:
		code = invokeJSON(c)
	case Curl:
		code = curlCode(c)
	case Go:
		code = goCode(c)
	case Python:
		code = pythonCode(c)
	case JavaScript:
		code = javaScriptCode(c)
	default:
		return Snippet{}, &UnknownLanguageError{Lang: lang}
	}
	return Snippet{Lang: lang, Label: labels[lang], Code: code}, nil
}

// All returns the snippets of every language, in display order.
func All(c Connection) []Snippet {
	out := make([]Snippet, 0, len(languages))
	for _, lang := range languages {
		s, _ := Generate(lang, c)
		out = append(out, s)
	}
	return out
}

// summary returns the first comment line of a snippet: the service and the
// connection, safe to put after a line-comment marker.
func summary(c Connection) string {
	return commentText(fmt.Sprintf("%s through the connection %q", c.ServiceName, c.LinkName))
}

// proxySummary returns the comment lines of a snippet that calls through
// the proxy, each without its comment marker.
func proxySummary(c Connection) []string {
	first := fmt.Sprintf("%s through the connection %q", c.ServiceName, c.LinkName)
	if c.Name != "" && c.Name != c.ServiceName {
		first += " (" + c.Name + ")"
	}
	return []string{
		commentText(first + ", sent by plugboard's proxy."),
		"Set PLUGBOARD_TOKEN to a plugboard API token before running it.",
	}
}

// commentText replaces the characters that would end a line comment in any
// of the languages (control characters and the Unicode line and paragraph
// separators) with spaces.
func commentText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
