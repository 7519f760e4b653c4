package media

import (
	"errors"
	"strconv"
	"strings"
)

// ParseRange parses the value of an HTTP Range header ("bytes=0-99",
// "bytes=100-", "bytes=-500") against a representation of size bytes and
// returns the offset and length of the selected bytes (length > 0).
//
// ok is false, with a nil error, when the header should be ignored and the
// full representation served: when it is empty, uses a unit other than
// bytes, is syntactically invalid, or requests several ranges. err is
// ErrRangeNotSatisfiable when the single range is valid but selects no byte
// of the representation (HTTP 416). A last position beyond the end and a
// suffix longer than the representation are truncated to it.
func ParseRange(header string, size int64) (offset, length int64, ok bool, err error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return 0, 0, false, nil
	}
	unit, spec, found := strings.Cut(header, "=")
	if !found || !strings.EqualFold(strings.TrimSpace(unit), "bytes") {
		return 0, 0, false, nil
	}
	if strings.Contains(spec, ",") {
		return 0, 0, false, nil // multipart/byteranges is not supported
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, nil
	}
	first, last = strings.TrimSpace(first), strings.TrimSpace(last)

	if first == "" {
		// Suffix range: the last n bytes.
		n, err := parseDigits(last)
		if errors.Is(err, strconv.ErrRange) {
			n, err = size, nil
		}
		if err != nil {
			return 0, 0, false, nil
		}
		if n == 0 || size <= 0 {
			return 0, 0, false, ErrRangeNotSatisfiable
		}
		n = min(n, size)
		return size - n, n, true, nil
	}

	start, err := parseDigits(first)
	if errors.Is(err, strconv.ErrRange) {
		return 0, 0, false, ErrRangeNotSatisfiable // beyond any possible size
	}
	if err != nil {
		return 0, 0, false, nil
	}
	end := size - 1
	if last != "" {
		e, err := parseDigits(last)
		switch {
		case errors.Is(err, strconv.ErrRange):
			// Absurdly large last position: to the end.
		case err != nil:
			return 0, 0, false, nil
		case e < start:
			return 0, 0, false, nil // invalid range-spec: ignore
		default:
			end = min(e, size-1)
		}
	}
	if start >= size {
		return 0, 0, false, ErrRangeNotSatisfiable
	}
	return start, end - start + 1, true, nil
}

var errNotDigits = errors.New("not a decimal number")

// parseDigits parses a non-empty string of ASCII digits (no sign, no spaces).
func parseDigits(s string) (int64, error) {
	if s == "" {
		return 0, errNotDigits
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errNotDigits
		}
	}
	return strconv.ParseInt(s, 10, 64)
}
