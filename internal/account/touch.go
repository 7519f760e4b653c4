package account

import (
	"context"
	"slices"
	"sync"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/batch"
	"github.com/peeracademy/peeracademy/internal/database"
)

// A session's idle clock is moved forward at most once a minute, by the request that finds it a
// minute old. When many sessions do that at once (2,000 candidates pressing Start together), each
// paid its own UPDATE and commit. Touches that arrive while others are being written now go
// together in one UPDATE (internal/batch); each request still waits for its own to be written, so
// what a request sees of the clock is what the database holds.

const (
	touchBatchSize = 500
	touchFlushers  = 2
)

type touchReq struct {
	id   string
	done chan error
}

type toucher struct {
	once sync.Once
	b    *batch.Batcher[*touchReq]
}

func (s *Service) touch(ctx context.Context, id string) error {
	s.touches.once.Do(func() {
		s.touches.b = &batch.Batcher[*touchReq]{Flushers: touchFlushers, Size: touchBatchSize, Flush: s.flushTouches}
	})
	r := &touchReq{id: id, done: make(chan error, 1)}
	s.touches.b.Add(r)
	err, werr := batch.Wait(ctx, r.done)
	if werr != nil {
		return werr
	}
	return err
}

// flushTouches sets the batch's sessions' idle clock to now, in key order (two batches never wait
// on each other in a circle), never backwards.
func (s *Service) flushTouches(ctx context.Context, reqs []*touchReq) {
	ids := make([]string, 0, len(reqs))
	for _, r := range reqs {
		ids = append(ids, r.id)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	now := database.Now()
	_, err := s.DB.NewUpdate().Model((*Session)(nil)).Set("last_seen_at = ?", now).
		Where("id IN (?)", bun.In(ids)).Where("last_seen_at < ?", now).Exec(ctx)
	for _, r := range reqs {
		r.done <- err
	}
}
