package httpx

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// NewLogger returns the process's logger: JSON lines on w from level on ("debug", "info", "warn",
// "error"; anything else is info). It is slog's JSON handler, except that the request line written
// for every request (RequestContext) is formatted straight into a pooled buffer, byte for byte as
// slog would write it: slog's generic path (a record, the caller's frame, a type switch and an
// escaping pass per field) cost a sixth of a module page view's CPU.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	out := &lockedWriter{w: w}
	return slog.New(&logHandler{JSONHandler: slog.NewJSONHandler(out, &slog.HandlerOptions{Level: l}), out: out})
}

// logHandler is slog's JSON handler plus a fast path for request lines.
type logHandler struct {
	*slog.JSONHandler
	out *lockedWriter // shared with the JSON handler, so lines from both never interleave
}

// lockedWriter serialises writes: the JSON handler and the request lines write one whole line each.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// requestLine holds the fields of one request's log line.
type requestLine struct {
	level                             slog.Level
	at                                time.Time
	id, method, path, route, ip, user string // user "" for signed out
	status                            int
	dur                               time.Duration
}

// logRequest writes the request line through the fast path when log has one, else through slog.
func logRequest(log *slog.Logger, r requestLine) {
	ctx := context.Background()
	if h, ok := log.Handler().(*logHandler); ok {
		if h.Enabled(ctx, r.level) {
			h.writeRequest(r)
		}
		return
	}
	var attrs [8]slog.Attr
	log.LogAttrs(ctx, r.level, "request", r.attrs(attrs[:0])...)
}

// attrs appends the line's fields, as slog attributes, to a.
func (r requestLine) attrs(a []slog.Attr) []slog.Attr {
	a = append(a, slog.String("request_id", r.id), slog.String("method", r.method), slog.String("path", r.path),
		slog.String("route", r.route), slog.Int("status", r.status), slog.Float64("duration_ms", durationMS(r.dur)),
		slog.String("ip", r.ip))
	if r.user != "" {
		a = append(a, slog.String("user_id", r.user))
	}
	return a
}

func durationMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

var lineBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// writeRequest formats r as slog's JSON handler would and writes it in one call.
func (h *logHandler) writeRequest(r requestLine) {
	bp := lineBufs.Get().(*[]byte)
	b := append((*bp)[:0], `{"time":"`...)
	b = r.at.AppendFormat(b, time.RFC3339Nano) // as slog's JSON handler
	b = append(b, `","level":"`...)
	b = append(b, r.level.String()...)
	b = append(b, `","msg":"request","request_id":"`...)
	b = appendJSONString(b, r.id)
	b = append(b, `","method":"`...)
	b = appendJSONString(b, r.method)
	b = append(b, `","path":"`...)
	b = appendJSONString(b, r.path)
	b = append(b, `","route":"`...)
	b = appendJSONString(b, r.route)
	b = append(b, `","status":`...)
	b = strconv.AppendInt(b, int64(r.status), 10)
	b = append(b, `,"duration_ms":`...)
	// encoding/json (which slog uses for floats) writes 'f' format for 1e-6 <= |v| < 1e21 and for 0:
	// a duration in whole microseconds, in milliseconds, is always in that range.
	b = strconv.AppendFloat(b, durationMS(r.dur), 'f', -1, 64)
	b = append(b, `,"ip":"`...)
	b = appendJSONString(b, r.ip)
	if r.user != "" {
		b = append(b, `","user_id":"`...)
		b = appendJSONString(b, r.user)
	}
	b = append(b, "\"}\n"...)
	_, _ = h.out.Write(b)
	if cap(b) <= 4096 {
		*bp = b
		lineBufs.Put(bp)
	}
}

// appendJSONString appends s escaped as slog's JSON handler escapes strings (without the quotes):
// quote, backslash and control characters escaped, invalid UTF-8 replaced by U+FFFD, U+2028 and
// U+2029 escaped; everything else, HTML characters included, as is.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}
