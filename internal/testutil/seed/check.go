package seed

import (
	"testing"

	"github.com/peeracademy/peeracademy/internal/apperr"
)

// Must fails the test if err is not nil.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// WantCode fails the test unless err is an apperr of kind and, when code is not "", of code.
func WantCode(t testing.TB, err error, kind apperr.Kind, code string) *apperr.Error {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Kind != kind || (code != "" && e.Code != code) {
		t.Fatalf("got %v (%T), want an apperr of kind %d, code %q", err, err, kind, code)
	}
	return e
}
