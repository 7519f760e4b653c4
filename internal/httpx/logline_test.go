package httpx

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The hand-formatted request line must be exactly what slog's JSON handler writes for the same record.
func TestRequestLineMatchesSlog(t *testing.T) {
	at := time.Date(2026, 12, 2, 21, 6, 50, 120_456_789, time.FixedZone("EST", -5*3600))
	lines := []requestLine{
		{level: slog.LevelInfo, at: at, id: "0b1c2d3e-1234-4abc-8def-0123456789ab", method: "GET", path: "/learn/day-01-welcome", route: "/learn/:slug", ip: "127.0.0.1", status: 200, dur: 1234 * time.Microsecond, user: "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"},
		{level: slog.LevelError, at: at.Add(880 * time.Millisecond), id: "x", method: "POST", path: "/", route: "/", ip: "::1", status: 500, dur: 0},
		{level: slog.LevelInfo, at: at.UTC().Truncate(time.Second), id: "a\"b\\c\n\r\t\x00\x1f<>&'", method: "GET", path: "/caf\u00e9/\u2028\u2029/\xff\xfe/x y", route: "unmatched", ip: "10.0.0.1", status: 404, dur: 3*time.Hour + 7*time.Microsecond},
		{level: slog.LevelInfo, at: at, id: strings.Repeat("é", 32), method: "GET", path: "/" + strings.Repeat("p", 5000), route: "/", ip: "", status: 200, dur: time.Microsecond},
	}
	for _, r := range lines {
		var want bytes.Buffer
		rec := slog.NewRecord(r.at, r.level, "request", 0)
		rec.AddAttrs(r.attrs(nil)...)
		if err := slog.NewJSONHandler(&want, nil).Handle(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		log := NewLogger(&got, "info")
		log.Handler().(*logHandler).writeRequest(r)
		if got.String() != want.String() {
			t.Errorf("request line differs from slog's\n got: %s\nwant: %s", got.String(), want.String())
		}
		if !json.Valid(got.Bytes()) {
			t.Errorf("not JSON: %s", got.String())
		}
	}
}

// logRequest honours the level and falls back to slog for loggers built elsewhere.
func TestLogRequestLevelsAndFallback(t *testing.T) {
	r := requestLine{level: slog.LevelInfo, at: time.Now(), id: "id", method: "GET", path: "/", route: "/", ip: "127.0.0.1", status: 200}
	var buf bytes.Buffer
	logRequest(NewLogger(&buf, "warn"), r)
	if buf.Len() != 0 {
		t.Errorf("an info line was written at level warn: %s", buf.String())
	}
	r.level = slog.LevelError
	logRequest(NewLogger(&buf, "warn"), r)
	if !strings.Contains(buf.String(), `"level":"ERROR","msg":"request"`) {
		t.Errorf("the error line is missing: %q", buf.String())
	}
	buf.Reset()
	logRequest(slog.New(slog.NewTextHandler(&buf, nil)), r)
	if !strings.Contains(buf.String(), "msg=request request_id=id") {
		t.Errorf("the fallback line is missing: %q", buf.String())
	}
}
