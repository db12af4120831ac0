package connections

import (
	"regexp"
	"strconv"
	"strings"
)

// maxLinkNameLength is the longest link name, suffix included.
const maxLinkNameLength = 50

var linkNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// ValidLinkName reports whether s may be given as an explicit link name.
func ValidLinkName(s string) bool {
	return linkNamePattern.MatchString(s)
}

// LinkNameFrom derives a link name from a display name: lower case, every
// run of characters other than a-z and 0-9 becomes one underscore, leading
// and trailing underscores are trimmed, and the result is cut to 50
// characters. A name that starts with a digit gets the prefix "c_", and a
// name with no usable character becomes "connection".
func LinkNameFrom(name string) string {
	var b strings.Builder
	pendingUnderscore := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if pendingUnderscore && b.Len() > 0 {
				b.WriteByte('_')
			}
			pendingUnderscore = false
			b.WriteRune(r)
			continue
		}
		pendingUnderscore = true
	}
	s := b.String()
	if s == "" {
		return "connection"
	}
	if s[0] >= '0' && s[0] <= '9' {
		s = "c_" + s
	}
	return trimLinkName(s, maxLinkNameLength)
}

// WithSuffix returns base with the suffix _n, cutting base so the result
// stays within 50 characters.
func WithSuffix(base string, n int) string {
	suffix := "_" + strconv.Itoa(n)
	return trimLinkName(base, maxLinkNameLength-len(suffix)) + suffix
}

func trimLinkName(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.TrimRight(s, "_")
}
