package cache

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type health struct{ ok atomic.Bool }

func (h *health) Healthy() bool { return h.ok.Load() }

func newHealthy() *health {
	h := &health{}
	h.ok.Store(true)
	return h
}

func TestGetPut(t *testing.T) {
	c := New[int](newHealthy(), time.Minute, 10)
	if _, ok := c.Get("a"); ok {
		t.Fatal("empty cache answered")
	}
	c.Put("a", 1, c.Gen())
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get = %d, %v; want 1, true", v, ok)
	}
	c.Delete("a")
	if _, ok := c.Get("a"); ok {
		t.Fatal("deleted entry answered")
	}
}

// A read that raced a write must not be stored: the write's invalidation moved the generation on.
func TestPutAfterInvalidationIsDropped(t *testing.T) {
	c := New[string](newHealthy(), time.Minute, 10)
	gen := c.Gen() // the reader starts
	c.Delete("other")
	c.Put("k", "old value read before the write", gen)
	if _, ok := c.Get("k"); ok {
		t.Fatal("a value read before an invalidation was stored")
	}
	for _, inval := range []func(){c.Clear, func() { c.DeleteFunc(func(string, string) bool { return false }) }} {
		gen := c.Gen()
		inval()
		c.Put("k", "old", gen)
		if _, ok := c.Get("k"); ok {
			t.Fatal("a value read before an invalidation was stored")
		}
	}
}

// While the feed is unhealthy the cache neither answers nor stores.
func TestUnhealthyFeedBypassesCache(t *testing.T) {
	h := newHealthy()
	c := New[int](h, time.Minute, 10)
	c.Put("a", 1, c.Gen())
	h.ok.Store(false)
	if _, ok := c.Get("a"); ok {
		t.Fatal("answered while the feed was unhealthy")
	}
	c.Put("b", 2, c.Gen())
	h.ok.Store(true)
	if _, ok := c.Get("b"); ok {
		t.Fatal("stored while the feed was unhealthy")
	}
}

func TestEntriesExpire(t *testing.T) {
	c := New[int](newHealthy(), 20*time.Millisecond, 10)
	c.Put("a", 1, c.Gen())
	time.Sleep(40 * time.Millisecond)
	if _, ok := c.Get("a"); ok {
		t.Fatal("an expired entry answered")
	}
}

func TestDeleteFunc(t *testing.T) {
	c := New[string](newHealthy(), time.Minute, 10)
	c.Put("s1", "alice", c.Gen())
	c.Put("s2", "bob", c.Gen())
	c.Put("s3", "alice", c.Gen())
	c.DeleteFunc(func(_ string, v string) bool { return v == "alice" })
	if _, ok := c.Get("s1"); ok {
		t.Error("s1 kept")
	}
	if _, ok := c.Get("s3"); ok {
		t.Error("s3 kept")
	}
	if _, ok := c.Get("s2"); !ok {
		t.Error("s2 dropped")
	}
}

func TestSizeIsBounded(t *testing.T) {
	c := New[int](newHealthy(), time.Minute, 100)
	for i := range 1000 {
		c.Put(strconv.Itoa(i), i, c.Gen())
	}
	if n := c.Len(); n > 100 {
		t.Fatalf("%d entries; the bound is 100", n)
	}
	if v, ok := c.Get("999"); !ok || v != 999 {
		t.Fatal("the newest entry is missing")
	}
}

func TestNilMapIsAMiss(t *testing.T) {
	var c *Map[int]
	if _, ok := c.Get("a"); ok {
		t.Fatal("nil map answered")
	}
	c.Put("a", 1, c.Gen())
	c.Delete("a")
	c.Clear()
}

// Readers and invalidators at once: after the last invalidation, no stale value survives (go test -race).
func TestConcurrentReadersNeverResurrectDroppedValues(t *testing.T) {
	c := New[int](newHealthy(), time.Minute, 1000)
	var version atomic.Int64 // the "database"
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, ok := c.Get("k"); ok {
					continue
				}
				gen := c.Gen()
				v := version.Load()
				c.Put("k", int(v), gen)
			}
		}()
	}
	for range 2000 {
		version.Add(1)
		c.Delete("k") // the write commits, then the feed drops the key
	}
	close(stop)
	wg.Wait()
	if v, ok := c.Get("k"); ok && int64(v) != version.Load() {
		t.Fatalf("cache holds version %d after the database moved to %d", v, version.Load())
	}
}

// A cache without a feed (nil Health) always answers: for values no database write can make wrong.
func TestNilHealthIsAlwaysHealthy(t *testing.T) {
	c := New[int](nil, time.Minute, 10)
	c.Put("a", 1, c.Gen())
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get = %d, %v", v, ok)
	}
}
