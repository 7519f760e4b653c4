package web

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
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

	shared   sync.Map // RenderShared's pages: key -> [][]byte, the output split where the CSRF token goes
	sentinel string   // stands in for the CSRF token while a shared page renders
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
		"kindLabel":    eligibility.KindLabel,
		"pngDataURL":   pngDataURL,
		"plural":       plural,
		"age":          age,
		"optionLetter": optionLetter,
		"words":        statusWords,
		"booking":      bookingWords,
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

// pngDataRE matches a base64 PNG data URL and nothing else: no quotes, spaces or other schemes.
var pngDataRE = regexp.MustCompile(`^data:image/png;base64,[A-Za-z0-9+/]+={0,2}$`)

// pngDataURL marks a PNG data URL the server generated (the authenticator QR code) as safe for an
// img src; html/template would otherwise replace any data: URL with #ZgotmplZ. Anything else is
// refused, so the function cannot become a way to put arbitrary URLs into a page.
func pngDataURL(s string) template.URL {
	if !pngDataRE.MatchString(s) {
		return "#"
	}
	return template.URL(s)
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
	r := &Renderer{pages: map[string]*template.Template{}, sentinel: newSentinel()}
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

// RenderShared writes a page that is the same for everyone with the same role, apart from the CSRF
// token: the first request renders it with a stand-in token and keeps the bytes; later ones copy them
// with their own token spliced in. key must name everything the page's data depends on; data builds
// it, and is called only when the page is rendered. Pages carrying flashes or form errors are
// rendered afresh.
func (r *Renderer) RenderShared(c *fiber.Ctx, status int, name, key string, p *Page, data func() (any, error)) error {
	if len(p.Flashes) > 0 || p.ErrorSummary != "" || len(p.Errors) > 0 || len(p.Form) > 0 {
		d, err := data()
		if err != nil {
			return err
		}
		p.Data = d
		return r.Render(c, status, name, p)
	}
	role := ""
	if p.User != nil {
		role = p.User.Role
	}
	full := sharedKey{name, key, role, p.DevMail, p.NoIndex, p.Title}
	v, ok := r.shared.Load(full)
	if !ok {
		t, ok := r.pages[name]
		if !ok {
			return fmt.Errorf("no template %q", name)
		}
		d, err := data()
		if err != nil {
			return err
		}
		p.Data = d
		token := p.CSRF
		p.CSRF = r.sentinel
		var buf bytes.Buffer
		err = t.ExecuteTemplate(&buf, "layout", p)
		p.CSRF = token
		if err != nil {
			return fmt.Errorf("render %s: %w", name, err)
		}
		out := buf.Bytes()
		if u := p.User; u != nil && shows(out, u.ID, u.Email, u.Name) {
			// The page shows who is signed in after all, so it is not the same for everyone: never share it.
			return r.write(c, status, bytes.ReplaceAll(out, []byte(r.sentinel), []byte(token)))
		}
		v, _ = r.shared.LoadOrStore(full, bytes.Split(out, []byte(r.sentinel)))
	}
	parts := v.([][]byte)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Status(status)
	for i, part := range parts {
		if i > 0 {
			if _, err := c.WriteString(p.CSRF); err != nil {
				return err
			}
		}
		if _, err := c.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// sharedKey is what a shared render depends on besides its data: a comparable struct, not a
// formatted string, since it is built on every view.
type sharedKey struct {
	name, key, role  string
	devMail, noIndex bool
	title            string
}

// shows reports whether page contains any of the values (as written or HTML-escaped); values of
// three characters or fewer are ignored (they would match by chance).
func shows(page []byte, values ...string) bool {
	for _, v := range values {
		if len(v) > 3 && (bytes.Contains(page, []byte(v)) || bytes.Contains(page, []byte(template.HTMLEscapeString(v)))) {
			return true
		}
	}
	return false
}

// write sends an HTML page. Write copies b into the response (Send would keep a reference to a
// pooled buffer).
func (r *Renderer) write(c *fiber.Ctx, status int, b []byte) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Status(status)
	_, err := c.Write(b)
	return err
}

// newSentinel returns a random token-shaped string that cannot occur in a page by chance.
func newSentinel() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "csrf" + hex.EncodeToString(b)
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
	return r.write(c, status, buf.Bytes())
}
