package e2e

import (
	"context"
	"strings"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Every page the suite loads is checked twice over, by load itself: it must render without
// Content-Security-Policy violations (styles or scripts the policy blocks, which the browser drops
// silently), and it must fit a 390 px wide phone without scrolling sideways.

// phoneWidth is the narrowest common phone viewport, in CSS pixels.
const phoneWidth = 390

// cspRecorderJS runs in every document before the page's own scripts (it is added through the
// DevTools protocol, which the policy does not govern) and keeps the violations the page reports.
const cspRecorderJS = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    (e.sample ? " (" + e.sample + ")" : "") + (e.lineNumber ? " at line " + e.lineNumber : ""));
});`

// recordCSPViolations installs cspRecorderJS for every document the tab loads from now on.
func recordCSPViolations() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorderJS})
		return err
	})
}

// overflowJS measures the page at the current viewport: how much wider than the viewport the
// document is, and the elements that stick out to the right (for the failure message).
const overflowJS = `(() => {
  const vw = document.documentElement.clientWidth;
  const out = [];
  if (document.documentElement.scrollWidth > vw) {
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.right > vw + 1 && r.width > 0 && getComputedStyle(el).position !== "fixed") {
        let inScroller = false;
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
          const ox = getComputedStyle(p).overflowX;
          if ((ox === "auto" || ox === "scroll" || ox === "hidden") && p.getBoundingClientRect().right <= vw + 1) { inScroller = true; break; }
        }
        if (!inScroller) out.push("<" + el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className ? "." + String(el.className).replace(/ /g, ".") : "") + "> right edge " + Math.round(r.right) + " px");
      }
      if (out.length >= 5) break;
    }
  }
  return {width: document.documentElement.scrollWidth, viewport: vw, culprits: out};
})()`

type overflow struct {
	Width    int      `json:"width"`
	Viewport int      `json:"viewport"`
	Culprits []string `json:"culprits"`
}

// checkPage runs the two checks on the page just loaded; what names it in failures.
func (b *browser) checkPage(what string) {
	b.t.Helper()
	if ct := run(b, what+": content type", chromedp.Evaluate[string](`document.contentType`)); ct != "text/html" {
		return // a PDF or a download: nothing laid out by the app
	}
	if v := run(b, what+": CSP violations", chromedp.Evaluate[[]string](`window.__cspViolations || []`)); len(v) > 0 {
		b.t.Errorf("%s: the Content-Security-Policy blocked %d thing(s): %s", what, len(v), strings.Join(v, "; "))
	}
	b.do(what+": phone width", chromedp.EmulateViewport(phoneWidth, 844))
	o := run(b, what+": measure at phone width", chromedp.Evaluate[overflow](overflowJS))
	b.do(what+": desktop width", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	}))
	if o.Width > o.Viewport {
		b.t.Errorf("%s: at %d px wide the page is %d px wide (scrolls sideways); sticking out: %s", what, phoneWidth, o.Width, strings.Join(o.Culprits, ", "))
	}
}
