package curriculum

import (
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peeracademy/peeracademy/content"
)

// The fixture curriculum: ten days of four modules, every one valid. Module D.O lives in
// curriculum/day-0D/0O-m-D-O.md and has this layout (line numbers matter to the tests):
//
//	 1 ---
//	 2 title: Module D.O
//	 3 slug: mod-D-O
//	 4 day: D
//	 5 order: O
//	 6 minutes: 30
//	 7 objectives:
//	 8   - Describe one thing
//	 9   - Explain another thing
//	10 media: []                         (module 1.1: [day-01/pic.svg])
//	11 check:
//	12   - prompt: "Question 1?"         items at lines 12, 16 and 20
//	13     options: ["yes", "no"]
//	14     answer: 0
//	15     feedback: "Because 1."
//	24 ---
//	25 ## Teaching
//	27 Read [the previous part](LINK) when ready.     (module 1.1 adds an image)
//	29 filler words…
//	31 ## Discussion prompts
//	35 ## Activity
//
// Module 1 links to module 2 (with a #fragment), every other module to the one before it, and
// module 1.4 also links across days to module 2.1, so deleting a day's last module or a whole day
// other than 2 breaks no link.
const fillerWords = 460

func moduleFile(day, order int) string {
	return fmt.Sprintf("curriculum/day-%02d/%02d-m-%d-%d.md", day, order, day, order)
}

func moduleSource(day, order int) string {
	var b strings.Builder
	media := "[]"
	if day == 1 && order == 1 {
		media = "[day-01/pic.svg]"
	}
	fmt.Fprintf(&b, "---\ntitle: Module %d.%d\nslug: mod-%d-%d\nday: %d\norder: %d\nminutes: 30\n", day, order, day, order, day, order)
	fmt.Fprintf(&b, "objectives:\n  - Describe one thing\n  - Explain another thing\nmedia: %s\ncheck:\n", media)
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, "  - prompt: \"Question %d?\"\n    options: [\"yes\", \"no\"]\n    answer: 0\n    feedback: \"Because %d.\"\n", i, i)
	}
	link := fmt.Sprintf("%02d-m-%d-%d.md", order-1, day, order-1)
	if order == 1 {
		link = fmt.Sprintf("02-m-%d-2.md#activity", day)
	}
	b.WriteString("---\n## Teaching\n\n")
	fmt.Fprintf(&b, "Read [the previous part](%s) when ready.", link)
	if day == 1 && order == 1 {
		b.WriteString(" ![A small picture](media/day-01/pic.svg)")
	}
	if day == 1 && order == 4 {
		b.WriteString(" Then go on to [day two](../day-02/01-m-2-1.md).")
	}
	b.WriteString("\n\n" + strings.Repeat("word ", fillerWords) + "\n\n")
	b.WriteString("## Discussion prompts\n\n- What did you notice?\n\n## Activity\n\nTalk in pairs.\n")
	return b.String()
}

const testSVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><title>A dot</title><circle cx="5" cy="5" r="4"/></svg>`

func validTree() fstest.MapFS {
	fsys := fstest.MapFS{"media/day-01/pic.svg": {Data: []byte(testSVG)}}
	for d := 1; d <= Days; d++ {
		for o := 1; o <= 4; o++ {
			fsys[moduleFile(d, o)] = &fstest.MapFile{Data: []byte(moduleSource(d, o))}
		}
	}
	return fsys
}

// edit replaces the first old in file with new; the test fails if old is not there.
func edit(t *testing.T, fsys fstest.MapFS, file, old, new string) {
	t.Helper()
	f, ok := fsys[file]
	if !ok || !strings.Contains(string(f.Data), old) {
		t.Fatalf("fixture: %s does not contain %q", file, old)
	}
	f.Data = []byte(strings.Replace(string(f.Data), old, new, 1))
}

func problemStrings(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestLoadValidFixture(t *testing.T) {
	c, ps := Load(validTree())
	if len(ps) > 0 {
		t.Fatalf("problems in the valid fixture:\n%s", strings.Join(problemStrings(ps), "\n"))
	}
	if len(c.Days) != 10 || len(c.Modules()) != 40 {
		t.Fatalf("got %d days, %d modules", len(c.Days), len(c.Modules()))
	}
	m, ok := c.Module("mod-1-1")
	if !ok || m.File != moduleFile(1, 1) || m.Day != 1 || m.Order != 1 || m.Minutes != 30 || len(m.Check) != 3 {
		t.Fatalf("module mod-1-1 = %+v, %v", m, ok)
	}
	for _, want := range []string{
		`<a href="/learn/mod-1-2#activity">the previous part</a>`,
		`<img src="/media/content/day-01/pic.svg" alt="A small picture">`,
		`<h2 id="discussion-prompts">Discussion prompts</h2>`,
	} {
		if !strings.Contains(string(m.HTML), want) {
			t.Errorf("mod-1-1 HTML lacks %s:\n%s", want, m.HTML)
		}
	}
	m4, _ := c.Module("mod-1-4")
	if !strings.Contains(string(m4.HTML), `<a href="/learn/mod-2-1">day two</a>`) {
		t.Errorf("cross-day link not rewritten:\n%s", m4.HTML)
	}
	if m.Words < fillerWords || c.Words != sumWords(c) {
		t.Errorf("words: module %d, curriculum %d", m.Words, c.Words)
	}
	if prev, next := c.Neighbours("mod-1-1"); prev != nil || next == nil || next.Slug != "mod-1-2" {
		t.Errorf("Neighbours(mod-1-1) = %v, %v", prev, next)
	}
	if prev, next := c.Neighbours("mod-1-4"); prev.Slug != "mod-1-3" || next.Slug != "mod-2-1" {
		t.Errorf("Neighbours(mod-1-4) = %s, %s", prev.Slug, next.Slug)
	}
	if prev, next := c.Neighbours("mod-10-4"); prev.Slug != "mod-10-3" || next != nil {
		t.Errorf("Neighbours(mod-10-4) = %v, %v", prev, next)
	}
	if prev, next := c.Neighbours("nope"); prev != nil || next != nil {
		t.Error("Neighbours of an unknown slug")
	}
	if c.TotalMinutes() != 40*30 {
		t.Errorf("TotalMinutes = %d", c.TotalMinutes())
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(c.Version) {
		t.Errorf("Version = %q", c.Version)
	}
	// The version covers media too.
	changed := validTree()
	changed["media/day-01/pic.svg"].Data = []byte(strings.Replace(testSVG, "A dot", "A circle", 1))
	if c2, _ := Load(changed); c2.Version == c.Version {
		t.Error("Version did not change with a media file")
	}
}

func sumWords(c *Curriculum) int {
	n := 0
	for _, d := range c.Days {
		n += d.Words()
	}
	return n
}

func TestLoadProblems(t *testing.T) {
	m11, m12 := moduleFile(1, 1), moduleFile(1, 2)
	runLoadCases(t, validTree, []loadCase{
		{"missing title", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "title: Module 1.1\n", "") },
			[]string{m11 + ":1: title is required"}},
		{"bad slug", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "slug: mod-1-1", "slug: Mod_1") },
			[]string{m11 + `:3: slug "Mod_1" may contain only lowercase letters, digits and hyphens ([a-z0-9-]+)`}},
		{"duplicate slug", func(t *testing.T, f fstest.MapFS) { edit(t, f, m12, "slug: mod-1-2", "slug: mod-1-1") },
			[]string{m12 + `:3: slug "mod-1-1" is already used by ` + m11}},
		{"day mismatch", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "day: 1", "day: 2") },
			[]string{m11 + ":4: day is 2 but the module is in the folder day-01"}},
		{"order mismatch", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "order: 1", "order: 3") },
			[]string{m11 + ":5: order is 3 but the file name starts with 01"}},
		{"minutes out of range", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "minutes: 30", "minutes: 300") },
			[]string{m11 + ":6: minutes is 300; it must be between 5 and 240"}},
		{"too few objectives", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "  - Explain another thing\n", "") },
			[]string{m11 + ":7: objectives: 1 given; a module needs 2 to 6"}},
		{"bad answer index", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "answer: 0", "answer: 5") },
			[]string{m11 + ":14: check item 1: answer 5 is not an option index (0 to 1)"}},
		{"missing feedback", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, `feedback: "Because 2."`, `feedback: ""`) },
			[]string{m11 + ":19: check item 2: feedback is required"}},
		{"too few options", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, `options: ["yes", "no"]`, `options: ["yes"]`) },
			[]string{m11 + ":13: check item 1: 1 options given; an item needs 2 to 5"}},
		{"too few check items", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, m11, "  - prompt: \"Question 3?\"\n    options: [\"yes\", \"no\"]\n    answer: 0\n    feedback: \"Because 3.\"\n", "")
		}, []string{m11 + ":11: check: 2 items given; a module needs 3 to 5"}},
		{"missing Discussion prompts section", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "## Discussion prompts", "## Talking points") },
			[]string{m11 + `: missing the section "## Discussion prompts"`}},
		{"body starts with h1", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "## Teaching", "# Teaching") },
			[]string{m11 + `:25: level-1 heading "Teaching": the body starts at ## (the title is the page's h1)`}},
		{"raw HTML", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "Talk in pairs.", "Talk in <b>pairs</b>.") },
			[]string{
				m11 + ":37: raw HTML is not allowed in module bodies (it is not rendered)",
				m11 + ":37: raw HTML is not allowed in module bodies (it is not rendered)",
			}},
		{"broken internal link", func(t *testing.T, f fstest.MapFS) { edit(t, f, m12, "(01-m-1-1.md)", "(01-nowhere.md)") },
			[]string{m12 + `:27: link "01-nowhere.md" does not lead to a module file`}},
		{"link that is neither module nor media", func(t *testing.T, f fstest.MapFS) { edit(t, f, m12, "(01-m-1-1.md)", "(notes.txt)") },
			[]string{m12 + `:27: link "notes.txt" is neither a module (.md) nor media/…; outside pages need an absolute https:// address`}},
		{"missing media", func(t *testing.T, f fstest.MapFS) { delete(f, "media/day-01/pic.svg") },
			[]string{m11 + ":10: media file media/day-01/pic.svg does not exist"}},
		{"media used but not listed", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "media: [day-01/pic.svg]", "media: []") },
			[]string{
				m11 + ":27: the body uses media/day-01/pic.svg but the front matter's media: list does not name it",
			}},
		{"media listed but not used", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, " ![A small picture](media/day-01/pic.svg)", "") },
			[]string{m11 + `:10: media entry "day-01/pic.svg" is not used in the body`}},
		{"unsafe SVG", func(t *testing.T, f fstest.MapFS) {
			f["media/day-01/pic.svg"].Data = []byte("<svg xmlns=\"http://www.w3.org/2000/svg\">\n<title>x</title>\n<script>alert(1)</script>\n<a href=\"https://evil.example\" onclick=\"x()\"/>\n</svg>")
		}, []string{
			"media/day-01/pic.svg:3: SVG element <script> is not allowed in static media",
			"media/day-01/pic.svg:4: SVG event-handler attribute onclick is not allowed",
			`media/day-01/pic.svg:4: SVG link "https://evil.example" is not allowed; only references inside the file (#id) are`,
		}},
		{"SVG without a title", func(t *testing.T, f fstest.MapFS) {
			f["media/day-01/pic.svg"].Data = []byte(`<svg xmlns="http://www.w3.org/2000/svg"><circle r="1"/></svg>`)
		}, []string{"media/day-01/pic.svg:1: the SVG needs a <title> (and ideally a <desc>) for screen readers"}},
		{"unsupported media type", func(t *testing.T, f fstest.MapFS) { f["media/day-01/run.exe"] = &fstest.MapFile{Data: []byte("MZ")} },
			[]string{`media/day-01/run.exe: unsupported media type ".exe" (allowed: .svg .png .jpg .jpeg .gif .webp .pdf .mp3 .mp4 .webm .vtt .md)`}},
		{"unknown front matter key", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "minutes: 30\n", "minutes: 30\nauthor: Sam\n") },
			[]string{m11 + `:7: invalid YAML: unknown key "author"`}},
		{"malformed YAML", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "day: 1", "day: : 1") },
			[]string{m11 + ":4: invalid YAML: mapping values are not allowed in this context"}},
		{"no front matter", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "---\ntitle", "title") },
			[]string{m11 + `:1: missing front matter: the file must start with a line "---"`}},
		{"missing day", func(t *testing.T, f fstest.MapFS) {
			for o := 1; o <= 4; o++ {
				delete(f, moduleFile(7, o))
			}
		}, []string{"curriculum/day-07: day 7 is missing"}},
		{"day with fewer than 4 modules", func(t *testing.T, f fstest.MapFS) { delete(f, moduleFile(3, 4)) },
			[]string{"curriculum/day-03: day 3 has 3 modules; at least 4 are required"}},
		{"day with too few words", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, moduleFile(4, 2), strings.Repeat("word ", fillerWords), strings.Repeat("word ", 100))
		}, []string{"curriculum/day-04: day 4 has 1548 words of body text; about 2,000 are expected (at least 1800)"}},
		{"unexpected folder and file", func(t *testing.T, f fstest.MapFS) {
			f["curriculum/day-11/01-x.md"] = &fstest.MapFile{Data: []byte("x")}
			f["curriculum/day-02/notes.md"] = &fstest.MapFile{Data: []byte("x")}
		}, []string{
			"curriculum/day-02/notes.md: unexpected entry: module files are named NN-words.md (for example 01-what-peer-support-is.md)",
			"curriculum/day-11: unexpected entry: the curriculum holds only the folders day-01 … day-10",
		}},
		{"two modules with one number", func(t *testing.T, f fstest.MapFS) {
			f["curriculum/day-05/04-another.md"] = &fstest.MapFile{Data: []byte(strings.Replace(moduleSource(5, 4), "mod-5-4", "another", 1))}
		}, []string{"curriculum/day-05/04-m-5-4.md: file number 04 is also used by 04-another.md; each module needs its own order"}},
	})
}

// loadCase is a fixture mutation and the problems Load must report for it, exactly.
type loadCase struct {
	name   string
	mutate func(t *testing.T, fsys fstest.MapFS)
	want   []string
}

func runLoadCases(t *testing.T, tree func() fstest.MapFS, cases []loadCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			fsys := tree()
			tt.mutate(t, fsys)
			_, ps := Load(fsys)
			if got := problemStrings(ps); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	if s := (Problem{File: "a.md", Line: 3, Msg: "bad"}).String(); s != "a.md:3: bad" {
		t.Error(s)
	}
	if s := (Problem{File: "a.md", Msg: "bad"}).String(); s != "a.md: bad" {
		t.Error(s)
	}
	ps := []Problem{{"b", 1, "x"}, {"a", 9, "y"}, {"a", 2, "z"}}
	SortProblems(ps)
	if got := problemStrings(ps); !slices.Equal(got, []string{"a:2: z", "a:9: y", "b:1: x"}) {
		t.Error(got)
	}
}

func TestSplitFrontMatter(t *testing.T) {
	tests := []struct {
		src, fm, body string
		bodyLine      int
		err           bool
	}{
		{"---\na: 1\n---\nbody\n", "a: 1\n", "body\n", 4, false},
		{"\ufeff---\r\na: 1\r\n---\r\nbody", "a: 1\r\n", "body", 4, false},
		{"---\n---\n", "", "", 3, false},
		{"---\n---", "", "", 3, false},
		{"---\na: 1\n", "", "", 0, true},
		{"# no front matter\n", "", "", 0, true},
		{"", "", "", 0, true},
	}
	for _, tt := range tests {
		fm, body, line, err := SplitFrontMatter([]byte(tt.src))
		if (err != nil) != tt.err || string(fm) != tt.fm || string(body) != tt.body || line != tt.bodyLine {
			t.Errorf("SplitFrontMatter(%q) = %q, %q, %d, %v", tt.src, fm, body, line, err)
		}
	}
}

func TestRenderSanitises(t *testing.T) {
	tests := []struct {
		name, src string
		banned    []string
	}{
		{"script block", "<script>alert(1)</script>\n\ntext", []string{"<script", "alert"}},
		{"inline script", "a <script>alert(1)</script> b", []string{"<script", "</script"}}, // the text between stays, as text
		{"onerror on raw HTML", `<img src="x" onerror="alert(1)">` + "\n\nand inline <img src=x onerror=alert(1)>", []string{"onerror", "alert"}},
		{"javascript link", "[x](javascript:alert(1))", []string{"javascript:", "alert"}},
		{"mixed-case javascript link", "[x](JaVaScRiPt:alert(1))", []string{"javascript:", "alert"}},
		{"javascript autolink", "<javascript:alert(1)>", []string{`href="javascript`}},
		{"vbscript link", "[x](vbscript:msgbox(1))", []string{"vbscript:"}},
		{"data image", "![x](data:image/png;base64,iVBORw0KGgo=)", []string{"data:"}},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", []string{"data:"}},
		{"iframe", `<iframe src="https://evil.example"></iframe>`, []string{"<iframe"}},
		{"style attribute", `<p style="color:red">x</p>`, []string{"style="}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _, err := RenderMarkdown([]byte(tt.src), func(d string) (string, bool) { return "/ok/" + d, true })
			if err != nil {
				t.Fatal(err)
			}
			out := strings.ToLower(string(h))
			for _, b := range tt.banned {
				if strings.Contains(out, b) {
					t.Errorf("output contains %q: %s", b, h)
				}
			}
		})
	}
}

func TestRenderLinks(t *testing.T) {
	resolve := func(dest string) (string, bool) {
		switch {
		case dest == "../day-02/01-a.md":
			return "/learn/a", true
		case strings.HasPrefix(dest, "media/"):
			return "/media/content/" + strings.TrimPrefix(dest, "media/"), true
		}
		return "", false
	}
	tests := []struct{ src, want string }{
		{"[a](../day-02/01-a.md)", `<a href="/learn/a">a</a>`},
		{"[a](../day-02/01-a.md#step-2)", `<a href="/learn/a#step-2">a</a>`},
		{"![A wheel](media/day-05/w.svg)", `<img src="/media/content/day-05/w.svg" alt="A wheel">`},
		{"[the PDF](media/day-05/plan.pdf)", `<a href="/media/content/day-05/plan.pdf">the PDF</a>`},
		{"[out](https://example.org/x)", `<a href="https://example.org/x" rel="noopener">out</a>`},
		{"see https://example.org", `<a href="https://example.org" rel="noopener">https://example.org</a>`},
		{"[here](#activity)", `<a href="#activity">here</a>`},
		{"[site](/learn)", `<a href="/learn">site</a>`},
		{"[mail](mailto:help@example.org)", `<a href="mailto:help@example.org">mail</a>`},
		{"[lost](nowhere.md)", `<a href="nowhere.md">lost</a>`},
		{`![Alt: with "quotes"](media/x.png)`, `alt="Alt: with “quotes”"`},
	}
	for _, tt := range tests {
		h, _, err := RenderMarkdown([]byte(tt.src), resolve)
		if err != nil || !strings.Contains(string(h), tt.want) {
			t.Errorf("RenderMarkdown(%q) = %s, %v; want it to contain %s", tt.src, h, err, tt.want)
		}
	}
}

func TestRenderTOCAndExtensions(t *testing.T) {
	src := "Intro\n\n## First *part*\n\n### Step `one`\n\n#### Too deep\n\n## First part\n\n## It's \"quoted\"\n\n" +
		"| Left | Right |\n|:-----|------:|\n| a | b |\n\nA note.[^1]\n\n[^1]: The footnote.\n\n~~gone~~\n"
	h, toc, err := RenderMarkdown([]byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Heading{
		{2, "first-part", "First part"},
		{3, "step-one", "Step one"},
		{2, "first-part-1", "First part"},
		{2, "its-quoted", "It’s “quoted”"},
	}
	if !slices.Equal(toc, want) {
		t.Errorf("TOC\n got  %+v\n want %+v", toc, want)
	}
	for _, w := range []string{
		`<h2 id="first-part">First <em>part</em></h2>`,
		`<th align="left">Left</th>`,
		`<td align="right">b</td>`,
		`<sup id="fnref:1"><a href="#fn:1" class="footnote-ref" role="doc-noteref">1</a></sup>`,
		`<div class="footnotes" role="doc-endnotes">`,
		`<li id="fn:1">`,
		`class="footnote-backref" role="doc-backlink"`,
		`<del>gone</del>`,
	} {
		if !strings.Contains(string(h), w) {
			t.Errorf("output lacks %s:\n%s", w, h)
		}
	}
}

func TestCountWords(t *testing.T) {
	_, body, _, _ := SplitFrontMatter([]byte(moduleSource(2, 2)))
	out, err := render(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	// "Teaching" + "Read the previous part when ready." + filler + "Discussion prompts" +
	// "What did you notice?" + "Activity" + "Talk in pairs."
	if want := 1 + 6 + fillerWords + 2 + 4 + 1 + 3; out.Words != want {
		t.Errorf("Words = %d, want %d", out.Words, want)
	}
	if n := countWords("don’t — stop 42 - ! x"); n != 4 {
		t.Errorf("countWords = %d", n)
	}
}

// The real course content must load cleanly.
func TestRealContent(t *testing.T) {
	c, ps := Load(content.FS)
	for _, p := range ps {
		t.Error(p)
	}
	if len(c.Days) != Days {
		t.Fatalf("%d days", len(c.Days))
	}
	for _, d := range c.Days {
		if len(d.Modules) < MinModulesPerDay {
			t.Errorf("day %d: %d modules", d.Number, len(d.Modules))
		}
		if d.Words() < 1800 {
			t.Errorf("day %d: %d body words", d.Number, d.Words())
		}
		for _, m := range d.Modules {
			if m.Slug == "" || m.Title == "" || m.HTML == "" || len(m.TOC) == 0 || len(m.Check) < MinCheckItems {
				t.Errorf("%s: incomplete module", m.File)
			}
		}
	}
	m, ok := c.Module("wellness-eight-dimensions")
	if !ok {
		t.Fatal("no wellness-eight-dimensions module")
	}
	if !slices.Equal(m.Media, []string{"day-05/wellness-dimensions.svg"}) ||
		!strings.Contains(string(m.HTML), `<img src="/media/content/day-05/wellness-dimensions.svg" alt="A wheel of eight`) {
		t.Errorf("media not rendered: %v\n%s", m.Media, m.HTML)
	}
	if _, err := fs.Stat(content.FS, "media/day-05/wellness-dimensions.svg"); err != nil {
		t.Error(err)
	}
	t.Logf("%d days, %d modules, %d words, %d minutes, version %s", len(c.Days), len(c.Modules()), c.Words, c.TotalMinutes(), c.Version)
}

func TestDecodeYAMLLines(t *testing.T) {
	type doc struct {
		Title string   `yaml:"title"`
		Day   int      `yaml:"day"`
		List  []string `yaml:"list"`
	}
	// The YAML starts on file line 2, as front matter does.
	tests := []struct{ yaml, want string }{
		{"title: a\nday: 1\n", ""},
		{"title: a\nday: : 1\n", "f.md:3: invalid YAML: mapping values are not allowed in this context"},
		{"title: a: b\n", "f.md:2: invalid YAML: mapping values are not allowed in this context"},
		{"title: a\nday: [1\nlist: []\n", "f.md:3: invalid YAML: did not find expected ',' or ']'"},
		{"title: a\nlist:\n  - a\n - b\n", "f.md:5: invalid YAML: did not find expected key"},
		{"title: a\n\tday: 1\n", "f.md:3: invalid YAML: found a tab character that violates indentation"},
		{"title: a\nday: one\n", "f.md:3: invalid YAML: cannot unmarshal !!str `one` into int"},
		{"title: a\ncolour: red\n", `f.md:3: invalid YAML: unknown key "colour"`},
		{"", "f.md:1: YAML is empty"},
	}
	for _, tt := range tests {
		var v doc
		got := strings.Join(problemStrings(DecodeYAML("f.md", []byte(tt.yaml), 2, &v)), "\n")
		if got != tt.want {
			t.Errorf("DecodeYAML(%q) = %q, want %q", tt.yaml, got, tt.want)
		}
	}
	l := NewYAMLLines([]byte("a: 1\nb:\n  - x\n  - {c: 2,\n     d: 3}\n"), 2)
	for _, tt := range []struct {
		path []any
		want int
	}{
		{[]any{"a"}, 2}, {[]any{"b"}, 3}, {[]any{"b", 1}, 5}, {[]any{"b", 1, "d"}, 6},
		{[]any{"b", 1, "nope"}, 5}, {[]any{"b", 7}, 3}, {[]any{"zz"}, 1}, {nil, 1},
	} {
		if got := l.Line(tt.path...); got != tt.want {
			t.Errorf("Line(%v) = %d, want %d", tt.path, got, tt.want)
		}
	}
}

func TestCheckSVG(t *testing.T) {
	const head = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><title>t</title>`
	tests := []struct{ svg, want string }{
		{head + `<use href="#a"/><use xlink:href="#b"/></svg>`, ""},
		{head + `<style>.a{fill:red}</style></svg>`, ""},
		{head + `<style>@import "https://x/y.css";</style></svg>`, "1: SVG styles may not load anything from outside the file"},
		{head + `<rect fill="url(https://x/p)"/></svg>`, "1: SVG attribute fill refers outside the file"},
		{head + `<image xlink:href="javascript:alert(1)"/></svg>`, `1: SVG link "javascript:alert(1)" is not allowed; only references inside the file (#id) are`},
		{head + `<foreignObject><div/></foreignObject></svg>`, "1: SVG element <foreignObject> is not allowed in static media"},
		{head + `<set attributeName="href" to="javascript:x"/></svg>`, "1: SVG element <set> is not allowed in static media\n1: SVG attribute to refers outside the file"},
		{`<!DOCTYPE svg [<!ENTITY x "y">]>` + "\n" + head + `</svg>`, "1: SVG entity declarations are not allowed"},
		{`<html><title>t</title></html>`, "1: the root element is <html>, not <svg>"},
		{head + `<g>`, "1: invalid SVG: XML syntax error on line 1: unexpected EOF"},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range CheckSVG([]byte(tt.svg)) {
			got = append(got, fmt.Sprintf("%d: %s", p.Line, p.Msg))
		}
		if g := strings.Join(got, "\n"); g != tt.want {
			t.Errorf("CheckSVG(%s)\n got  %q\n want %q", tt.svg, g, tt.want)
		}
	}
}

// One goldmark instance and one sanitiser policy serve every render; they must be safe to share.
func TestRenderConcurrent(t *testing.T) {
	src := []byte(moduleSource(1, 1))
	want, _, _ := RenderMarkdown(src, nil)
	errs := make(chan string, 8)
	for range 8 {
		go func() {
			got, _, err := RenderMarkdown(src, nil)
			if err != nil || got != want {
				errs <- fmt.Sprint("different output: ", err)
				return
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}
