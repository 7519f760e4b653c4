package batch

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

func TestLoaderReadsKeysAskedTogetherInOneRead(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var reads [][]int
	l := &Loader[int, string]{Flushers: 1, Size: 4, Load: func(_ context.Context, keys []int) (map[int]string, error) {
		mu.Lock()
		first := len(reads) == 0
		reads = append(reads, slices.Clone(keys))
		mu.Unlock()
		if first {
			<-release // the first read holds the only flusher while the others queue up
		}
		m := map[int]string{}
		for _, k := range keys {
			if k%5 != 0 { // multiples of 5 have no value
				m[k] = string(rune('a' + k))
			}
		}
		return m, nil
	}}
	type result struct {
		v  string
		ok bool
	}
	keys := []int{1, 2, 3, 3, 4, 5, 6, 7, 8, 9}
	got := make([]result, len(keys))
	var wg sync.WaitGroup
	started := make(chan struct{})
	wg.Go(func() {
		close(started)
		v, ok, err := l.Get(context.Background(), keys[0])
		if err != nil {
			t.Error(err)
		}
		got[0] = result{v, ok}
	})
	<-started
	for { // the first read is running before the others ask
		mu.Lock()
		n := len(reads)
		mu.Unlock()
		if n == 1 {
			break
		}
	}
	for i := 1; i < len(keys); i++ {
		wg.Go(func() {
			v, ok, err := l.Get(context.Background(), keys[i])
			if err != nil {
				t.Error(err)
			}
			got[i] = result{v, ok}
		})
	}
	for { // wait until all nine are pending
		l.b.mu.Lock()
		n := len(l.b.pending)
		l.b.mu.Unlock()
		if n == len(keys)-1 {
			break
		}
	}
	close(release)
	wg.Wait()
	for i, k := range keys {
		want := result{string(rune('a' + k)), true}
		if k%5 == 0 {
			want = result{}
		}
		if got[i] != want {
			t.Errorf("key %d: got %+v, want %+v", k, got[i], want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// one read alone, then the nine waiting keys in reads of at most 4 distinct keys, each key once
	if len(reads) < 3 || len(reads[0]) != 1 {
		t.Fatalf("reads %v", reads)
	}
	n := 0
	for _, r := range reads[1:] {
		if len(r) > 4 {
			t.Fatalf("a read of %d keys, over the size of 4: %v", len(r), reads)
		}
		n += len(r)
	}
	if n > 9 || n < 8 { // 3 asked twice is read once when both land in one read
		t.Fatalf("reads %v: the nine keys should be read once each (3 at most twice)", reads)
	}
}

func TestLoaderGivesEveryRequestTheReadsError(t *testing.T) {
	boom := errors.New("boom")
	l := &Loader[string, int]{Flushers: 2, Size: 8, Load: func(context.Context, []string) (map[string]int, error) {
		return map[string]int{"a": 1}, boom
	}}
	if v, ok, err := l.Get(context.Background(), "a"); !errors.Is(err, boom) || ok || v != 0 {
		t.Fatalf("got %v %v %v, want the read's error and no value", v, ok, err)
	}
	block := make(chan struct{})
	defer close(block)
	slow := &Loader[string, int]{Flushers: 1, Size: 8, Load: func(context.Context, []string) (map[string]int, error) {
		<-block
		return map[string]int{"b": 2}, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok, err := slow.Get(ctx, "b"); !errors.Is(err, context.Canceled) || ok {
		t.Fatalf("a request that gave up: %v %v", ok, err)
	}
}
