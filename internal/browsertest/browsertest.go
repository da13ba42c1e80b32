// Package browsertest drives headless Chromium (chromedp) for Nuri's browser
// tests: it skips unless NURI_BROWSER_TESTS=1, finds the browser, starts it
// with a fresh profile and the flags this sandbox needs, and runs named steps
// that save a screenshot and the page text when they fail.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Act is one browser action.
type Act = chromedp.Action[chromedp.Void]

// Enabled skips t unless NURI_BROWSER_TESTS=1.
func Enabled(t *testing.T) {
	t.Helper()
	if os.Getenv("NURI_BROWSER_TESTS") != "1" {
		t.Skip("browser tests are off: set NURI_BROWSER_TESTS=1 (needs Chromium)")
	}
}

// Artifacts returns the folder for screenshots: $NURI_ARTIFACTS, else a new
// temporary folder named with prefix.
func Artifacts(t *testing.T, prefix string) string {
	t.Helper()
	dir := os.Getenv("NURI_ARTIFACTS")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", prefix); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// ChromiumPath is $NURI_CHROMIUM or the first Chromium or Chrome on PATH.
func ChromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NURI_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("NURI_BROWSER_TESTS=1 but no Chromium found: install it or set NURI_CHROMIUM")
	return ""
}

// Start launches headless Chromium with a fresh profile; the returned context
// ends after timeout.
func Start(t *testing.T, timeout time.Duration) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	ctx, cancelTime := context.WithTimeout(ctx, timeout)
	return ctx, func() { cancelTime(); cancelCtx(); cancelAlloc() }
}

// Driver runs steps in one browser tab.
type Driver struct {
	t         *testing.T
	ctx       context.Context
	artifacts string
}

// NewDriver drives the tab of ctx, saving screenshots in artifacts.
func NewDriver(t *testing.T, ctx context.Context, artifacts string) *Driver {
	return &Driver{t: t, ctx: ctx, artifacts: artifacts}
}

// Step runs actions; on failure it saves failed-NAME.png and fails the test
// with the page's text.
func (d *Driver) Step(name string, actions ...Act) {
	d.t.Helper()
	if err := chromedp.Do(d.ctx, actions...); err != nil {
		sctx, c := context.WithTimeout(d.ctx, 5*time.Second)
		if buf, err := chromedp.Run(sctx, chromedp.CaptureScreenshot()); err == nil {
			_ = os.WriteFile(filepath.Join(d.artifacts, "failed-"+name+".png"), buf, 0o644)
		}
		text, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ''`))
		c()
		d.t.Fatalf("%s: %v\npage text:\n%s", name, err, text)
	}
}

// Shot saves a screenshot as NAME.png.
func (d *Driver) Shot(name string) Act {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		buf, err := chromedp.CaptureScreenshot()(ctx, tg)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(d.artifacts, name+".png"), buf, 0o644)
	})
}

// Until waits up to timeout for a JavaScript condition to hold.
func Until(expr string, timeout time.Duration) Act {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout))
}

// JS evaluates a JavaScript expression for its effect.
func JS(expr string) Act { return chromedp.Evaluate[chromedp.Void](expr) }

// Click waits for the first element matching a CSS selector and clicks it
// from JavaScript, looking it up at the moment of the click. Unlike a
// DevTools mouse click on a node resolved earlier, it cannot fail because the
// page re-rendered that element in between.
func Click(selector string) Act {
	q := fmt.Sprintf("document.querySelector(%q)", selector)
	return chromedp.Steps(Until(q+" !== null", 15*time.Second), JS(q+".click()"))
}
