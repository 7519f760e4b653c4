// Package batch writes many requests of the same kind together (group commit).
package batch

import (
	"context"
	"sync"
	"time"
)

// Group commit. Under a burst, many requests want the same kind of write at once (an answer, a
// start). Each then paid its own round trips and its own commit (an fsync on PostgreSQL), and held a
// connection while waiting for a CPU. A batcher gathers the requests that arrive while earlier ones
// are being written and writes them together: one multi-row statement in one transaction, one commit.
//
// No request waits for a timer: a request that finds a flusher free is written at once, alone; only
// requests that arrive while every flusher is busy wait, and they then go together in the next batch
// (first come, first served). Each request is answered only after its batch committed, and what
// became of each row is still decided by the database (the statement's conditions), never by this
// code. Flushers are goroutines that exit as soon as nothing is pending, so an idle service holds none.

// batchTimeout bounds one batch's database work (the requests' own contexts are not used: one
// request giving up must not fail the others in its batch).
const batchTimeout = time.Minute

type Batcher[R any] struct {
	Flushers int // batches written at once, at most (each holds one connection)
	Size     int // requests per batch, at most
	Flush    func(ctx context.Context, batch []R)

	mu      sync.Mutex
	pending []R
	running int
}

// Add queues r and makes sure a flusher will write it.
func (b *Batcher[R]) Add(r R) {
	b.mu.Lock()
	b.pending = append(b.pending, r)
	if b.running >= b.Flushers {
		b.mu.Unlock()
		return
	}
	b.running++
	b.mu.Unlock()
	go b.loop()
}

func (b *Batcher[R]) loop() {
	for {
		b.mu.Lock()
		if len(b.pending) == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		n := min(len(b.pending), b.Size)
		batch := make([]R, n)
		copy(batch, b.pending)
		rest := copy(b.pending, b.pending[n:])
		clear(b.pending[rest:])
		b.pending = b.pending[:rest]
		b.mu.Unlock()

		ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
		b.Flush(ctx, batch)
		cancel()
	}
}

// Wait returns the result a flusher sends on ch, or the context's error first. (A request given up
// may still be written, as a single statement cancelled in flight may be.)
func Wait[T any](ctx context.Context, ch <-chan T) (T, error) {
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
