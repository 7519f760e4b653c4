package account

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/apperr"
)

// TestHasherBoundsHashesInFlight: with every slot taken, a hash waits its short while and is refused
// with ErrBusy (503 with Retry-After); once a slot frees, hashing runs again.
func TestHasherBoundsHashesInFlight(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(1, 20*time.Millisecond)
	started, hold, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() { done <- h.run(ctx, func() { close(started); <-hold }) }()
	<-started
	err := h.run(ctx, func() { t.Error("a second hash ran while the only slot was taken") })
	e, ok := apperr.As(err)
	if !errors.Is(err, ErrBusy) || !ok || e.Kind != apperr.Unavailable || e.RetryAfter <= 0 {
		t.Fatalf("busy: %v, want ErrBusy with a Retry-After", err)
	}
	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ran := false
	if err := h.run(ctx, func() { ran = true }); err != nil || !ran {
		t.Fatalf("after the slot freed: %v (ran %v)", err, ran)
	}
}
