// Package web serves PeerAcademy's server-rendered HTML pages. Handlers are thin: parse the form,
// check permission, call the domain, render. Every page starts from the Page view model.
package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cache"
	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/httpx"
	"github.com/peeracademy/peeracademy/internal/library"
	"github.com/peeracademy/peeracademy/internal/media"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/privacy"
	"github.com/peeracademy/peeracademy/internal/report"
	"github.com/peeracademy/peeracademy/internal/standing"
)

// Handlers holds what the HTML pages need.
type Handlers struct {
	Accounts     *account.Service
	Media        media.Store
	Render       *Renderer
	Log          *slog.Logger
	Secret       []byte
	CookieSecure bool
	DevMail      bool
	MaxUpload    int64
	Cohorts      *cohort.Service
	Curriculum   *curriculum.Curriculum
	Eligibility  *eligibility.Service
	Exams        *exam.Service
	Oral         *oral.Service
	BaseURL      string
	Certificates *certificate.Service
	CE           *ce.Service
	Privacy      *privacy.Service
	Courses      *catalog.Service
	Standing     *standing.Service
	Reports      report.Service
	Audit        audit.Trail
	Mailbox      notify.Mailbox
	Library      library.Service
	PingDB       func(context.Context) error // the database answers (the status page)

	fragments sync.Map // module slug -> pre-rendered static part
	Now       func() time.Time

	macs       sync.Pool // *signer: HMAC-SHA256 keyed with Secret, for sign
	csrfOnce   sync.Once
	csrfTokens *cache.Map[string] // session id -> its CSRF token
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

const sessionCookie = "pa_session"
const flashCookie = "pa_flash"

// Sessions, one place for pages and API: the pages' session comes from a cookie, the API's from a
// bearer token, and both are resolved by authenticate. LoadSession serves both: the API's requests
// are marked (httpx.MarkAPI) where the app mounts the API.

// LoadSession resolves the session cookie (pages) or bearer token (API) into the request's principal.
// A partly signed-in session (waiting for the second factor) sets only the session, not the user.
func (h *Handlers) LoadSession(c *fiber.Ctx) error {
	if httpx.IsAPI(c) {
		return h.authenticate(c, bearerToken(c), account.KindAPI)
	}
	return h.authenticate(c, c.Cookies(sessionCookie), account.KindWeb)
}

func bearerToken(c *fiber.Ctx) string {
	if auth := c.Get(fiber.HeaderAuthorization); strings.HasPrefix(auth, "Bearer ") {
		return strings.TrimSpace(strings.TrimPrefix(auth, "Bearer "))
	}
	return ""
}

// authenticate resolves token into a session of kind: a browser session never authenticates the
// API, nor an API token a page. A cookie that names no session any more is cleared.
func (h *Handlers) authenticate(c *fiber.Ctx, token, kind string) error {
	if token == "" {
		return c.Next()
	}
	sess, u, err := h.Accounts.LookupSession(c.UserContext(), token)
	if err != nil {
		if apperr.Is(err, apperr.Unauthenticated) {
			if kind == account.KindWeb {
				h.clearSession(c)
			}
			return c.Next()
		}
		return err
	}
	if sess.Kind != kind {
		return c.Next()
	}
	c.Locals(httpx.LocalSession, sess)
	c.Locals(httpx.LocalToken, token)
	c.Locals(localTokenLoaded, true) // sess.ID is the hash of token
	if sess.Stage == account.StageFull {
		c.Locals(httpx.LocalUser, u)
	} else {
		c.Locals("pa.pending_user", u)
	}
	return c.Next()
}

func pendingUser(c *fiber.Ctx) *account.User {
	u, _ := c.Locals("pa.pending_user").(*account.User)
	return u
}

func (h *Handlers) setSession(c *fiber.Ctx, token string) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", HTTPOnly: true, Secure: h.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode})
	c.Locals(httpx.LocalToken, token)
	c.Locals(localTokenLoaded, false)
}

func (h *Handlers) clearSession(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true, Secure: h.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(1, 0), MaxAge: -1})
	c.Locals(httpx.LocalToken, "")
	c.Locals(localTokenLoaded, false)
}

// RequireRole lets the request through only for a signed-in user with one of the roles. Signed-out
// visitors are sent to the sign-in page; signed-in users without the role get 403.
func RequireRole(roles ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u := httpx.User(c)
		if u == nil {
			if httpx.IsAPI(c) {
				return account.ErrNoSession
			}
			if s := httpx.Session(c); s != nil && s.Stage == account.StageMFASetup {
				return c.Redirect("/account/mfa", fiber.StatusSeeOther)
			} else if s != nil && s.Stage == account.StageMFA {
				return c.Redirect("/login/mfa", fiber.StatusSeeOther)
			}
			next := c.OriginalURL()
			return c.Redirect("/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
		}
		if len(roles) == 0 {
			return c.Next()
		}
		for _, r := range roles {
			if u.Role == r {
				return c.Next()
			}
		}
		return apperr.New(apperr.Forbidden, "forbidden", "Your account does not have access to this page.")
	}
}

// page builds the base view model.
func (h *Handlers) page(c *fiber.Ctx, title string) *Page {
	p := h.view(c, title)
	p.Form, p.Errors = map[string]string{}, map[string]string{}
	return p
}

// view is page for a page with no form to refill (the module page, viewed most): Form and Errors
// stay nil, which templates read as empty, and cost no allocation.
func (h *Handlers) view(c *fiber.Ctx, title string) *Page {
	p := &Page{Title: title, User: httpx.User(c), CSRF: h.csrfToken(c), DevMail: h.DevMail}
	p.Flashes = h.takeFlashes(c)
	return p
}

// withErr fills the page from a failed form submission: the values typed (never passwords) and the
// messages beside each field.
func withErr(p *Page, err error, form map[string]string) error {
	e, ok := apperr.As(err)
	if !ok || e.Kind == apperr.TooMany || e.Kind == apperr.Unavailable {
		return err // not about the form: the error page says when to try again (with Retry-After)
	}
	for k, v := range form {
		if !strings.Contains(k, "password") {
			p.Form[k] = v
		}
	}
	for k, v := range e.Fields {
		p.Errors[k] = v
	}
	p.ErrorSummary = e.Message
	return nil
}

func (h *Handlers) flash(c *fiber.Ctx, kind, msg string) {
	fl := append(h.peekFlashes(c), Flash{Kind: kind, Message: msg})
	b, _ := json.Marshal(fl)
	v := base64.RawURLEncoding.EncodeToString(b)
	c.Cookie(&fiber.Cookie{Name: flashCookie, Value: v + "." + h.sign("flash|", v), Path: "/", HTTPOnly: true, Secure: h.CookieSecure, SameSite: fiber.CookieSameSiteLaxMode})
}

func (h *Handlers) peekFlashes(c *fiber.Ctx) []Flash {
	raw := c.Cookies(flashCookie)
	v, sig, ok := strings.Cut(raw, ".")
	if !ok || sig != h.sign("flash|", v) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		return nil
	}
	var fl []Flash
	_ = json.Unmarshal(b, &fl)
	return fl
}

func (h *Handlers) takeFlashes(c *fiber.Ctx) []Flash {
	fl := h.peekFlashes(c)
	if c.Cookies(flashCookie) != "" {
		c.Cookie(&fiber.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0)})
	}
	return fl
}

// ErrorPage renders a safe error as an HTML page.
func (h *Handlers) ErrorPage(c *fiber.Ctx, status int, e *apperr.Error) error {
	heading := "Something went wrong"
	switch status {
	case 400, 422:
		heading = "We could not accept that"
	case 401:
		heading = "Please sign in"
	case 403:
		heading = "You do not have access"
	case 404:
		heading = "Page not found"
	case 410:
		heading = "This link no longer works"
	case 413:
		heading = "The upload is too large"
	case 429:
		heading = "Please slow down"
	case 503:
		heading = "Please try again shortly"
	}
	p := &Page{Title: heading, User: httpx.User(c), Form: map[string]string{}, Errors: map[string]string{}, DevMail: h.DevMail}
	p.CSRF = h.csrfToken(c)
	rid := ""
	if status >= 500 && status != 503 {
		rid = httpx.RequestID(c)
	}
	p.Data = map[string]string{"Heading": heading, "Message": e.Message, "RequestID": rid}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return h.Render.Render(c, status, "error", p)
}

// message renders a simple confirmation page.
func (h *Handlers) message(c *fiber.Ctx, title string, paragraphs []string, linkURL, linkText string) error {
	p := h.page(c, title)
	p.Data = map[string]any{"Heading": title, "Paragraphs": paragraphs, "LinkURL": linkURL, "LinkText": linkText}
	return h.Render.Render(c, fiber.StatusOK, "message", p)
}

// safeNext keeps a post-sign-in redirect on this site. Only a same-site path passes: one leading
// slash, no backslash and no control characters (browsers drop tabs and newlines, so "/\t/evil.example"
// becomes "//evil.example"), and no scheme or host once parsed.
func safeNext(next string) string {
	const fallback = "/dashboard"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsRune(next, '\\') || len(next) > 2048 {
		return fallback
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	return next
}

func formMap(c *fiber.Ctx, keys ...string) map[string]string {
	m := make(map[string]string, len(keys))
	for _, k := range keys {
		m[k] = c.FormValue(k)
	}
	return m
}
