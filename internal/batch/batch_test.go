package batch

import (
	"context"
	"sync"
	"testing"
	"time"
)

// Requests that arrive while the flushers are busy go together; every request is flushed exactly
// once and answered; no flusher outlives the work.
func TestBatcherGroupsAndAnswersEveryRequest(t *testing.T) {
	type req struct {
		n    int
		done chan int
	}
	release := make(chan struct{})
	var mu sync.Mutex
	seen := map[int]int{}
	var sizes []int
	b := &Batcher[*req]{Flushers: 1, Size: 10, Flush: func(_ context.Context, batch []*req) {
		<-release // the first batch holds the only flusher while the rest queue up
		mu.Lock()
		sizes = append(sizes, len(batch))
		for _, r := range batch {
			seen[r.n]++
		}
		mu.Unlock()
		for _, r := range batch {
			r.done <- r.n * 2
		}
	}}
	reqs := make([]*req, 25)
	for i := range reqs {
		reqs[i] = &req{n: i, done: make(chan int, 1)}
		b.Add(reqs[i])
	}
	close(release)
	for i, r := range reqs {
		got, err := Wait(context.Background(), r.done)
		if err != nil || got != i*2 {
			t.Fatalf("request %d: got %d, %v", i, got, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range reqs {
		if seen[i] != 1 {
			t.Fatalf("request %d flushed %d times", i, seen[i])
		}
	}
	// One flusher held by the first batch: the others queued and went in batches of at most 10
	// (the first batch is one request or ten, as the flusher's goroutine was scheduled).
	total := 0
	for _, n := range sizes {
		if n > 10 {
			t.Fatalf("a batch of %d, over the size of 10: %v", n, sizes)
		}
		total += n
	}
	if total != 25 || len(sizes) < 3 || len(sizes) > 4 {
		t.Fatalf("batch sizes %v: want 25 requests in 3 or 4 batches", sizes)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		running := b.running
		b.mu.Unlock()
		if running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a flusher is still running with nothing pending")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestWaitGivesUpWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Wait(ctx, make(chan int)); err != context.Canceled {
		t.Fatalf("Wait on a cancelled context: %v", err)
	}
}
