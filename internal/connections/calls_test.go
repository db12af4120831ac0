package connections

import (
	"strings"
	"testing"
)

func TestRedactKeysFindsReencodedKey(t *testing.T) {
	const key = "QUERYKEY-s3cr3t+/= &x~"
	for _, line := range []string{
		"/api/landing?api_key=QUERYKEY-s3cr3t%2B%2F%3D%20%26x~",
		"/api/landing?api_key=QUERYKEY-s3cr3t%2b%2f%3d+%26x~&page=2",
		"https://api.acme.example/landing?page=2&api_key=QUERYKEY-s3cr3t%2B/%3D%20%26x%7E",
		`</next?api_key=QUERYKEY-s3cr3t%2B%2F%3D+%26x~>; rel="next"`,
	} {
		got := redactKeys(line, []string{key})
		if strings.Contains(got, "s3cr3t") {
			t.Errorf("redactKeys(%q) = %q, want the key redacted", line, got)
		}
	}
	if got := redactKeys("/api/landing?page=2", []string{key}); got != "/api/landing?page=2" {
		t.Errorf("redactKeys without the key = %q, want it unchanged", got)
	}
}
