package curriculum

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// MediaTypes are the file extensions allowed under media/.
var MediaTypes = []string{".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".mp3", ".mp4", ".webm", ".vtt", HandoutExt}

// checkMedia validates every file under media/. Media are served from the site's own origin, so
// an SVG opened directly could run script: SVGs must be static (no script, event handlers,
// foreign content or outside references) and accessible (a <title>).
func checkMedia(fsys fs.FS, ps *[]Problem) {
	_ = fs.WalkDir(fsys, "media", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		r := problems{file: p, list: ps}
		ext := strings.ToLower(path.Ext(p))
		if !slices.Contains(MediaTypes, ext) {
			r.add(0, "unsupported media type %q (allowed: %s)", ext, strings.Join(MediaTypes, " "))
			return nil
		}
		if ext == ".svg" {
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				r.add(0, "cannot read: %v", err)
				return nil
			}
			for _, prob := range CheckSVG(data) {
				r.add(prob.Line, "%s", prob.Msg)
			}
		}
		return nil
	})
}

var svgBanned = map[string]bool{
	"script": true, "foreignObject": true, "iframe": true, "embed": true, "object": true,
	"audio": true, "video": true, "animate": true, "set": true, "animateMotion": true, "animateTransform": true,
}

// CheckSVG reports what makes an SVG unsafe or inaccessible; Problem.File is left empty.
func CheckSVG(data []byte) []Problem {
	var out []Problem
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	depth, hasTitle, root, inStyle := 0, false, "", false
	for {
		tok, err := dec.Token()
		line, _ := dec.InputPos()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return append(out, Problem{Line: line, Msg: "invalid SVG: " + err.Error()})
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			name := t.Name.Local
			if depth == 1 {
				root = name
			}
			inStyle = name == "style"
			if depth == 2 && name == "title" {
				hasTitle = true
			}
			if svgBanned[name] {
				out = append(out, Problem{Line: line, Msg: fmt.Sprintf("SVG element <%s> is not allowed in static media", name)})
			}
			for _, a := range t.Attr {
				key := strings.ToLower(a.Name.Local)
				val := strings.ToLower(strings.TrimSpace(a.Value))
				switch {
				case strings.HasPrefix(key, "on"):
					out = append(out, Problem{Line: line, Msg: fmt.Sprintf("SVG event-handler attribute %s is not allowed", a.Name.Local)})
				case key == "href" && !strings.HasPrefix(val, "#"):
					out = append(out, Problem{Line: line, Msg: fmt.Sprintf("SVG link %q is not allowed; only references inside the file (#id) are", a.Value)})
				case strings.Contains(val, "javascript:") || strings.Contains(val, "url(http") || strings.Contains(val, "url(//"):
					out = append(out, Problem{Line: line, Msg: fmt.Sprintf("SVG attribute %s refers outside the file", a.Name.Local)})
				}
			}
		case xml.EndElement:
			depth--
			inStyle = false
		case xml.CharData:
			css := strings.ToLower(string(t))
			if inStyle && (strings.Contains(css, "@import") || strings.Contains(css, "url(") && !strings.Contains(css, "url(#")) {
				out = append(out, Problem{Line: line, Msg: "SVG styles may not load anything from outside the file"})
			}
		case xml.ProcInst:
			if t.Target == "xml-stylesheet" {
				out = append(out, Problem{Line: line, Msg: "SVG stylesheets from outside the file are not allowed"})
			}
		case xml.Directive:
			if bytes.Contains(t, []byte("ENTITY")) {
				out = append(out, Problem{Line: line, Msg: "SVG entity declarations are not allowed"})
			}
		}
	}
	if root != "svg" {
		out = append(out, Problem{Line: 1, Msg: fmt.Sprintf("the root element is <%s>, not <svg>", root)})
	} else if !hasTitle {
		out = append(out, Problem{Line: 1, Msg: "the SVG needs a <title> (and ideally a <desc>) for screen readers"})
	}
	return out
}
