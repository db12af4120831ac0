package connections

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/plugboard/plugboard/internal/problem"
)

// Maximum lengths of display texts, in characters.
const (
	maxNameLength        = 200
	maxDescriptionLength = 2000
)

// textFault describes why a display text is rejected, or returns "" when
// it is fine. A text is rejected when it is longer than max characters or
// has control characters other than newlines and tabs, which no name or
// description needs and which break logs and terminals.
func textFault(field, value string, max int) string {
	if n := utf8.RuneCountInString(value); n > max {
		return fmt.Sprintf("%s has %d characters; shorten it to at most %d", field, n, max)
	}
	if strings.IndexFunc(value, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0 {
		return field + " contains a control character; remove it"
	}
	return ""
}

// checkConnectionText rejects an invalid connection name or description.
func checkConnectionText(field, value string, max int) error {
	if fault := textFault(field, value, max); fault != "" {
		return problem.Invalid("invalid_connection", "%s", fault)
	}
	return nil
}

// checkApplicationName rejects an invalid application name.
func checkApplicationName(name string) error {
	if fault := textFault("name", name, maxNameLength); fault != "" {
		return problem.Invalid("invalid_application", "%s", fault)
	}
	return nil
}
