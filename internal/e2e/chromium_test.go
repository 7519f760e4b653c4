package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// actionTimeout bounds every browser action, so that a hang fails the test instead of blocking it.
const actionTimeout = 30 * time.Second

// startTimeout bounds the start of the browser.
const startTimeout = 60 * time.Second

// chromiumPath returns the browser binary: PEERACADEMY_CHROMIUM, or Debian's /usr/bin/chromium.
// Without it the test skips locally and fails in CI, where a missing browser is an error. It never
// downloads a browser.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p := os.Getenv("PEERACADEMY_CHROMIUM")
	if p == "" {
		p = "/usr/bin/chromium"
	}
	full, err := exec.LookPath(p)
	if err != nil {
		msg := fmt.Sprintf("no Chromium at %q (%v): install Debian's chromium or set PEERACADEMY_CHROMIUM; scripts/test.sh does both", p, err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return full
}

// startApp builds the real app on dialect d and serves it on a loopback port. It returns the app and
// its base URL (also the BaseURL of the app, so links in mail point at this server).
func startApp(t *testing.T, d dbtest.Dialect) (*apptest.Env, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() }) // if the app fails to build; after Shutdown it is a no-op
	base := "http://" + ln.Addr().String()
	env := apptest.New(t, d, func(c *config.Config) { c.BaseURL = base })

	served := make(chan error, 1)
	go func() { served <- env.App.Fiber.Listener(ln) }()
	t.Cleanup(func() {
		if err := env.App.Fiber.ShutdownWithTimeout(10 * time.Second); err != nil {
			t.Errorf("shut the app down: %v", err)
		}
		select {
		case err := <-served:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the server did not stop within 10s")
		}
	})
	return env, base
}

// browser is one headless Chromium with a fresh profile, and one tab in it.
type browser struct {
	t    *testing.T
	ctx  context.Context // the tab; it has run once, so a timeout on a child limits one action only
	base string
}

// newBrowser starts Chromium for the app at base. It is closed when the test ends; its output is
// logged when the test failed.
func newBrowser(t *testing.T, execPath, base string) *browser {
	t.Helper()
	out := &syncBuffer{}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox, // CI runs as root, where Chromium refuses to start with the sandbox
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.CombinedOutput(out),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
		defer ccancel()
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("close Chromium: %v", err)
		}
		cancel()
		acancel() // waits until the process has exited, before t.TempDir removes the profile
		if t.Failed() {
			t.Logf("Chromium output:\n%s", out.tail(8000))
		}
	})

	// The first Run starts the browser; it must not carry a timeout (that would end the browser
	// with it), so it is bounded from outside.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start Chromium %s: %v\n%s", execPath, err, out.tail(4000))
		}
	case <-time.After(startTimeout):
		cancel()
		t.Fatalf("Chromium %s did not start within %s\n%s", execPath, startTimeout, out.tail(4000))
	}
	b := &browser{t: t, ctx: ctx, base: base}
	b.do("record CSP violations", recordCSPViolations())
	return b
}

// run runs one action under actionTimeout and returns its value; an error fails the test.
func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// do runs actions that return nothing, under one actionTimeout.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	run(b, what, chromedp.Steps(steps...))
}

// loaded is a page the browser has just loaded.
type loaded struct {
	Status int64    // HTTP status of the document (after redirects)
	URL    *url.URL // where the browser ended up
}

// load runs steps that make the browser load a page (following a link, submitting a form, pressing
// Enter in a field) and waits for the page.
func (b *browser) load(what string, steps ...chromedp.Action[chromedp.Void]) loaded {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v (browser at %s)\n%s", what, err, b.where(), appGoroutines())
	}
	loc := run(b, what+": location", chromedp.Location())
	u, err := url.Parse(loc)
	if err != nil {
		b.t.Fatalf("%s: location %q: %v", what, loc, err)
	}
	if strings.HasPrefix(loc, b.base) {
		b.checkPage(what)
	}
	// Wait until the new page has been painted: a click dispatched before its first frame was now
	// and then lost (the old page still on screen after 30 s, the server never asked).
	run(b, what+": painted", chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
	return loaded{Status: resp.Status, URL: u}
}

// where is the browser's location, for a failure message ("?" when even that does not answer).
func (b *browser) where() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "? (" + err.Error() + ")"
	}
	return loc
}

// appGoroutines lists the goroutines of this process that are inside the app's own packages (not
// the tests'): when a page does not load, whether a request is stuck in the server, and where.
func appGoroutines() string {
	var buf bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	var out []string
	for _, g := range strings.Split(buf.String(), "\n\n") {
		if strings.Contains(g, "peeracademy/internal/") && !strings.Contains(g, "peeracademy/internal/e2e.") {
			out = append(out, g)
		}
	}
	return "app goroutines:\n" + strings.Join(out, "\n\n")
}

// open navigates to a path of the app (or an absolute URL) as if typed in the address bar.
func (b *browser) open(pathOrURL string) loaded {
	b.t.Helper()
	u := pathOrURL
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	return b.load("open "+u, chromedp.Navigate(u))
}

// text returns the visible text (innerText) of the first element matching a CSS selector.
func (b *browser) text(css string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "text of "+css, chromedp.Text(chromedp.CSS(css))))
}

// value returns the current value of the form control with this id.
func (b *browser) value(id string) string {
	b.t.Helper()
	return run(b, "value of #"+id, chromedp.Value(chromedp.ID(id)))
}

// typeInto focuses the field with this id and types s into it, key by key.
func (b *browser) typeInto(id, s string) {
	b.t.Helper()
	b.do("type into #"+id, chromedp.SendKeys(chromedp.ID(id), s))
}

// screenshot saves a PNG of the whole page as name in the test's temporary directory and, when
// PEERACADEMY_SCREENSHOTS is set, in that directory too. It returns the paths written.
func (b *browser) screenshot(name string) []string {
	b.t.Helper()
	png := run(b, "screenshot", chromedp.FullScreenshot(100))
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		b.t.Fatalf("screenshot %s is not a PNG (%d bytes)", name, len(png))
	}
	dirs := []string{b.t.TempDir()}
	if d := os.Getenv("PEERACADEMY_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	var paths []string
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.t.Logf("screenshot: %s", p)
		paths = append(paths, p)
	}
	return paths
}

// pageFacts are the accessibility basics a script reads from the page.
type pageFacts struct {
	H1s        int      `json:"h1s"`
	Lang       string   `json:"lang"`
	Title      string   `json:"title"`
	SkipLinks  int      `json:"skipLinks"`  // a[href="#main"] before any other focusable element
	MainTarget bool     `json:"mainTarget"` // #main exists and can take focus
	Unlabelled []string `json:"unlabelled"` // visible form controls with no label (for= their id, or wrapping them)
}

const pageFactsJS = `(() => {
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length) &&
    getComputedStyle(el).visibility !== "hidden";
  const focusable = Array.from(document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]"))
    .filter(el => !el.disabled && el.type !== "hidden" && el.tabIndex >= 0);
  const first = focusable[0];
  const main = document.getElementById("main");
  const unlabelled = [];
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden" || !visible(el)) continue;
    const label = (el.id && document.querySelector('label[for="' + CSS.escape(el.id) + '"]')) || el.closest("label"); // for= or wrapping
    if (!label || !label.textContent.trim()) unlabelled.push(el.outerHTML);
  }
  return {
    h1s: document.querySelectorAll("h1").length,
    lang: document.documentElement.lang,
    title: document.title,
    skipLinks: first && first.getAttribute("href") === "#main" ? 1 : 0,
    mainTarget: !!main && main.tabIndex === -1,
    unlabelled: unlabelled,
  };
})()`

// focused describes document.activeElement.
type focused struct {
	Tag          string `json:"tag"`
	ID           string `json:"id"`
	Href         string `json:"href"`
	Text         string `json:"text"`
	ErrorSummary bool   `json:"errorSummary"`
}

const focusedJS = `(() => {
  const el = document.activeElement;
  if (!el) return {};
  return {tag: el.tagName.toLowerCase(), id: el.id, href: el.href || "", text: (el.innerText || "").trim(),
    errorSummary: el.hasAttribute("data-error-summary")};
})()`

func (b *browser) focused(what string) focused {
	b.t.Helper()
	return run(b, what, chromedp.Evaluate[focused](focusedJS))
}

// checkA11y checks the basics on the page just loaded: one h1, a language and a title, a label for
// every visible form control, and a skip link to #main as the first stop of the keyboard. It
// presses Tab once, so call it right after the page loads (focus is where the page put it), and
// before typing. On a page with an error summary, app.js moves focus to the summary; there the
// check expects that, and the first Tab to land on firstField.
func (b *browser) checkA11y(page, firstField string) {
	b.t.Helper()
	f := run(b, page+": page facts", chromedp.Evaluate[pageFacts](pageFactsJS))
	if f.H1s != 1 {
		b.t.Errorf("%s: %d h1 elements, want exactly 1", page, f.H1s)
	}
	if f.Lang == "" {
		b.t.Errorf("%s: <html> has no lang", page)
	}
	if !strings.HasSuffix(f.Title, "· PeerAcademy") {
		b.t.Errorf("%s: title %q", page, f.Title)
	}
	for _, el := range f.Unlabelled {
		b.t.Errorf("%s: visible form control without <label for=...>: %s", page, el)
	}
	if f.SkipLinks != 1 {
		b.t.Errorf("%s: the first focusable element is not the skip link to #main", page)
	}
	if !f.MainTarget {
		b.t.Errorf("%s: no focusable <main id=main tabindex=-1> for the skip link", page)
	}

	before := b.focused(page + ": focus at load")
	b.do(page+": press Tab", chromedp.KeyEvent(kb.Tab))
	after := b.focused(page + ": focus after Tab")
	if firstField == "" {
		if !strings.HasSuffix(after.Href, "#main") {
			b.t.Errorf("%s: Tab from page load focused <%s id=%q href=%q>, want the skip link to #main", page, after.Tag, after.ID, after.Href)
		} else if after.Text != "Skip to main content" {
			b.t.Errorf("%s: skip link text %q", page, after.Text)
		}
		return
	}
	if !before.ErrorSummary {
		b.t.Errorf("%s: focus at load is on <%s id=%q>, want the error summary", page, before.Tag, before.ID)
	}
	if after.ID != firstField {
		b.t.Errorf("%s: Tab from the error summary focused <%s id=%q>, want #%s", page, after.Tag, after.ID, firstField)
	}
}

// syncBuffer collects the browser's output from its goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	return len(p), nil
}

func (s *syncBuffer) tail(n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buf) > n {
		return "…" + string(s.buf[len(s.buf)-n:])
	}
	return string(s.buf)
}
