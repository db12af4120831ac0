package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which the browser tests drive.
const chromiumPath = "/usr/bin/chromium"

// requireBrowserEnv, set to true (as .ci/run does), makes the browser tests
// fail instead of skip when chromium is missing.
const requireBrowserEnv = "PLUGBOARD_REQUIRE_BROWSER"

// testAdminPassword is the admin's web UI password in test instances.
const testAdminPassword = "test-admin-password-0123"

// browserTimeout bounds one browser test's every step together.
const browserTimeout = 3 * time.Minute

// browser is a headless chromium driven by a test. Every page it visits is
// saved as a screenshot under test-output/<test name>/.
type browser struct {
	t    *testing.T
	ctx  context.Context
	dir  string
	shot int
}

// newBrowser starts chromium with a new profile under t.TempDir. It skips
// the test when chromium is missing, unless PLUGBOARD_REQUIRE_BROWSER is
// true.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test starts chromium and plugboard processes; run without -short")
	}
	if _, err := exec.LookPath(chromiumPath); err != nil {
		if os.Getenv(requireBrowserEnv) == "true" {
			t.Fatalf("chromium is missing at %s and %s=true; install it with apt-get install -y chromium", chromiumPath, requireBrowserEnv)
		}
		t.Skipf("chromium is missing at %s; install it with apt-get install -y chromium to run the browser tests", chromiumPath)
	}

	// These flags keep chromium from contacting any host but the ones the
	// test starts: without the background-networking ones it tries to
	// reach outside update and sync servers.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, browserTimeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}

	dir := filepath.Join(repositoryRoot(t), "test-output", strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, dir: dir}
}

// repositoryRoot returns the folder with go.mod above the test's folder.
func repositoryRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// do runs steps in the browser and fails the test with what names.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.screenshot("failed-" + what)
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open loads a URL and waits until the element sel is visible.
func (b *browser) open(url, sel string) {
	b.t.Helper()
	b.do("open "+url, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// text returns the text of the first element that matches sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	text, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("reading the text of %s: %v", sel, err)
	}
	return text
}

// location returns the current page's URL.
func (b *browser) location() string {
	b.t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("reading the location: %v", err)
	}
	return loc
}

// exists reports whether an element matches sel on the current page.
func (b *browser) exists(sel string) bool {
	b.t.Helper()
	found, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](fmt.Sprintf("document.querySelector(%q) !== null", sel)))
	if err != nil {
		b.t.Fatalf("looking for %s: %v", sel, err)
	}
	return found
}

var unsafeFileChars = regexp.MustCompile(`[^a-z0-9_-]+`)

// screenshot saves the whole page as test-output/<test>/NN-<page>.png and
// checks that the file exists and is not blank.
func (b *browser) screenshot(page string) string {
	b.t.Helper()
	b.shot++
	name := fmt.Sprintf("%02d-%s.png", b.shot, unsafeFileChars.ReplaceAllString(strings.ToLower(page), "-"))
	path := filepath.Join(b.dir, name)
	data, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return path
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		b.t.Fatalf("saving screenshot %s: %v", name, err)
	}
	checkScreenshot(b.t, path)
	return path
}

// checkScreenshot fails the test unless path is a PNG whose pixels are not
// all one colour.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("screenshot %s is missing: %v", path, err)
		return
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Errorf("screenshot %s is not a PNG: %v", path, err)
		return
	}
	if blank(img) {
		t.Errorf("screenshot %s is blank: every pixel has one colour", path)
	}
}

func blank(img image.Image) bool {
	bounds := img.Bounds()
	first := img.At(bounds.Min.X, bounds.Min.Y)
	r0, g0, b0, a0 := first.RGBA()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			if r != r0 || g != g0 || b != b0 || a != a0 {
				return false
			}
		}
	}
	return true
}

// signIn signs in on the sign-in page of inst and waits for the
// connections home.
func (b *browser) signIn(inst *instance, username, password string) {
	b.t.Helper()
	b.open(inst.URL+"/login", "#username")
	b.do("sign in as "+username,
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.CSS("h1")),
		chromedp.WaitVisible(chromedp.CSS("#tab-mine")),
	)
}

func TestBrowserSignIn(t *testing.T) {
	b := newBrowser(t)
	inst := startInstance(t)

	// A page that needs a session leads to the sign-in page.
	b.open(inst.URL+"/", "#username")
	if loc := b.location(); !strings.HasPrefix(loc, inst.URL+"/login?next=") {
		t.Errorf("location without a session = %s, want the sign-in page with next", loc)
	}
	b.screenshot("login")

	b.do("sign in with a wrong password",
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("password-error")),
	)
	if got := b.text("#password-error"); got != "Wrong username or password." {
		t.Errorf("error next to the password = %q, want %q", got, "Wrong username or password.")
	}
	if got, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("username"))); got != "admin" {
		t.Errorf("username after a failed sign-in = %q, want admin kept", got)
	}
	b.screenshot("login-wrong-password")

	b.do("sign in with the right password",
		chromedp.SetValue(chromedp.ID("password"), testAdminPassword),
		chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("tab-mine")),
	)
	if loc := b.location(); loc != inst.URL+"/" {
		t.Errorf("location after sign-in = %s, want %s/", loc, inst.URL)
	}
	if got := b.text(".member"); !strings.Contains(got, "admin") {
		t.Errorf("header shows %q, want the signed-in member admin", got)
	}
	if !b.exists("#empty-state") {
		t.Errorf("connections home of a new instance has no empty state")
	}
	b.screenshot("connections-home")

	// A phone-width view of the same page.
	b.do("narrow the window", chromedp.EmulateViewport(375, 800))
	b.screenshot("connections-home-phone")
	b.do("widen the window", chromedp.EmulateViewport(1280, 900))

	b.do("sign out", chromedp.Click(chromedp.CSS("header form button")), chromedp.WaitVisible(chromedp.ID("username")))
	if got := b.text(".notice"); got != "You have signed out." {
		t.Errorf("notice after sign-out = %q, want %q", got, "You have signed out.")
	}
	b.open(inst.URL+"/", "#username")
	b.screenshot("after-sign-out")
}
