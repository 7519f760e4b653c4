// Package curriculum loads, validates and renders the course modules under content/curriculum (see
// content/FORMAT.md). Everything is parsed and rendered once, by Load, and kept in memory.
package curriculum

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Limits from content/FORMAT.md.
const (
	Days             = 10   // day-01 … day-10
	MinModulesPerDay = 4    // modules in every day
	MinDayWords      = 1800 // body words per day ("about 2,000", allowing for markup)
	MinMinutes       = 5
	MaxMinutes       = 240
	MinObjectives    = 2
	MaxObjectives    = 6
	MinCheckItems    = 3
	MaxCheckItems    = 5
	MinCheckOptions  = 2
	MaxCheckOptions  = 5

	// LearnPath and MediaPath prefix the site URLs that module links and media resolve to.
	LearnPath = "/learn/"
	MediaPath = "/media/content/"
)

// Sections every module body must contain, as level-2 headings.
var RequiredSections = []string{"Discussion prompts", "Activity"}

// CheckItem is one knowledge-check question; Answer is the zero-based index of the right option.
type CheckItem struct {
	Prompt   string
	Options  []string
	Answer   int
	Feedback string
	Line     int // the item's line in the module file, for content check
}

// Module is one rendered curriculum module.
type Module struct {
	Day, Order int
	Slug       string
	Title      string
	File       string // path in the content file system, e.g. curriculum/day-01/01-welcome.md
	Minutes    int
	Objectives []string
	Media      []string // paths under media/
	Handouts   []*Handout
	Check      []CheckItem
	HTML       template.HTML // the sanitised body
	TOC        []Heading     // h2 and h3 headings of the body
	Words      int           // words of body text
	Text       string        // plain body text (no markup), for content check

	base string // URL prefix of the module's page: LearnPath, or a course's (LoadModules)
}

// URL is the module's page on the site.
func (m *Module) URL() string { return m.urlBase() + m.Slug }

func (m *Module) urlBase() string {
	if m.base == "" {
		return LearnPath
	}
	return m.base
}

// Day is one training day and its modules in order. Timetable is nil when the day has none.
type Day struct {
	Number    int
	Modules   []*Module
	Timetable *Timetable
}

// Words is the number of body words in the day's modules.
func (d Day) Words() int {
	n := 0
	for _, m := range d.Modules {
		n += m.Words
	}
	return n
}

// Minutes is the estimated time of the day's modules.
func (d Day) Minutes() int {
	n := 0
	for _, m := range d.Modules {
		n += m.Minutes
	}
	return n
}

// Curriculum is the whole course.
type Curriculum struct {
	Days    []Day
	Version string // first 16 hex digits of a SHA-256 over every file under curriculum/ and media/
	Words   int

	modules []*Module
	bySlug  map[string]*Module
}

// Module finds a module by slug.
func (c *Curriculum) Module(slug string) (*Module, bool) {
	m, ok := c.bySlug[slug]
	return m, ok
}

// Modules lists every module by day, then order.
func (c *Curriculum) Modules() []*Module { return slices.Clone(c.modules) }

// Neighbours returns the modules before and after slug in course order (nil at either end or
// when slug is unknown).
func (c *Curriculum) Neighbours(slug string) (prev, next *Module) {
	i := slices.IndexFunc(c.modules, func(m *Module) bool { return m.Slug == slug })
	if i < 0 {
		return nil, nil
	}
	if i > 0 {
		prev = c.modules[i-1]
	}
	if i+1 < len(c.modules) {
		next = c.modules[i+1]
	}
	return prev, next
}

// TotalMinutes is the estimated time of the whole course.
func (c *Curriculum) TotalMinutes() int {
	n := 0
	for _, m := range c.modules {
		n += m.Minutes
	}
	return n
}

var (
	dayDirRE     = regexp.MustCompile(`^day-(\d\d)$`)
	moduleFileRE = regexp.MustCompile(`^(\d\d)-[a-z0-9-]+\.md$`)
	slugRE       = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// frontMatter is the YAML at the top of a module file.
type frontMatter struct {
	Title      string      `yaml:"title"`
	Slug       string      `yaml:"slug"`
	Day        *int        `yaml:"day"`
	Order      *int        `yaml:"order"`
	Minutes    *int        `yaml:"minutes"`
	Objectives []string    `yaml:"objectives"`
	Media      []string    `yaml:"media"`
	Handouts   []string    `yaml:"handouts"`
	Check      []checkYAML `yaml:"check"`
}

type checkYAML struct {
	Prompt   string   `yaml:"prompt"`
	Options  []string `yaml:"options"`
	Answer   *int     `yaml:"answer"`
	Feedback string   `yaml:"feedback"`
}

// source is a module file during loading.
type source struct {
	m        *Module
	fileNum  int
	fm       frontMatter
	fmOK     bool // front matter decoded cleanly
	lines    YAMLLines
	body     []byte
	bodyLine int
	prob     problems
}

func (s *source) lineAt(off int) int {
	if off < 0 || off > len(s.body) {
		return s.bodyLine
	}
	return s.bodyLine + bytes.Count(s.body[:off], []byte("\n"))
}

// Load reads, validates and renders the curriculum in fsys, which holds curriculum/day-NN/*.md and
// media/**. It returns what it could load together with every problem found; the curriculum is
// only fit to serve when there are no problems.
func Load(fsys fs.FS) (*Curriculum, []Problem) {
	var ps []Problem
	c := &Curriculum{bySlug: map[string]*Module{}, Version: version(fsys)}

	entries, err := fs.ReadDir(fsys, "curriculum")
	if err != nil {
		return c, []Problem{{File: "curriculum", Msg: "cannot read the curriculum folder: " + err.Error()}}
	}
	days := map[int][]*source{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || name == CourseFile && !e.IsDir() {
			continue // course.yaml is the course's front matter, read by the catalogue
		}
		dir := "curriculum/" + name
		sm := dayDirRE.FindStringSubmatch(name)
		n := 0
		if sm != nil {
			n, _ = strconv.Atoi(sm[1])
		}
		if !e.IsDir() || n < 1 || n > Days {
			ps = append(ps, Problem{File: dir, Msg: fmt.Sprintf("unexpected entry: the curriculum holds only the folders day-01 … day-%02d", Days)})
			continue
		}
		days[n] = readDay(fsys, dir, &ps)
	}

	// Parse every front matter first, so that links can be resolved while rendering.
	byFile := map[string]*source{}
	var all []*source
	for d := 1; d <= Days; d++ {
		for _, s := range days[d] {
			s.m.Day = d
			parseFrontMatter(fsys, s, d)
			byFile[s.m.File] = s
			all = append(all, s)
		}
	}
	slices.SortFunc(all, func(a, b *source) int {
		return cmp.Or(cmp.Compare(a.m.Day, b.m.Day), cmp.Compare(a.fileNum, b.fileNum), cmp.Compare(a.m.File, b.m.File))
	})

	indexAndRender(fsys, c, all, byFile, &ps)

	// Days: all present, enough modules, enough words; file numbers unique within a day.
	for d := 1; d <= Days; d++ {
		dir := fmt.Sprintf("curriculum/day-%02d", d)
		srcs, ok := days[d]
		if !ok {
			ps = append(ps, Problem{File: dir, Msg: fmt.Sprintf("day %d is missing", d)})
			continue
		}
		day := Day{Number: d}
		seen := map[int]string{}
		for _, s := range all {
			if s.m.Day != d {
				continue
			}
			if other, dup := seen[s.fileNum]; dup {
				s.prob.add(0, "file number %02d is also used by %s; each module needs its own order", s.fileNum, path.Base(other))
			}
			seen[s.fileNum] = s.m.File
			day.Modules = append(day.Modules, s.m)
			c.modules = append(c.modules, s.m)
		}
		parsed := !slices.ContainsFunc(srcs, func(s *source) bool { return s.body == nil })
		if len(srcs) < MinModulesPerDay {
			ps = append(ps, Problem{File: dir, Msg: fmt.Sprintf("day %d has %d modules; at least %d are required", d, len(srcs), MinModulesPerDay)})
		} else if w := day.Words(); parsed && w < MinDayWords {
			ps = append(ps, Problem{File: dir, Msg: fmt.Sprintf("day %d has %d words of body text; about 2,000 are expected (at least %d)", d, w, MinDayWords)})
		}
		day.Timetable = loadTimetable(fsys, day, &ps)
		c.Words += day.Words()
		c.Days = append(c.Days, day)
	}
	checkCourseTotal(c, &ps)
	checkMedia(fsys, &ps)
	SortProblems(ps)
	return c, ps
}

// indexAndRender indexes the modules by slug (slugs are unique within c) and renders their bodies,
// resolving links between them.
func indexAndRender(fsys fs.FS, c *Curriculum, all []*source, byFile map[string]*source, ps *[]Problem) {
	slugFile := map[string]string{}
	for _, s := range all {
		if s.m.Slug == "" || !slugRE.MatchString(s.m.Slug) {
			continue
		}
		if other, dup := slugFile[s.m.Slug]; dup {
			s.prob.add(s.lines.Line("slug"), "slug %q is already used by %s", s.m.Slug, other)
			continue
		}
		slugFile[s.m.Slug] = s.m.File
		c.bySlug[s.m.Slug] = s.m
	}
	hs := &handouts{fsys: fsys, rendered: map[string]*Handout{}, ps: ps}
	for _, s := range all {
		if s.body != nil {
			renderModule(fsys, s, byFile, hs)
		}
	}
}

// Files a course folder holds besides its modules (see LoadModules).
const (
	CourseFile     = "course.yaml"
	AssessmentFile = "assessment.yaml"
)

// LoadModules reads, validates and renders the modules of one catalogue course: the files
// dir/NN-slug.md, in the curriculum module format without day: (order: matches NN). base prefixes
// the modules' page URLs (links between them resolve to base + slug). The returned Curriculum has
// no days; its Modules are in file order and Words counts them all.
func LoadModules(fsys fs.FS, dir, base string) (*Curriculum, []Problem) {
	var ps []Problem
	c := &Curriculum{bySlug: map[string]*Module{}}
	all := readDay(fsys, dir, &ps, CourseFile, AssessmentFile)
	byFile := map[string]*source{}
	for _, s := range all {
		s.m.base = base
		parseFrontMatter(fsys, s, 0)
		byFile[s.m.File] = s
	}
	slices.SortFunc(all, func(a, b *source) int {
		return cmp.Or(cmp.Compare(a.fileNum, b.fileNum), cmp.Compare(a.m.File, b.m.File))
	})
	indexAndRender(fsys, c, all, byFile, &ps)
	seen := map[int]string{}
	for _, s := range all {
		if other, dup := seen[s.fileNum]; dup {
			s.prob.add(0, "file number %02d is also used by %s; each module needs its own order", s.fileNum, path.Base(other))
		}
		seen[s.fileNum] = s.m.File
		c.modules = append(c.modules, s.m)
		c.Words += s.m.Words
	}
	SortProblems(ps)
	return c, ps
}

// readDay lists the module files of one day folder.
func readDay(fsys fs.FS, dir string, ps *[]Problem, skip ...string) []*source {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		*ps = append(*ps, Problem{File: dir, Msg: "cannot read the folder: " + err.Error()})
		return []*source{}
	}
	out := []*source{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		file := dir + "/" + name
		if (name == TimetableName || slices.Contains(skip, name)) && !e.IsDir() {
			continue // read with the day's modules, or by the catalogue
		}
		sm := moduleFileRE.FindStringSubmatch(name)
		if e.IsDir() || sm == nil {
			*ps = append(*ps, Problem{File: file, Msg: "unexpected entry: module files are named NN-words.md (for example 01-what-peer-support-is.md)"})
			continue
		}
		n, _ := strconv.Atoi(sm[1])
		out = append(out, &source{m: &Module{File: file}, fileNum: n, prob: problems{file: file, list: ps}})
	}
	return out
}

// parseFrontMatter splits a module file and decodes and validates its front matter.
func parseFrontMatter(fsys fs.FS, s *source, day int) {
	src, err := fs.ReadFile(fsys, s.m.File)
	if err != nil {
		s.prob.add(0, "cannot read: %v", err)
		return
	}
	fm, body, bodyLine, err := SplitFrontMatter(src)
	if err != nil {
		s.prob.add(1, "%v", err)
		if !bytes.HasPrefix(bytes.TrimSpace(src), []byte("---")) {
			s.body, s.bodyLine = src, 1 // no front matter at all: still check the body
		}
		return
	}
	s.body, s.bodyLine = body, bodyLine
	s.lines = NewYAMLLines(fm, 2)
	s.m.Order = s.fileNum
	decodeProblems := DecodeYAML(s.m.File, fm, 2, &s.fm)
	// Keep what did decode (a module with an unknown key still has its slug, so links to it
	// resolve), but validate only front matter that decoded cleanly, to avoid echo problems.
	s.m.Title, s.m.Slug = strings.TrimSpace(s.fm.Title), s.fm.Slug
	if len(decodeProblems) > 0 {
		*s.prob.list = append(*s.prob.list, decodeProblems...)
		return
	}
	s.fmOK = true
	validateFrontMatter(s, day)
}

func validateFrontMatter(s *source, day int) {
	f, l, p := &s.fm, s.lines, s.prob
	m := s.m
	m.Title, m.Slug = strings.TrimSpace(f.Title), f.Slug
	m.Objectives, m.Media = f.Objectives, f.Media

	switch {
	case m.Title == "":
		p.add(l.Line("title"), "title is required")
	case strings.ContainsAny(m.Title, "\r\n"):
		p.add(l.Line("title"), "title must be a single line of plain text")
	}
	switch {
	case f.Slug == "":
		p.add(l.Line("slug"), "slug is required")
	case !slugRE.MatchString(f.Slug):
		p.add(l.Line("slug"), "slug %q may contain only lowercase letters, digits and hyphens ([a-z0-9-]+)", f.Slug)
	}
	switch {
	case day == 0:
		if f.Day != nil {
			p.add(l.Line("day"), "day is not used in course modules (only the ten-day curriculum has days)")
		}
	case f.Day == nil:
		p.add(l.Line("day"), "day is required")
	case *f.Day != day:
		p.add(l.Line("day"), "day is %d but the module is in the folder day-%02d", *f.Day, day)
	}
	switch {
	case f.Order == nil:
		p.add(l.Line("order"), "order is required")
	case *f.Order != s.fileNum:
		p.add(l.Line("order"), "order is %d but the file name starts with %02d", *f.Order, s.fileNum)
	}
	switch {
	case f.Minutes == nil:
		p.add(l.Line("minutes"), "minutes is required")
	case *f.Minutes < MinMinutes || *f.Minutes > MaxMinutes:
		p.add(l.Line("minutes"), "minutes is %d; it must be between %d and %d", *f.Minutes, MinMinutes, MaxMinutes)
	default:
		m.Minutes = *f.Minutes
	}
	if n := len(f.Objectives); n < MinObjectives || n > MaxObjectives {
		p.add(l.Line("objectives"), "objectives: %d given; a module needs %d to %d", n, MinObjectives, MaxObjectives)
	}
	for i, o := range f.Objectives {
		if strings.TrimSpace(o) == "" {
			p.add(l.Line("objectives", i), "objective %d is empty", i+1)
		}
	}
	for i, md := range f.Media {
		if !validMediaPath(md) {
			p.add(l.Line("media", i), "media entry %q must be a clean path under media/, such as day-05/diagram.svg", md)
		}
	}
	if n := len(f.Check); n < MinCheckItems || n > MaxCheckItems {
		p.add(l.Line("check"), "check: %d items given; a module needs %d to %d", n, MinCheckItems, MaxCheckItems)
	}
	for i, q := range f.Check {
		item := CheckItem{Prompt: strings.TrimSpace(q.Prompt), Options: q.Options, Feedback: strings.TrimSpace(q.Feedback), Line: l.Line("check", i)}
		at := func(key string) int { return l.Line("check", i, key) }
		n := i + 1
		if item.Prompt == "" {
			p.add(at("prompt"), "check item %d: prompt is required", n)
		}
		if k := len(q.Options); k < MinCheckOptions || k > MaxCheckOptions {
			p.add(at("options"), "check item %d: %d options given; an item needs %d to %d", n, k, MinCheckOptions, MaxCheckOptions)
		}
		for j, o := range q.Options {
			if strings.TrimSpace(o) == "" {
				p.add(at("options"), "check item %d: option %d is empty", n, j+1)
			} else if slices.Index(q.Options, o) < j {
				p.add(at("options"), "check item %d: option %d repeats %q", n, j+1, o)
			}
		}
		switch {
		case q.Answer == nil:
			p.add(at("answer"), "check item %d: answer is required", n)
		case *q.Answer < 0 || *q.Answer >= len(q.Options):
			p.add(at("answer"), "check item %d: answer %d is not an option index (0 to %d)", n, *q.Answer, len(q.Options)-1)
		default:
			item.Answer = *q.Answer
		}
		if item.Feedback == "" {
			p.add(at("feedback"), "check item %d: feedback is required", n)
		}
		m.Check = append(m.Check, item)
	}
}

func validMediaPath(p string) bool {
	return p != "" && fs.ValidPath(p) && path.Clean(p) == p && !strings.HasPrefix(p, "../")
}

type mediaRef struct {
	path string
	line int
}

// renderModule renders the body, resolving links, and checks the body's structure and media.
func renderModule(fsys fs.FS, s *source, byFile map[string]*source, hs *handouts) {
	var refs []mediaRef
	resolve := func(dest string, off int) (string, bool) {
		line := s.lineAt(off)
		if rest, ok := strings.CutPrefix(dest, "media/"); ok {
			refs = append(refs, mediaRef{rest, line})
			if !validMediaPath(rest) || !fileExists(fsys, "media/"+rest) {
				return "", false
			}
			if isHandout(rest) {
				return s.m.urlBase() + s.m.Slug + "/handouts/" + rest, true
			}
			return MediaPath + rest, true
		}
		if strings.HasSuffix(dest, ".md") {
			target := path.Join(path.Dir(s.m.File), dest)
			if t, ok := byFile[target]; ok { // a bad slug is reported with its own module
				return t.m.URL(), true
			}
			s.prob.add(line, "link %q does not lead to a module file", dest)
			return "", false
		}
		s.prob.add(line, "link %q is neither a module (.md) nor media/…; outside pages need an absolute https:// address", dest)
		return "", false
	}
	out, err := render(s.body, resolve)
	if err != nil {
		s.prob.add(s.bodyLine, "cannot render the body: %v", err)
		return
	}
	s.m.HTML, s.m.TOC, s.m.Words, s.m.Text = out.HTML, out.TOC, out.Words, out.Text

	for _, h := range out.headings {
		if h.Level == 1 {
			s.prob.add(s.lineAt(h.Offset), "level-1 heading %q: the body starts at ## (the title is the page's h1)", h.Text)
		}
	}
	for _, want := range RequiredSections {
		if !slices.ContainsFunc(out.headings, func(h headingAt) bool { return h.Level == 2 && h.Text == want }) {
			s.prob.add(0, "missing the section \"## %s\"", want)
		}
	}
	for _, off := range out.rawHTML {
		s.prob.add(s.lineAt(off), "raw HTML is not allowed in module bodies (it is not rendered)")
	}

	// Media: every front-matter entry exists and is used; every body reference is listed.
	if !s.fmOK {
		return
	}
	checkHandouts(s, refs, hs)
	for i, md := range s.fm.Media {
		if !validMediaPath(md) {
			continue // reported with the front matter
		}
		line := s.lines.Line("media", i)
		if isHandout(md) {
			s.prob.add(line, "media entry %q is a handout: list it under handouts:", md)
			continue
		}
		if !fileExists(fsys, "media/"+md) {
			s.prob.add(line, "media file media/%s does not exist", md)
		}
		if !slices.ContainsFunc(refs, func(r mediaRef) bool { return r.path == md }) {
			s.prob.add(line, "media entry %q is not used in the body", md)
		}
	}
	reported := map[string]bool{}
	for _, r := range refs {
		if reported[r.path] || slices.Contains(s.fm.Media, r.path) || isHandout(r.path) {
			continue
		}
		reported[r.path] = true
		switch {
		case !validMediaPath(r.path):
			s.prob.add(r.line, "media path %q must be a clean path under media/", "media/"+r.path)
		case !fileExists(fsys, "media/"+r.path):
			s.prob.add(r.line, "media file media/%s does not exist (and is not listed under media: in the front matter)", r.path)
		default:
			s.prob.add(r.line, "the body uses media/%s but the front matter's media: list does not name it", r.path)
		}
	}
}

func fileExists(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return err == nil && !st.IsDir()
}

// version hashes the path and content of every file under curriculum/ and media/ in sorted order.
func version(fsys fs.FS) string {
	var files []string
	for _, root := range []string{"curriculum", "media"} {
		_ = fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return nil
		})
	}
	slices.Sort(files)
	h := sha256.New()
	var n [8]byte
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			continue
		}
		h.Write([]byte(f))
		h.Write([]byte{0})
		binary.BigEndian.PutUint64(n[:], uint64(len(data)))
		h.Write(n[:])
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
