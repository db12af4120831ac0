package secrets

import (
	"fmt"
	"log/slog"
	"strconv"
)

// redacted replaces a non-empty secret in every output.
const redacted = "[redacted]"

// Secret is a string that must not appear in logs, errors, dumps or
// responses. fmt, log/slog and encoding/json output "[redacted]" in its
// place, or nothing for an empty Secret, so the output still shows whether a
// value is set. [Secret.Reveal] returns the value. JSON decoding into a Secret works
// as for a string.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string {
	return string(s)
}

// String returns "[redacted]", or "" for an empty Secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns [Secret.String] quoted, for %#v.
func (s Secret) GoString() string {
	return strconv.Quote(s.String())
}

// Format prints [Secret.GoString] for %#v, [Secret.String] quoted for %q, and
// [Secret.String] for every other verb, with the width and flags given.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, s.GoString())
	case verb == 'q':
		fmt.Fprintf(f, fmt.FormatString(f, 'q'), s.String())
	default:
		fmt.Fprintf(f, fmt.FormatString(f, 's'), s.String())
	}
}

// LogValue logs [Secret.String].
func (s Secret) LogValue() slog.Value {
	return slog.StringValue(s.String())
}

// MarshalJSON encodes [Secret.String] as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(strconv.Quote(s.String())), nil
}
