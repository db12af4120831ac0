package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// phoneWidth is the viewport width, in CSS pixels, of the phone layout
// checks.
const phoneWidth = 375

// box is an element's border box in CSS pixels of the viewport.
type box struct {
	Left, Top, Right, Bottom float64
}

func (a box) overlaps(o box) bool {
	return a.Left < o.Right && o.Left < a.Right && a.Top < o.Bottom && o.Top < a.Bottom
}

// boxes returns the border boxes of every element that matches sel.
func (b *browser) boxes(sel string) []box {
	b.t.Helper()
	script := fmt.Sprintf(`JSON.stringify(Array.from(document.querySelectorAll(%q)).map(e => { const r = e.getBoundingClientRect(); return {Left: r.left, Top: r.top, Right: r.right, Bottom: r.bottom}; }))`, sel)
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](script))
	if err != nil {
		b.t.Fatalf("measuring %s: %v", sel, err)
	}
	var out []box
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		b.t.Fatalf("measuring %s: %v", sel, err)
	}
	return out
}

// evaluate returns the value of a JavaScript expression on the page.
func evaluate[T any](b *browser, expression string) T {
	b.t.Helper()
	value, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expression))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", expression, err)
	}
	return value
}

// checkInsideViewport fails the test for every element matching sel that
// reaches past the right edge of the viewport, such as a clipped tab.
func (b *browser) checkInsideViewport(page, sel string) {
	b.t.Helper()
	boxes := b.boxes(sel)
	if len(boxes) == 0 {
		b.t.Errorf("%s: no element matches %s", page, sel)
	}
	for i, bx := range boxes {
		if bx.Left < 0 || bx.Right > phoneWidth {
			b.t.Errorf("%s: %s number %d spans %.0f to %.0f px, outside the %d px viewport", page, sel, i+1, bx.Left, bx.Right, phoneWidth)
		}
	}
}

// checkNoPageOverflow fails the test when the page scrolls sideways.
func (b *browser) checkNoPageOverflow(page string) {
	b.t.Helper()
	if width := evaluate[float64](b, `document.documentElement.scrollWidth`); width > phoneWidth {
		b.t.Errorf("%s is %.0f px wide, wider than the %d px viewport", page, width, phoneWidth)
	}
}

func TestBrowserPhoneLayout(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t)
	startProviderAndService(t, inst)
	v1 := inst.URL + "/v1"
	mustStatus(t, "create connection", call(t, "POST", v1+"/connections", testAdminToken, map[string]any{
		"name": "Acme devices", "service": "acme", "scopes": []string{"offline_access", "devices.read"},
	}), http.StatusCreated)

	b.do("narrow the window", chromedp.EmulateViewport(phoneWidth, 800))
	b.signIn(inst, "admin", testAdminPassword)

	// The three tabs of the home page fit the width.
	b.open(inst.URL+"/", "#tab-all")
	b.checkInsideViewport("home", "nav.tabs a")
	b.checkNoPageOverflow("home")
	b.screenshot("home-phone")

	// Sample code scrolls sideways instead of wrapping, and every sample
	// tab can be reached.
	b.open(inst.URL+"/connections/acme_devices", "#sample-code")
	b.do("wait for the sample tabs", chromedp.WaitVisible(chromedp.ID("sample-curl-tab")))
	b.checkInsideViewport("connection", `#sample-code [role="tab"]`)
	b.checkNoPageOverflow("connection")
	if got := evaluate[string](b, `getComputedStyle(document.querySelector('#sample-curl pre')).whiteSpace`); got != "pre" {
		t.Errorf("white-space of the sample code = %q, want pre, which never wraps inside a token", got)
	}
	b.do("show the curl tab", chromedp.Click(chromedp.ID("sample-curl-tab")), chromedp.WaitVisible(chromedp.ID("code-curl")))
	if scrolls := evaluate[bool](b, `(() => { const p = document.querySelector('#sample-curl pre'); return p.scrollWidth > p.clientWidth && getComputedStyle(p).overflowX === 'auto'; })()`); !scrolls {
		t.Errorf("the curl sample does not scroll sideways at %d px", phoneWidth)
	}
	b.screenshot("connection-phone")
	b.do("open the delete confirmation", chromedp.Click(chromedp.ID("delete-confirm")), chromedp.WaitVisible(chromedp.ID("delete")))
	b.checkInsideViewport("delete confirmation", "#delete")
	b.screenshot("connection-delete-confirmation-phone")

	// The redirect URI is not covered by its copy button.
	b.open(inst.URL+"/services/acme", "#redirect-uri")
	b.do("wait for the copy button", chromedp.WaitVisible(chromedp.CSS(`[data-copy="redirect-uri"] .copy`)))
	uri, buttons := b.boxes("#redirect-uri"), b.boxes(`[data-copy="redirect-uri"] .copy`)
	if len(uri) != 1 || len(buttons) != 1 {
		t.Fatalf("redirect URI boxes %v and copy buttons %v, want one of each", uri, buttons)
	}
	if uri[0].overlaps(buttons[0]) {
		t.Errorf("the copy button %+v covers the redirect URI %+v", buttons[0], uri[0])
	}
	b.checkNoPageOverflow("service")
	b.screenshot("service-phone")

	// A service without an application: a note with a link, and no
	// Create and Connect to press.
	b.open(inst.URL+"/connections/new?service=zoho_crm", "#no-application")
	if !evaluate[bool](b, `document.getElementById('create-and-connect').disabled`) {
		t.Errorf("Create and Connect is enabled for zoho_crm, which has no application")
	}
	b.checkNoPageOverflow("wizard")
	b.screenshot("wizard-no-application-phone")

	// The same pages at desktop width, to look at.
	b.do("widen the window", chromedp.EmulateViewport(1280, 900))
	b.open(inst.URL+"/connections/acme_devices", "#sample-code")
	b.screenshot("connection-desktop")
	b.open(inst.URL+"/services/acme", "#redirect-uri")
	b.screenshot("service-desktop")
}
