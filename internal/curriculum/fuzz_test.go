package curriculum

import (
	"bytes"
	"io"
	"io/fs"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/peeracademy/peeracademy/content"
)

// FuzzRender runs the whole module pipeline (front matter split, strict YAML decode, goldmark
// with the link rewriter, sanitiser) on arbitrary input. It must not panic, and the HTML must
// never carry a script, an event handler, a style, or a javascript:/vbscript:/data: URL.
func FuzzRender(f *testing.F) {
	_ = fs.WalkDir(content.FS, "curriculum", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".md") {
			if data, err := fs.ReadFile(content.FS, p); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	for _, s := range []string{
		"",
		"---\n---\n",
		"---\ntitle: [\n---\n# x",
		"---\nslug: &a [*a, *a]\n---\n",
		"<script>alert(1)</script>",
		"<img src=x onerror=alert(1)>",
		"[x](javascript:alert(1)) [y](JAVASCRIPT:alert(1)) [z](java\tscript:alert(1))",
		"[x](&#106;avascript:alert(1)) [y](java&#x09;script:alert(1))",
		"![x](data:image/png;base64,AAAA) ![y](data:text/html,<script>)",
		"<javascript:alert(1)> <vbscript:msgbox(1)> www.example.com",
		"[a](x.md#\"><script>) ![b](media/\"onerror=\"alert(1))",
		"| a | b |\n|:-|-:|\n| [x](javascript:y) | <b onclick=z>c</b> |\n\nx[^1]\n\n[^1]: <script>",
		"[x]: javascript:alert(1)\n\n[link][x]",
		"<svg><script>alert(1)</script></svg> <math><mtext><style>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		body := src
		if fm, b, _, err := SplitFrontMatter(src); err == nil {
			var v frontMatter
			_ = DecodeYAML("fuzz.md", fm, 2, &v)
			_ = NewYAMLLines(fm, 2).Line("check", 0, "answer")
			body = b
		}
		out, err := render(body, func(dest string, off int) (string, bool) {
			if off < -1 || off > len(body) {
				t.Fatalf("offset %d outside the body (%d bytes)", off, len(body))
			}
			return "/resolved/" + dest, len(dest)%2 == 0
		})
		if err != nil {
			t.Fatal(err)
		}
		assertSafeHTML(t, string(out.HTML))
		for _, h := range out.TOC {
			if h.Level != 2 && h.Level != 3 {
				t.Fatalf("TOC holds a level-%d heading", h.Level)
			}
		}
	})
}

var bannedElements = map[string]bool{
	"script": true, "style": true, "iframe": true, "object": true, "embed": true, "svg": true,
	"math": true, "form": true, "input": true, "link": true, "meta": true, "base": true,
}

// assertSafeHTML tokenises the output and fails on anything executable. Note that the text
// "javascript:" may legitimately appear as escaped text content (someone writing about it); what
// must never appear is such a URL, or the string, inside a tag.
func assertSafeHTML(t *testing.T, out string) {
	t.Helper()
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Fatalf("output contains <script: %s", out)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatalf("tokenizer: %v", z.Err())
			}
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
			continue
		}
		raw := bytes.ToLower(z.Raw())
		if bytes.Contains(raw, []byte("javascript:")) {
			t.Fatalf("tag contains javascript:: %s\nin %s", raw, out)
		}
		tok := z.Token()
		if bannedElements[tok.Data] {
			t.Fatalf("banned element <%s> in %s", tok.Data, out)
		}
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") || key == "style" || key == "srcdoc" || key == "formaction" {
				t.Fatalf("banned attribute %s in %s", a.Key, out)
			}
			v := strings.ToLower(strings.Map(func(r rune) rune {
				if r <= ' ' || r == 0x7f {
					return -1
				}
				return r
			}, a.Val))
			for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
				if strings.HasPrefix(v, scheme) {
					t.Fatalf("attribute %s=%q in %s", a.Key, a.Val, out)
				}
			}
		}
	}
}
