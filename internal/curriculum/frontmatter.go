package curriculum

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SplitFrontMatter splits a markdown file into its YAML front matter (the lines between a first
// line "---" and the next line "---") and its body. bodyLine is the 1-based line of the file on
// which the body starts; the front matter itself always starts on line 2.
func SplitFrontMatter(src []byte) (fm, body []byte, bodyLine int, err error) {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	nl := bytes.IndexByte(src, '\n')
	if first := src[:max(nl, 0)]; nl < 0 && !isFence(src) || nl >= 0 && !isFence(first) {
		return nil, nil, 0, errors.New("missing front matter: the file must start with a line \"---\"")
	}
	if nl < 0 {
		nl = len(src)
	}
	start, pos, line := nl+1, nl+1, 2
	for pos < len(src) {
		ln, next := src[pos:], len(src)
		if end := bytes.IndexByte(ln, '\n'); end >= 0 {
			ln, next = ln[:end], pos+end+1
		}
		if isFence(ln) {
			return src[start:pos], src[next:], line + 1, nil
		}
		pos, line = next, line+1
	}
	return nil, nil, 0, errors.New("front matter is not closed: no line \"---\" after the opening one")
}

func isFence(line []byte) bool {
	return string(bytes.TrimRight(line, " \t\r")) == "---"
}

// parserErrors are the yaml.v3 syntax errors raised by its parser rather than its scanner.
var parserErrors = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

var (
	yamlLineRE   = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownKeyRE = regexp.MustCompile(`^field (\S+) not found in type \S+$`)
)

// DecodeYAML strictly decodes one YAML document into v: keys that v does not define are
// problems, as are syntax and type errors. firstLine is the file line holding data's first line,
// so that problems carry line numbers of the file. It returns nil when v was decoded cleanly.
func DecodeYAML(file string, data []byte, firstLine int, v any) []Problem {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	fallback := max(firstLine-1, 0)
	if errors.Is(err, io.EOF) {
		return []Problem{{File: file, Line: fallback, Msg: "YAML is empty"}}
	}
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var out []Problem
	for _, m := range msgs {
		p := Problem{File: file, Line: fallback, Msg: strings.TrimPrefix(m, "yaml: ")}
		if te == nil {
			// yaml.v3 leaves out the line of a syntax error on the first line.
			p.Line = firstLine
		}
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			n, _ := strconv.Atoi(sm[1])
			if te == nil && parserErrors[sm[2]] {
				n++ // yaml.v3 reports parser (not scanner) errors with a zero-based line
			}
			p.Line, p.Msg = firstLine+n-1, sm[2]
		}
		if sm := unknownKeyRE.FindStringSubmatch(p.Msg); sm != nil {
			p.Msg = fmt.Sprintf("unknown key %q", sm[1])
		}
		p.Msg = "invalid YAML: " + p.Msg
		out = append(out, p)
	}
	return out
}

// YAMLLines finds the file lines of keys and elements in a YAML document, so that validation
// problems can point at the line they concern.
type YAMLLines struct {
	root  *yaml.Node
	first int
}

// NewYAMLLines parses data (which starts on file line firstLine). Unparseable data yields a
// YAMLLines whose every lookup falls back to the line before firstLine.
func NewYAMLLines(data []byte, firstLine int) YAMLLines {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return YAMLLines{first: firstLine}
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	return YAMLLines{root: root, first: firstLine}
}

// Line returns the file line of the element at path, whose parts are mapping keys (string) or
// sequence indices (int). When the path does not exist it returns the line of its deepest
// existing part, or the line before the document (0 for a standalone YAML file, the opening "---"
// for front matter).
func (l YAMLLines) Line(path ...any) int {
	line := 0
	cur := l.root
	for _, part := range path {
		if cur == nil {
			break
		}
		for cur.Kind == yaml.AliasNode && cur.Alias != nil {
			cur = cur.Alias
		}
		var next *yaml.Node
		switch p := part.(type) {
		case string:
			if cur.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(cur.Content); i += 2 {
					if cur.Content[i].Value == p {
						line, next = cur.Content[i].Line, cur.Content[i+1]
						break
					}
				}
			}
		case int:
			if cur.Kind == yaml.SequenceNode && p >= 0 && p < len(cur.Content) {
				next = cur.Content[p]
				line = next.Line
			}
		}
		if next == nil {
			break
		}
		cur = next
	}
	if line == 0 {
		return max(l.first-1, 0)
	}
	return l.first + line - 1
}
