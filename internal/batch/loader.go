package batch

import (
	"context"
	"sync"
)

// Reads that arrive together. When 2,000 candidates press Start in the same second, each request
// read its session and its coursework with statements of its own, one connection each, and most of
// the requests spent the burst waiting for one of the pool's connections (a goroutine profile taken
// during the burst: 1,900 of 2,000 in database/sql's conn). A Loader reads the keys asked for while
// an earlier read is running together, in one read of many keys (the same read the domain already
// has for a list: an IN (...) of ids), and gives each request its own value.
//
// As with the Batcher, no request waits for a timer: a key asked for while a flusher is free is read
// at once, alone. Each value is read after its request arrived, never taken from an earlier read, so
// a request sees what the database held at some moment while it was being served, as it did when it
// read alone.

// Loader reads values by key, many keys in one read.
type Loader[K comparable, V any] struct {
	Flushers int // reads running at once, at most (each holds one connection)
	Size     int // keys per read, at most
	// Load reads the values of keys (each key once); a key without a value is absent from the map.
	Load func(ctx context.Context, keys []K) (map[K]V, error)

	once sync.Once
	b    *Batcher[*loadReq[K, V]]
}

type loadReq[K comparable, V any] struct {
	key  K
	done chan loaded[V]
}

type loaded[V any] struct {
	v   V
	ok  bool
	err error
}

// Get returns key's value, whether it has one, or the read's error (ctx's when the request gives up
// first; the read goes on for the others).
func (l *Loader[K, V]) Get(ctx context.Context, key K) (V, bool, error) {
	l.once.Do(func() {
		l.b = &Batcher[*loadReq[K, V]]{Flushers: l.Flushers, Size: l.Size, Flush: l.flush}
	})
	r := &loadReq[K, V]{key: key, done: make(chan loaded[V], 1)}
	l.b.Add(r)
	got, err := Wait(ctx, r.done)
	if err != nil {
		var zero V
		return zero, false, err
	}
	return got.v, got.ok, got.err
}

func (l *Loader[K, V]) flush(ctx context.Context, reqs []*loadReq[K, V]) {
	keys := make([]K, 0, len(reqs))
	seen := make(map[K]bool, len(reqs))
	for _, r := range reqs {
		if !seen[r.key] {
			seen[r.key] = true
			keys = append(keys, r.key)
		}
	}
	m, err := l.Load(ctx, keys)
	for _, r := range reqs {
		if err != nil {
			r.done <- loaded[V]{err: err}
			continue
		}
		v, ok := m[r.key]
		r.done <- loaded[V]{v: v, ok: ok}
	}
}
