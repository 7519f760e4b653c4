// Package media stores user-uploaded files (course material, avatars, …).
//
// A Store keeps opaque objects addressed by slash-separated keys. Two
// implementations exist: FS, a local directory (the embedded default), and
// S3, any S3-compatible object store reached through minio-go.
//
// Every Put spools the upload to a temporary file first, so that the size
// limit is enforced before anything is stored, the content type can be
// sniffed from the data itself (never trusted from the client), and the
// object only becomes visible once it is complete.
package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// Errors returned by Store implementations and helpers. Callers should test
// for them with errors.Is.
var (
	// ErrNotFound reports that no object exists under the key.
	ErrNotFound = errors.New("media: not found")
	// ErrTooLarge reports that the upload exceeded PutOptions.MaxSize.
	ErrTooLarge = errors.New("media: object too large")
	// ErrTypeNotAllowed reports that the sniffed content type is not in
	// PutOptions.AllowedTypes.
	ErrTypeNotAllowed = errors.New("media: content type not allowed")
	// ErrEmpty reports an upload of zero bytes.
	ErrEmpty = errors.New("media: empty object")
	// ErrBadKey reports a key that does not satisfy ValidKey.
	ErrBadKey = errors.New("media: invalid key")
	// ErrUnavailable reports that the store could not be reached or failed on
	// its side (a network error, a 5xx answer): worth trying again later.
	ErrUnavailable = errors.New("media: store unavailable")
	// ErrRangeNotSatisfiable reports a byte range that lies outside the
	// object (HTTP 416).
	ErrRangeNotSatisfiable = errors.New("media: range not satisfiable")
)

// Object describes a stored object.
type Object struct {
	// Key is the object's key.
	Key string
	// Size is the full size of the object in bytes (also for ranged Gets).
	Size int64
	// ContentType is the sniffed media type without parameters, e.g.
	// "image/png". It may be empty in List results.
	ContentType string
	// ModTime is the time the object was last written.
	ModTime time.Time
	// ETag is an opaque, unquoted validator that changes when the object is
	// rewritten. It is suitable for HTTP ETag headers once quoted.
	ETag string
}

// PutOptions restricts what Put accepts.
type PutOptions struct {
	// MaxSize is the maximum object size in bytes; 0 means no limit. Input
	// longer than MaxSize fails with ErrTooLarge and nothing is stored.
	MaxSize int64
	// AllowedTypes lists the sniffed content types (without parameters,
	// e.g. "application/pdf", "image/png") that are accepted. Empty means
	// any type is accepted.
	AllowedTypes []string
}

// Store is a flat object store addressed by keys (see ValidKey).
type Store interface {
	// Put reads r fully (spooling it to a temporary file so that the size
	// is known and MaxSize enforced), sniffs the content type from the
	// first 512 bytes (see DetectContentType), rejects empty input
	// (ErrEmpty) and disallowed types (ErrTypeNotAllowed), and then stores
	// the object atomically, replacing any previous object under key. It
	// returns the stored Object.
	Put(ctx context.Context, key string, r io.Reader, opts PutOptions) (Object, error)
	// Get streams the object, or the byte range [offset, offset+length) of
	// it; length < 0 means to the end of the object and a range extending
	// beyond the end is truncated. An offset outside [0, size] yields
	// ErrRangeNotSatisfiable. The returned Object describes the whole
	// object. The caller must close the reader.
	Get(ctx context.Context, key string, offset, length int64) (io.ReadCloser, Object, error)
	// Stat describes the object under key, or returns ErrNotFound.
	Stat(ctx context.Context, key string) (Object, error)
	// Delete removes the object under key. Deleting a missing key is not
	// an error.
	Delete(ctx context.Context, key string) error
	// List returns all objects whose key starts with prefix (a plain string
	// prefix, not necessarily ending in "/"), sorted by key. ContentType is
	// left empty in the results.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Ping reports whether the store is reachable (for readiness probes).
	Ping(ctx context.Context) error
}

// MaxKeyLen is the maximum length of a key in bytes.
const MaxKeyLen = 512

// ValidKey reports whether key is acceptable to a Store. Keys are relative,
// slash-separated paths whose segments consist of the characters
// [A-Za-z0-9._-]; a key must not be empty, start or end with "/", contain an
// empty segment or a "." or ".." segment, or be longer than MaxKeyLen bytes.
// It returns nil or an error wrapping ErrBadKey.
func ValidKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrBadKey)
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrBadKey, MaxKeyLen)
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w: %q has an empty segment", ErrBadKey, key)
		case ".", "..":
			return fmt.Errorf("%w: %q has a %q segment", ErrBadKey, key, seg)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
				c == '.' || c == '_' || c == '-'
			if !ok {
				return fmt.Errorf("%w: %q contains a disallowed character", ErrBadKey, key)
			}
		}
	}
	return nil
}

// sniffLen is the number of leading bytes DetectContentType looks at.
const sniffLen = 512

// DetectContentType returns the media type of data (only the first 512 bytes
// are considered) without parameters, e.g. "text/plain" rather than
// "text/plain; charset=utf-8". It uses http.DetectContentType, which
// recognises among others PDF, PNG, JPEG, GIF, WebP, MP4, WebM, MP3 and OGG,
// and additionally reports "image/svg+xml" for text that starts, after an
// optional XML prolog, comments and doctype, with an <svg> element.
// Unrecognised binary data is "application/octet-stream".
func DetectContentType(data []byte) string {
	if len(data) > sniffLen {
		data = data[:sniffLen]
	}
	ct := baseType(http.DetectContentType(data))
	if strings.HasPrefix(ct, "text/") && isSVG(data) {
		return "image/svg+xml"
	}
	return ct
}

// baseType strips parameters from a media type and lower-cases it.
func baseType(ct string) string {
	ct, _, _ = strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(ct))
}

// isSVG reports whether data starts with an <svg element, optionally preceded
// by a byte-order mark, an XML declaration, comments and a doctype.
func isSVG(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for {
		data = bytes.TrimLeft(data, " \t\r\n")
		var end []byte
		switch {
		case bytes.HasPrefix(data, []byte("<?")):
			end = []byte("?>")
		case bytes.HasPrefix(data, []byte("<!--")):
			end = []byte("-->")
		case hasPrefixFold(data, "<!doctype"):
			end = []byte(">")
		default:
			if !hasPrefixFold(data, "<svg") {
				return false
			}
			if len(data) == 4 {
				return true // truncated right after the tag name
			}
			switch data[4] {
			case ' ', '\t', '\r', '\n', '>', '/':
				return true
			}
			return false
		}
		i := bytes.Index(data, end)
		if i < 0 {
			return false
		}
		data = data[i+len(end):]
	}
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// typeAllowed reports whether ct is permitted by allowed (empty = any).
func typeAllowed(ct string, allowed []string) bool {
	if len(allowed) == 0 {
		return true
	}
	for _, a := range allowed {
		if baseType(a) == ct {
			return true
		}
	}
	return false
}

// spooled is an upload that was copied to a temporary file and validated.
type spooled struct {
	file        *os.File
	size        int64
	contentType string
}

// discard closes and removes the temporary file.
func (s *spooled) discard() {
	_ = s.file.Close()
	_ = os.Remove(s.file.Name())
}

// spool copies r into a new temporary file in dir (os.TempDir if empty),
// enforcing opts. On success the file is positioned at offset 0 and the
// caller owns it; on error nothing is left behind.
func spool(ctx context.Context, dir string, r io.Reader, opts PutOptions) (*spooled, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("media: create spool file: %w", err)
	}
	s := &spooled{file: f}
	fail := func(err error) (*spooled, error) {
		s.discard()
		return nil, err
	}
	src := io.Reader(ctxReader{ctx, r})
	if opts.MaxSize > 0 {
		src = io.LimitReader(src, opts.MaxSize+1)
	}
	n, err := io.Copy(f, src)
	if err != nil {
		return fail(fmt.Errorf("media: read upload: %w", err))
	}
	if opts.MaxSize > 0 && n > opts.MaxSize {
		return fail(ErrTooLarge)
	}
	if n == 0 {
		return fail(ErrEmpty)
	}
	head := make([]byte, min(n, sniffLen))
	if _, err := f.ReadAt(head, 0); err != nil {
		return fail(fmt.Errorf("media: read spool file: %w", err))
	}
	ct := DetectContentType(head)
	if !typeAllowed(ct, opts.AllowedTypes) {
		return fail(fmt.Errorf("%w: %s", ErrTypeNotAllowed, ct))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fail(fmt.Errorf("media: rewind spool file: %w", err))
	}
	s.size, s.contentType = n, ct
	return s, nil
}

// ctxReader fails reads once ctx is done, so that a long upload can be
// abandoned.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// clampRange validates offset and length against size and returns the
// effective length (length < 0 means to the end).
func clampRange(offset, length, size int64) (int64, error) {
	if offset < 0 || offset > size {
		return 0, ErrRangeNotSatisfiable
	}
	if rest := size - offset; length < 0 || length > rest {
		length = rest
	}
	return length, nil
}

// readCloser combines a reader with the closer of the underlying resource.
type readCloser struct {
	io.Reader
	io.Closer
}
