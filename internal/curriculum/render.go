package curriculum

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"strings"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Heading is one entry of a module's table of contents.
type Heading struct {
	Level int
	ID    string
	Text  string
}

// resolveFunc maps a relative link or image destination (without its #fragment) to the URL to
// use; offset is the byte offset in the markdown source of the line holding the link, or -1.
type resolveFunc func(dest string, offset int) (string, bool)

// rendered is everything one pass over a markdown document yields.
type rendered struct {
	HTML     template.HTML
	TOC      []Heading // h2 and h3
	Words    int
	Text     string      // the plain text, words separated by whitespace
	headings []headingAt // every heading, for validation
	rawHTML  []int       // offsets of raw HTML, which is not allowed (and never rendered)
}

type headingAt struct {
	Level  int
	Text   string
	Offset int
}

var (
	ctxState = parser.NewContextKey()

	// markdown is shared: goldmark and bluemonday are safe for concurrent use once built. The
	// GFM extensions are listed one by one so that table cells are aligned with the align
	// attribute rather than inline styles, which a strict Content-Security-Policy would block.
	markdown = goldmark.New(
		goldmark.WithExtensions(
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
			extension.Strikethrough,
			extension.Linkify,
			extension.TaskList,
			extension.Footnote,
			extension.Typographer,
		),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			parser.WithASTTransformers(util.Prioritized(linkRewriter{}, 100)),
		),
		// No html.WithUnsafe: raw HTML in the markdown is replaced by a comment, which the
		// sanitiser then removes.
	)

	policy = newPolicy()

	schemeRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.\-]*:`)
)

// newPolicy is bluemonday's UGC policy, which already allows id on every element (heading anchors,
// footnotes), align on table cells and relative URLs, plus the class and role attributes of
// goldmark's footnote markup and rel="noopener" on links. Content is written by the project, so
// links are not marked nofollow.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(false)
	p.AllowRelativeURLs(true)
	p.AllowURLSchemes("http", "https", "mailto")
	// UGC only lets through alt and title text made of a few punctuation marks, so alt text with a
	// colon or typographic quotes would vanish. They are plain text, escaped on output: allow any.
	p.AllowAttrs("alt", "title").OnElements("img")
	p.AllowAttrs("title").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^noopener$`)).OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^footnote-(ref|backref)$`)).OnElements("a")
	p.AllowAttrs("role").Matching(regexp.MustCompile(`^doc-(noteref|backlink)$`)).OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^footnotes$`)).OnElements("div")
	p.AllowAttrs("role").Matching(regexp.MustCompile(`^doc-endnotes$`)).OnElements("div")
	return p
}

// RenderMarkdown renders a markdown body to sanitised HTML and returns its table of contents (h2
// and h3 headings). resolve, if not nil, is asked for the URL of every relative link and image
// destination (the part before any #fragment, which is kept); when it returns false the
// destination is left as written. Raw HTML is dropped, and the sanitiser removes scripts, event
// handlers and every URL scheme except http, https and mailto.
func RenderMarkdown(src []byte, resolve func(dest string) (string, bool)) (template.HTML, []Heading, error) {
	var r resolveFunc
	if resolve != nil {
		r = func(dest string, _ int) (string, bool) { return resolve(dest) }
	}
	out, err := render(src, r)
	if err != nil {
		return "", nil, err
	}
	return out.HTML, out.TOC, nil
}

func render(src []byte, resolve resolveFunc) (*rendered, error) {
	pc := parser.NewContext()
	pc.Set(ctxState, resolve)
	doc := markdown.Parser().Parse(text.NewReader(src), parser.WithContext(pc))
	var buf bytes.Buffer
	if err := markdown.Renderer().Render(&buf, src, doc); err != nil {
		return nil, err
	}
	out := &rendered{HTML: template.HTML(policy.SanitizeBytes(buf.Bytes()))}
	var all strings.Builder
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			t := plainText(n, src)
			out.headings = append(out.headings, headingAt{Level: n.Level, Text: t, Offset: blockOffset(n)})
			if n.Level == 2 || n.Level == 3 {
				id, _ := n.AttributeString("id")
				idb, _ := id.([]byte)
				out.TOC = append(out.TOC, Heading{Level: n.Level, ID: string(idb), Text: t})
			}
		case *ast.HTMLBlock:
			out.rawHTML = append(out.rawHTML, blockOffset(n))
		case *ast.RawHTML:
			off := -1
			if n.Segments.Len() > 0 {
				off = n.Segments.At(0).Start
			}
			out.rawHTML = append(out.rawHTML, off)
		}
		return ast.WalkContinue, nil
	})
	writeText(&all, doc, src)
	out.Text = all.String()
	out.Words = countWords(out.Text)
	return out, nil
}

// linkRewriter is the AST transformer that points links and images at their site URLs and marks
// external links rel="noopener". It reads the resolver from the parser context.
type linkRewriter struct{}

func (linkRewriter) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	resolve, _ := pc.Get(ctxState).(resolveFunc)
	src := reader.Source()
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			n.Destination = rewrite(n, n.Destination, src, resolve)
			if isExternal(n.Destination) {
				n.SetAttributeString("rel", []byte("noopener"))
			}
		case *ast.Image:
			n.Destination = rewrite(n, n.Destination, src, resolve)
		case *ast.AutoLink:
			if n.AutoLinkType == ast.AutoLinkURL {
				n.SetAttributeString("rel", []byte("noopener"))
			}
		}
		return ast.WalkContinue, nil
	})
}

func isExternal(dest []byte) bool {
	d := strings.ToLower(string(dest))
	return strings.HasPrefix(d, "http://") || strings.HasPrefix(d, "https://") || strings.HasPrefix(d, "//")
}

// rewrite resolves a relative destination; absolute URLs, site paths and fragments stay as they are.
func rewrite(n ast.Node, dest, src []byte, resolve resolveFunc) []byte {
	d := string(dest)
	if resolve == nil || d == "" || strings.HasPrefix(d, "#") || strings.HasPrefix(d, "/") ||
		strings.HasPrefix(d, `\`) || schemeRE.MatchString(d) {
		return dest
	}
	p, frag, hasFrag := strings.Cut(d, "#")
	url, ok := resolve(p, inlineOffset(n, dest, src))
	if !ok {
		return dest
	}
	if hasFrag {
		url += "#" + frag
	}
	return []byte(url)
}

// inlineOffset finds the source line holding an inline node: the line of its enclosing block that
// contains dest, else the block's first line.
func inlineOffset(n ast.Node, dest, src []byte) int {
	for p := n.Parent(); p != nil; p = p.Parent() {
		if p.Type() != ast.TypeBlock || p.Lines().Len() == 0 {
			continue
		}
		lines := p.Lines()
		for i := range lines.Len() {
			if seg := lines.At(i); bytes.Contains(seg.Value(src), dest) {
				return seg.Start
			}
		}
		return lines.At(0).Start
	}
	if len(dest) > 0 {
		return bytes.Index(src, dest)
	}
	return -1
}

func blockOffset(n ast.Node) int {
	if n.Lines().Len() > 0 {
		return n.Lines().At(0).Start
	}
	return -1
}

// plainText is the text of a node's descendants, whitespace collapsed.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	writeText(&b, n, src)
	return strings.Join(strings.Fields(b.String()), " ")
}

// writeText writes the readable text under n: text, typographic punctuation, code, link labels
// and image alt text; blocks are separated by newlines, raw HTML is left out.
func writeText(b *strings.Builder, n ast.Node, src []byte) {
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		switch c := c.(type) {
		case *ast.Text:
			if entering {
				b.Write(c.Segment.Value(src))
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			}
		case *ast.String:
			if entering {
				if c.IsCode() {
					b.WriteString(html.UnescapeString(string(c.Value)))
				} else {
					b.Write(c.Value)
				}
			}
		case *ast.AutoLink:
			if entering {
				b.Write(c.Label(src))
			}
		case *ast.RawHTML, *ast.HTMLBlock:
			return ast.WalkSkipChildren, nil
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			if entering {
				lines := c.Lines()
				for i := range lines.Len() {
					seg := lines.At(i)
					b.Write(seg.Value(src))
				}
			}
		default:
			if c.Type() == ast.TypeBlock {
				b.WriteByte('\n')
			}
		}
		return ast.WalkContinue, nil
	})
}

// countWords counts whitespace-separated tokens that contain a letter or digit.
func countWords(s string) int {
	n := 0
	for _, f := range strings.Fields(s) {
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0 {
			n++
		}
	}
	return n
}
