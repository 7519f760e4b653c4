// Package apperr carries errors that are safe to show: a kind (mapped to an HTTP status by the web
// layer), a stable code, a message a person understands and per-field messages. Anything else that
// reaches a handler is an internal error: it is logged and the user sees a generic message.
package apperr

import (
	"errors"
	"sort"
	"strings"
	"time"
)

// Kind classifies an error for the HTTP layer.
type Kind int

// Kinds of safe errors.
const (
	Invalid         Kind = iota + 1 // 422: the input breaks a rule
	BadRequest                      // 400: the request itself is malformed
	Unauthenticated                 // 401
	Forbidden                       // 403
	NotFound                        // 404
	Conflict                        // 409
	TooLarge                        // 413
	Unsupported                     // 415
	TooMany                         // 429
	Gone                            // 410
	Unavailable                     // 503: try again shortly (database unreachable, too busy)
)

// Error is a safe, user-facing error.
type Error struct {
	Kind    Kind
	Code    string
	Message string
	Fields  map[string]string
	Err     error // the cause, for logs only
	// RetryAfter tells the client when to try again (the Retry-After header on 429 and 503).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if base, ok := e.Err.(*Error); ok && base.Message == e.Message {
		return e.Message // a copy made by Retry
	}
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Retry returns a copy of e that asks the client to wait d. The copy wraps e, so errors.Is(copy, e)
// still holds for sentinel errors.
func (e *Error) Retry(d time.Duration) *Error {
	c := *e
	c.RetryAfter, c.Err = d, e
	return &c
}

// New returns a safe error.
func New(kind Kind, code, message string) *Error {
	return &Error{Kind: kind, Code: code, Message: message}
}

// As extracts a safe error from err.
func As(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Is reports whether err is a safe error of the kind.
func Is(err error, kind Kind) bool {
	e, ok := As(err)
	return ok && e.Kind == kind
}

// Fields collects per-field validation messages.
type Fields map[string]string

// Add records msg for field unless the field already has a message.
func (f Fields) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// Err returns nil when no field failed, else an Invalid error listing them.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	msg := "Please correct the highlighted fields."
	if len(f) == 1 {
		msg = f[keys[0]]
	}
	return &Error{Kind: Invalid, Code: "invalid_input", Message: msg, Fields: map[string]string(f)}
}

// Field returns an Invalid error about one field.
func Field(field, msg string) error { return Fields{field: msg}.Err() }

// Trim returns s without surrounding space, for form values.
func Trim(s string) string { return strings.TrimSpace(s) }
