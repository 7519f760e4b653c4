package curriculum

import (
	"bytes"
	"html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// HandoutExt is the extension of handouts: markdown files under media/ that a module lists under
// handouts: and links from its body; the site renders them as printable pages.
const HandoutExt = ".md"

// Handout is a rendered handout.
type Handout struct {
	Path  string // under media/, e.g. day-09/safety-plan.md
	Title string // its first heading, or the file name
	HTML  template.HTML
}

// HandoutURL is the page of a handout as part of a module: reading it takes the same permission as
// reading the module.
func HandoutURL(slug, p string) string { return LearnPath + slug + "/handouts/" + p }

// Handout finds one of the module's handouts by path.
func (m *Module) Handout(p string) (*Handout, bool) {
	i := slices.IndexFunc(m.Handouts, func(h *Handout) bool { return h.Path == p })
	if i < 0 {
		return nil, false
	}
	return m.Handouts[i], true
}

// isHandout reports whether a media path names a handout.
func isHandout(p string) bool { return strings.EqualFold(path.Ext(p), HandoutExt) }

// handouts renders each handout file once, however many modules list it.
type handouts struct {
	fsys     fs.FS
	rendered map[string]*Handout
	ps       *[]Problem
}

// get renders media/p, reporting its own problems (unreadable, empty, links it may not hold) at the
// handout file once; nil when it cannot be shown.
func (hs *handouts) get(p string) *Handout {
	if h, done := hs.rendered[p]; done {
		return h
	}
	hs.rendered[p] = nil
	file := "media/" + p
	src, err := fs.ReadFile(hs.fsys, file)
	if err != nil {
		return nil // the module reports a missing handout
	}
	prob := problems{file: file, list: hs.ps}
	if len(bytes.TrimSpace(src)) == 0 {
		prob.add(0, "the handout is empty")
		return nil
	}
	resolve := func(dest string, off int) (string, bool) {
		line := 1 + bytes.Count(src[:max(min(off, len(src)), 0)], []byte("\n"))
		if rest, ok := strings.CutPrefix(dest, "media/"); ok && !isHandout(rest) && validMediaPath(rest) && fileExists(hs.fsys, "media/"+rest) {
			return MediaPath + rest, true
		}
		prob.add(line, "link %q: a handout may link only to media files (media/…) and outside https:// pages", dest)
		return "", false
	}
	out, err := render(src, resolve)
	if err != nil {
		prob.add(0, "cannot render: %v", err)
		return nil
	}
	h := &Handout{Path: p, Title: strings.TrimSuffix(path.Base(p), HandoutExt), HTML: out.HTML}
	if len(out.headings) > 0 {
		h.Title = out.headings[0].Text
	}
	hs.rendered[p] = h
	return h
}

// checkHandouts validates a module's handouts: each listed one is a markdown file under media/ that
// exists, is not empty and is linked from the body; each handout the body links to is listed.
func checkHandouts(s *source, refs []mediaRef, hs *handouts) {
	for i, p := range s.fm.Handouts {
		line := s.lines.Line("handouts", i)
		switch {
		case !validMediaPath(p) || !isHandout(p):
			s.prob.add(line, "handout %q must be a clean path of a markdown file under media/, such as day-09/safety-plan.md", p)
			continue
		case !fileExists(hs.fsys, "media/"+p):
			s.prob.add(line, "handout media/%s does not exist", p)
			continue
		case !slices.ContainsFunc(refs, func(r mediaRef) bool { return r.path == p }):
			s.prob.add(line, "handout %q is not linked from the body", p)
		}
		if h := hs.get(p); h != nil {
			s.m.Handouts = append(s.m.Handouts, h)
		}
	}
	reported := map[string]bool{}
	for _, r := range refs {
		if !isHandout(r.path) || reported[r.path] || slices.Contains(s.fm.Handouts, r.path) {
			continue
		}
		reported[r.path] = true
		s.prob.add(r.line, "the body links to the handout media/%s but the front matter's handouts: list does not name it", r.path)
	}
}
