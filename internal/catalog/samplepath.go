package catalog

import (
	"fmt"
	"net/url"
	"strings"
)

// samplePathUnsafe are the printable ASCII characters that a URL must
// percent-encode and that would need escaping in the string literals of
// sample code.
const samplePathUnsafe = "\"<>\\^`{|}"

// samplePathProblem returns what is wrong with a sample_path, or "" when it
// is empty or usable: an absolute path under api_base_url, with an optional
// query, written in printable ASCII with unsafe characters percent-encoded.
func samplePathProblem(p string) string {
	if p == "" {
		return ""
	}
	quoted := quoteShort(p)
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return fmt.Sprintf("%s is not a path: start it with a single /, such as /v1/items, and leave out the scheme and host", quoted)
	}
	for _, r := range p {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(samplePathUnsafe, r) {
			return fmt.Sprintf("%s contains %q: percent-encode it, such as %%20 for a space", quoted, r)
		}
	}
	if strings.Contains(p, "#") {
		return fmt.Sprintf("%s contains a fragment: remove the # and what follows it", quoted)
	}
	u, err := url.Parse(p)
	if err != nil {
		return fmt.Sprintf("%s is not a valid path: fix its percent-encoding, writing %% itself as %%25", quoted)
	}
	for _, segment := range strings.Split(u.Path, "/") {
		if segment == "." || segment == ".." {
			return fmt.Sprintf("%s has a %q segment, which the proxy rejects: write the path without it", quoted, segment)
		}
	}
	return ""
}
