package web

import (
	"io/fs"
	"regexp"
	"testing"
)

// The Content-Security-Policy allows styles from the stylesheet only (style-src 'self'): an inline
// style= attribute or a <style> element is ignored by the browser, so none may remain in a template.
func TestTemplatesHaveNoInlineStyles(t *testing.T) {
	inline := regexp.MustCompile(`(?i)(\sstyle\s*=|<style[\s>])`)
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("no templates (%v)", err)
	}
	for _, n := range names {
		b, err := templateFS.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, loc := range inline.FindAllIndex(b, -1) {
			line := 1
			for _, c := range b[:loc[0]] {
				if c == '\n' {
					line++
				}
			}
			t.Errorf("%s:%d: inline style (the CSP blocks it; use a class in static/css/app.css)", n, line)
		}
	}
}
