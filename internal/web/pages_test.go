package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	controlPattern = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	idPattern      = regexp.MustCompile(`\bid="([^"]+)"`)
	typePattern    = regexp.MustCompile(`\btype="([^"]+)"`)
)

// TestManagementPagesLabelled checks every page of the management area for
// a label on each visible control and for inline script or style, which
// the Content-Security-Policy blocks.
func TestManagementPagesLabelled(t *testing.T) {
	s := newSite(t)
	c := s.adminClient()
	if resp := c.postForm("/services/github", "/services/github/applications", url.Values{"name": {"Production"}, "client_id": {"cid"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("create application: %d", resp.status)
	}
	apps, err := s.conns.ListApplications(t.Context(), s.orgID, "github")
	if err != nil || len(apps) != 1 {
		t.Fatalf("applications: %v, %v", apps, err)
	}
	resp := c.follow(c.postForm("/webhooks/new", "/webhooks/new", url.Values{"name": {"Alarm"}, "url": {"https://desk.example/x"}, "method": {"POST"}, "events": {"device.alarm"}}))
	hookID := regexp.MustCompile(`action="/webhooks/([^/"]+)/test"`).FindStringSubmatch(resp.body)
	if hookID == nil {
		t.Fatalf("create webhook: status %d\n%s", resp.status, resp.body)
	}

	if resp := c.postForm("/functions/new", "/functions/new", url.Values{"name": {"hello"}, "script": {"info \"hello\";"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("create function: status %d\n%s", resp.status, resp.body)
	}

	checked := 0
	for _, path := range []string{
		"/services", "/services/new", "/services/github", "/services/github/applications/" + apps[0].ID,
		"/webhooks", "/webhooks/new", "/webhooks/" + hookID[1], "/members", "/members/tokens", "/audit",
		"/functions", "/functions/new", "/functions/hello",
	} {
		page := c.get(path)
		if page.status != http.StatusOK {
			t.Errorf("%s: status %d", path, page.status)
			continue
		}
		if strings.Contains(page.body, "<script>") || strings.Contains(page.body, " onclick=") || strings.Contains(page.body, " style=") {
			t.Errorf("%s has inline script or style", path)
		}
		for _, control := range controlPattern.FindAllString(page.body, -1) {
			if m := typePattern.FindStringSubmatch(control); m != nil && (m[1] == "hidden" || m[1] == "submit") {
				continue
			}
			checked++
			id := idPattern.FindStringSubmatch(control)
			if id == nil {
				t.Errorf("%s: control without an id, so no label can name it: %s", path, control)
				continue
			}
			if !strings.Contains(page.body, `for="`+id[1]+`"`) {
				t.Errorf("%s: control %q has no label", path, id[1])
			}
			if n := strings.Count(page.body, `id="`+id[1]+`"`); n != 1 {
				t.Errorf("%s: id %q occurs %d times", path, id[1], n)
			}
		}
	}
	if checked < 40 {
		t.Errorf("checked %d controls on the pages, want at least 40: the pattern misses controls", checked)
	}
}
