// Package cache keeps short-lived copies of hot database reads in memory, for as long as a change
// feed (internal/database) vouches that nothing it depends on has changed.
//
// The rules that keep it correct:
//   - Get answers only while the feed is healthy and the entry is younger than the TTL (a backstop for
//     writes the feed cannot see, such as another process writing the same SQLite file).
//   - Take Gen() before reading the database and pass it to Put: any invalidation in between (the
//     write committed after the read) makes Put a no-op, so an old read never overwrites a newer drop.
//   - Subscribers of the feed call Delete, DeleteFunc or Clear for each change.
package cache

import (
	"sync"
	"time"
)

// Health is what the cache asks before answering: the change feed's health. A nil Health is always
// healthy (a cache no database write can make wrong, such as a write throttle).
type Health interface{ Healthy() bool }

// Map is a concurrent map of values that expire.
type Map[V any] struct {
	health Health
	ttl    time.Duration
	max    int

	mu  sync.RWMutex
	gen uint64
	m   map[string]item[V]
}

type item[V any] struct {
	v   V
	exp int64 // unix nanoseconds
}

// New returns a map whose entries live at most ttl and which holds at most max entries.
func New[V any](health Health, ttl time.Duration, max int) *Map[V] {
	return &Map[V]{health: health, ttl: ttl, max: max, m: make(map[string]item[V])}
}

func (c *Map[V]) healthy() bool { return c.health == nil || c.health.Healthy() }

// Get returns the value for k, if present, fresh, and the feed healthy.
func (c *Map[V]) Get(k string) (V, bool) {
	var zero V
	if c == nil || !c.healthy() {
		return zero, false
	}
	c.mu.RLock()
	it, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || time.Now().UnixNano() > it.exp {
		return zero, false
	}
	return it.v, true
}

// Gen returns the invalidation generation; pass it to Put.
func (c *Map[V]) Gen() uint64 {
	if c == nil {
		return 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// Put stores v under k unless anything was invalidated since gen was taken or the feed is unhealthy.
func (c *Map[V]) Put(k string, v V, gen uint64) {
	if c == nil || !c.healthy() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	now := time.Now().UnixNano()
	if len(c.m) >= c.max {
		for key, it := range c.m {
			if now > it.exp {
				delete(c.m, key)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m)
		}
	}
	c.m[k] = item[V]{v: v, exp: now + int64(c.ttl)}
}

// Delete drops k.
func (c *Map[V]) Delete(k string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.gen++
	delete(c.m, k)
	c.mu.Unlock()
}

// DeleteFunc drops every entry for which drop returns true.
func (c *Map[V]) DeleteFunc(drop func(k string, v V) bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.gen++
	for k, it := range c.m {
		if drop(k, it.v) {
			delete(c.m, k)
		}
	}
	c.mu.Unlock()
}

// Clear drops everything.
func (c *Map[V]) Clear() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}

// Len returns the number of entries, expired ones included.
func (c *Map[V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
