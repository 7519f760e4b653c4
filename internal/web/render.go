package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/static"
)

//go:embed templates/*.html
var templateFS embed.FS

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind    string // success, error, info
	Message string
}

// Page is the base view model every page starts from.
type Page struct {
	Title        string
	User         *account.User
	CSRF         string
	Flashes      []Flash
	Form         map[string]string
	Errors       map[string]string
	ErrorSummary string
	NoIndex      bool
	DevMail      bool
	Data         any
}

// Renderer holds one parsed template set per page (layout + partials + the page).
type Renderer struct {
	pages map[string]*template.Template
	bufs  sync.Pool
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"]+`)

func funcs() template.FuncMap {
	ny, _ := time.LoadLocation("America/New_York")
	return template.FuncMap{
		"static":      static.URL,
		"roleLabel":   account.RoleLabel,
		"hours":       cohort.Hours,
		"add":         func(a, b int) int { return a + b },
		"statusLabel": eligibility.StatusLabel,
		"when": func(t any, tz string) string {
			loc, err := time.LoadLocation(tz)
			if err != nil {
				loc = ny
			}
			switch v := t.(type) {
			case time.Time:
				return v.In(loc).Format("Mon, Jan 2, 2006, 3:04 PM MST")
			case *time.Time:
				if v != nil {
					return v.In(loc).Format("Mon, Jan 2, 2006, 3:04 PM MST")
				}
			}
			return ""
		},
		"hasText": func(s, sub string) bool { return strings.Contains(strings.ToLower(s), strings.ToLower(sub)) },
		"ptr":     func(t time.Time) *time.Time { return &t },
		"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"clock": func(secs int) string {
			return fmt.Sprintf("%d:%02d", secs/60, secs%60)
		},
		"has": func(xs []int, x int) bool {
			for _, v := range xs {
				if v == x {
					return true
				}
			}
			return false
		},
		"kindLabel": eligibility.KindLabel,
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m, nil
		},
		"fmtTime": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") },
		"fmtDate": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.In(ny).Format("January 2, 2006")
		},
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
		// linkify escapes text and turns URLs into links (for captured mail in development mode).
		"linkify": func(s string) template.HTML {
			esc := template.HTMLEscapeString(s)
			return template.HTML(urlRE.ReplaceAllStringFunc(esc, func(u string) string {
				return `<a href="` + u + `">` + u + `</a>`
			}))
		},
	}
}

// NewRenderer parses the embedded templates.
func NewRenderer() (*Renderer, error) {
	layout, err := templateFS.ReadFile("templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	r := &Renderer{pages: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		body, err := templateFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		t, err := template.New(name).Funcs(funcs()).Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("template layout: %w", err)
		}
		if _, err := t.Parse(string(body)); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		r.pages[name] = t
	}
	return r, nil
}

// Fragment executes one named template of a page set into HTML (for parts rendered once and reused).
func (r *Renderer) Fragment(page, name string, data any) (template.HTML, error) {
	t, ok := r.pages[page]
	if !ok {
		return "", fmt.Errorf("no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

// Render writes a page with the layout.
func (r *Renderer) Render(c *fiber.Ctx, status int, name string, p *Page) error {
	t, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	buf, _ := r.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	defer r.bufs.Put(buf)
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Status(status)
	_, err := c.Write(buf.Bytes()) // Write copies into the response (Send would keep a reference to the pooled buffer)
	return err
}
