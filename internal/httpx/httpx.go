// Package httpx holds the HTTP plumbing shared by the HTML pages (web) and the JSON API (api):
// the error handler that renders safe errors as HTML or JSON, request ids, structured request logs,
// metrics, the signed-in principal and role guards.
package httpx

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/media"
)

// Locals keys.
const (
	LocalUser      = "pa.user"
	LocalSession   = "pa.session"
	LocalToken     = "pa.token"
	LocalRequestID = "pa.request_id"
	LocalAPI       = "pa.api"
)

// MarkAPI marks the requests of the JSON API; the app mounts it on the API's path, before anything
// that may answer (so that even input refused up front answers in JSON). The rest of the code asks
// IsAPI rather than looking at the path.
func MarkAPI(c *fiber.Ctx) error {
	c.Locals(LocalAPI, true)
	return c.Next()
}

// IsAPI reports whether the request is one of the JSON API's (see MarkAPI).
func IsAPI(c *fiber.Ctx) bool {
	v, _ := c.Locals(LocalAPI).(bool)
	return v
}

// User returns the fully signed-in user, or nil.
func User(c *fiber.Ctx) *account.User {
	u, _ := c.Locals(LocalUser).(*account.User)
	return u
}

// Session returns the current session (possibly partly signed in), or nil.
func Session(c *fiber.Ctx) *account.Session {
	s, _ := c.Locals(LocalSession).(*account.Session)
	return s
}

// RequestID returns the request's id.
func RequestID(c *fiber.Ctx) string {
	id, _ := c.Locals(LocalRequestID).(string)
	return id
}

// Actor describes who makes this request, for the audit log.
func Actor(c *fiber.Ctx) audit.Actor {
	a := audit.Actor{IP: ClientIP(c), RequestID: RequestID(c)}
	if u := User(c); u != nil {
		a.UserID, a.Role, a.VendorID = u.ID, u.Role, u.Vendor()
	} else {
		a.Role = "anonymous"
	}
	return a
}

// ClientIP is the caller's address as ClientAddress worked it out (the peer address when that
// middleware did not run).
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(LocalClientIP).(string); ok {
		return ip
	}
	return c.IP()
}

// WantsJSON reports whether the error should be JSON: API paths, or clients that ask for JSON.
func WantsJSON(c *fiber.Ctx) bool {
	if IsAPI(c) {
		return true
	}
	acc := c.Get(fiber.HeaderAccept)
	return strings.Contains(acc, "application/json") && !strings.Contains(acc, "text/html")
}

// Status maps a safe error kind to an HTTP status.
func Status(k apperr.Kind) int {
	switch k {
	case apperr.Invalid:
		return http.StatusUnprocessableEntity
	case apperr.BadRequest:
		return http.StatusBadRequest
	case apperr.Unauthenticated:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unsupported:
		return http.StatusUnsupportedMediaType
	case apperr.TooMany:
		return http.StatusTooManyRequests
	case apperr.Gone:
		return http.StatusGone
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrUnavailable answers requests while the database cannot be reached (a restart, a network cut).
var ErrUnavailable = apperr.New(apperr.Unavailable, "unavailable",
	"The service is briefly unavailable. Please try again in a few seconds.").Retry(5 * time.Second)

// ErrStoreUnavailable answers uploads and downloads while the media store cannot be reached.
var ErrStoreUnavailable = apperr.New(apperr.Unavailable, "store_unavailable",
	"The document store is unavailable. Please try again in a few minutes.").Retry(30 * time.Second)

// DefaultRetryAfter is sent with a 429 or 503 whose error names no better time.
const DefaultRetryAfter = 60 * time.Second

// SetRetryAfter sets the Retry-After header (whole seconds) from err's RetryAfter, or the default.
func SetRetryAfter(c *fiber.Ctx, err error) {
	d := DefaultRetryAfter
	if e, ok := apperr.As(err); ok && e.RetryAfter > 0 {
		d = e.RetryAfter
	}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(max(time.Second, d.Round(time.Second))/time.Second)))
}

// Safe turns any error into a safe one; unknown errors become a generic 500 (and are logged).
// A 429 or 503 gets its Retry-After header here.
func Safe(log *slog.Logger, c *fiber.Ctx, err error) (*apperr.Error, int) {
	e, status := safe(log, c, err)
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		SetRetryAfter(c, e)
	}
	return e, status
}

func safe(log *slog.Logger, c *fiber.Ctx, err error) (*apperr.Error, int) {
	if e, ok := apperr.As(err); ok {
		return e, Status(e.Kind)
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code := fe.Code
		msg := http.StatusText(code)
		switch code {
		case http.StatusNotFound:
			msg = "We could not find that page."
		case http.StatusMethodNotAllowed:
			msg = "That action is not available here."
		case http.StatusRequestEntityTooLarge:
			msg = "The upload is too large."
		case http.StatusBadRequest:
			msg = "The request could not be understood: " + fe.Message
		}
		if code >= 500 {
			log.Error("request failed", "request_id", RequestID(c), "path", c.Path(), "err", err)
			msg = "Something went wrong on our side. Please try again; if it keeps happening, tell us the reference below."
		}
		return &apperr.Error{Code: codeFor(code), Message: msg}, code
	}
	if errors.Is(err, context.Canceled) {
		return &apperr.Error{Code: "cancelled", Message: "The request was cancelled."}, 499
	}
	if errors.Is(err, media.ErrUnavailable) {
		log.Warn("media store unavailable", "request_id", RequestID(c), "method", c.Method(), "path", c.Path(), "err", err)
		return ErrStoreUnavailable, http.StatusServiceUnavailable
	}
	if database.Unavailable(err) {
		log.Warn("database unavailable", "request_id", RequestID(c), "method", c.Method(), "path", c.Path(), "err", err)
		return ErrUnavailable, http.StatusServiceUnavailable
	}
	log.Error("request failed", "request_id", RequestID(c), "method", c.Method(), "path", c.Path(), "err", err)
	return &apperr.Error{Code: "internal", Message: "Something went wrong on our side. Please try again; if it keeps happening, tell us the reference below."}, http.StatusInternalServerError
}

func codeFor(status int) string {
	switch status {
	case 400:
		return "bad_request"
	case 401:
		return "unauthenticated"
	case 403:
		return "forbidden"
	case 404:
		return "not_found"
	case 405:
		return "method_not_allowed"
	case 413:
		return "too_large"
	case 429:
		return "too_many_requests"
	case 503:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return "error"
}

// ErrorBody is the JSON error envelope: {"error":{"code":...,"message":...,"fields":{...}}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Fields    map[string]string `json:"fields,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
}

// WriteJSONError writes the JSON error envelope.
func WriteJSONError(c *fiber.Ctx, status int, e *apperr.Error) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if status == http.StatusTooManyRequests && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
		c.Set(fiber.HeaderRetryAfter, "60") // the limits here count per minute
	}
	return c.Status(status).JSON(ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message, Fields: e.Fields, RequestID: RequestID(c)}})
}

// DecodeJSON parses a JSON body strictly into v, with errors a person understands.
func DecodeJSON(c *fiber.Ctx, v any) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) {
		return apperr.New(apperr.Unsupported, "unsupported_media_type", "Send the request body as JSON with Content-Type: application/json.")
	}
	if !utf8.Valid(c.Body()) {
		return apperr.New(apperr.BadRequest, "malformed_json", "The JSON body is not valid UTF-8.")
	}
	dec := json.NewDecoder(strings.NewReader(string(c.Body())))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return apperr.New(apperr.BadRequest, "malformed_json", "The JSON body is malformed at byte "+strconv.FormatInt(se.Offset, 10)+": "+se.Error())
		case errors.As(err, &te):
			return apperr.New(apperr.BadRequest, "malformed_json", "The JSON field \""+te.Field+"\" must be of type "+te.Type.String()+".")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return apperr.New(apperr.BadRequest, "malformed_json", "The JSON body has a field this endpoint does not accept: "+strings.TrimPrefix(err.Error(), "json: unknown field ")+".")
		case err.Error() == "EOF":
			return apperr.New(apperr.BadRequest, "malformed_json", "The request body is empty; send a JSON object.")
		default:
			return apperr.New(apperr.BadRequest, "malformed_json", "The JSON body is malformed: "+err.Error())
		}
	}
	if dec.More() {
		return apperr.New(apperr.BadRequest, "malformed_json", "The request body must hold a single JSON object.")
	}
	return CheckStrings(v) // NUL bytes, control characters, over-long strings: a field error

}

// Metrics holds the Prometheus collectors for HTTP traffic.
type Metrics struct {
	Requests *prometheus.CounterVec
	Duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP collectors on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "peeracademy_http_requests_total", Help: "HTTP requests by route and status."}, []string{"method", "route", "status"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "peeracademy_http_request_duration_seconds", Help: "HTTP request latency by route.", Buckets: prometheus.DefBuckets}, []string{"method", "route"}),
	}
	reg.MustRegister(m.Requests, m.Duration)
	return m
}

// RequestContext assigns a request id, logs each request as one JSON line and records metrics.
// It never logs query strings (they carry one-time tokens) or bodies.
func RequestContext(log *slog.Logger, m *Metrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		id := c.Get("X-Request-ID")
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		c.Locals(LocalRequestID, id)
		c.Set("X-Request-ID", id)
		err := c.Next()
		if err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		// Every 429 and 503 says when to come back, however it was produced.
		if (status == fiber.StatusTooManyRequests || status == fiber.StatusServiceUnavailable) && len(c.Response().Header.Peek(fiber.HeaderRetryAfter)) == 0 {
			SetRetryAfter(c, nil)
		}
		route := c.Route().Path
		if status == fiber.StatusNotFound && route == "/" && c.Path() != "/" {
			route = "unmatched"
		}
		dur := time.Since(start)
		m.Requests.WithLabelValues(c.Method(), route, strconv.Itoa(status)).Inc()
		m.Duration.WithLabelValues(c.Method(), route).Observe(dur.Seconds())
		r := requestLine{level: slog.LevelInfo, at: start.Add(dur), id: id, method: c.Method(), path: c.Path(), route: route, ip: ClientIP(c), status: status, dur: dur}
		if status >= 500 {
			r.level = slog.LevelError
		}
		if u := User(c); u != nil {
			r.user = u.ID
		}
		logRequest(log, r)
		return nil
	}
}

// newRequestID returns a random version 4 UUID. Request ids need to be unique, not secret, so the
// runtime's fast per-thread generator serves instead of crypto/rand (a system call per request).
func newRequestID() string {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return u.String()
}

// NoStore marks responses as private and uncacheable (every page for a signed-in user).
func NoStore(c *fiber.Ctx) error {
	err := c.Next()
	if Session(c) != nil || c.Get(fiber.HeaderAuthorization) != "" {
		setHeaders(c, noStoreHeaders)
	}
	return err
}

// SecurityHeaders sets conservative browser security headers.
func SecurityHeaders(c *fiber.Ctx) error {
	setHeaders(c, securityHeaders)
	return c.Next()
}

// Headers set on every response are kept as bytes with their names in canonical form: setting them
// then skips the normalising copy c.Set makes (a twentieth of a page view's CPU for these seven).
var (
	securityHeaders = headerList(
		"X-Content-Type-Options", "nosniff",
		"X-Frame-Options", "DENY",
		"Referrer-Policy", "same-origin",
		"Permissions-Policy", "camera=(), microphone=(), geolocation=()",
		"Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
	noStoreHeaders = headerList(fiber.HeaderCacheControl, "no-store", fiber.HeaderPragma, "no-cache")
)

func headerList(kv ...string) [][2][]byte {
	out := make([][2][]byte, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		out = append(out, [2][]byte{[]byte(kv[i]), []byte(kv[i+1])})
	}
	return out
}

func setHeaders(c *fiber.Ctx, hs [][2][]byte) {
	h := &c.Response().Header
	for _, kv := range hs {
		h.SetCanonical(kv[0], kv[1])
	}
}

// SendPrivateFile streams a private download (never cached, saved under filename) and closes rc when
// done.
func SendPrivateFile(c *fiber.Ctx, rc io.ReadCloser, size int64, contentType, filename string) error {
	c.Set(fiber.HeaderContentType, contentType)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+filename+`"`)
	return c.SendStream(rc, int(size))
}
