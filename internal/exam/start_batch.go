package exam

import (
	"context"
	"slices"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/batch"
	"github.com/peeracademy/peeracademy/internal/database"
)

// Starts are written in batches (see internal/batch): the attempts whose gate was passed while others were
// being written go together in one transaction: the candidates' row locks (PostgreSQL), one count of
// their attempts, one multi-row INSERT, one multi-row audit INSERT, one commit. The foreign keys to
// the vendor and the cohort then lock their (shared, hot) rows once per batch instead of once per
// start.

// startBatchSize and startFlushers: a start's row costs the database a few checks (three foreign
// keys, five indexes, the audit row), so a batch of 128 took 0.2 to 1 s on the loaded test machine and
// two flushers made starts wait on each other; four batches of at most 32 in flight did better in
// alternating runs (README, "Load test").
const (
	startBatchSize = 32
	startFlushers  = 4
)

type startReq struct {
	at    *attempt
	seen  int // the candidate's attempts when the gate read its facts
	event audit.Pending
	done  chan error // nil: written; errStartRaced: not written, read the gate again
}

func (s *Service) startBatcher() *batch.Batcher[*startReq] {
	s.startsOnce.Do(func() {
		s.starts = &batch.Batcher[*startReq]{Flushers: startFlushers, Size: startBatchSize, Flush: s.flushStarts}
	})
	return s.starts
}

// flushStarts writes a batch; when its transaction fails, each start is tried alone, so that one bad
// row cannot fail the others.
func (s *Service) flushStarts(ctx context.Context, batch []*startReq) {
	written, err := s.writeStarts(ctx, batch)
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			s.flushStarts(ctx, []*startReq{r})
		}
		return
	}
	for _, r := range batch {
		switch {
		case err != nil:
			r.done <- err
		case written[r.at.ID]:
			r.done <- nil
		default:
			r.done <- errStartRaced
		}
	}
}

// writeStarts inserts the batch's attempts whose candidates still have the attempts their gate
// counted (none started or finished since), at most one open attempt per candidate (the partial
// unique index; a second start in the same batch is not written), and an audit event for each
// attempt written. It returns the ids written.
func (s *Service) writeStarts(ctx context.Context, batch []*startReq) (map[string]bool, error) {
	written := map[string]bool{}
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		clear(written)
		ids := make([]string, 0, len(batch))
		for _, r := range batch {
			ids = append(ids, r.at.CandidateID)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		// Serialise each candidate's starts (in id order: two batches never wait on each other in a circle).
		if err := account.LockUsers(ctx, tx, ids); err != nil {
			return err
		}
		var counts []struct {
			CandidateID string `bun:"candidate_id"`
			N           int    `bun:"n"`
		}
		if err := tx.NewRaw("SELECT candidate_id, COUNT(*) AS n FROM exam_attempts WHERE candidate_id IN (?) GROUP BY candidate_id", bun.In(ids)).
			Scan(ctx, &counts); err != nil && !database.ErrIsNotFound(err) {
			return err
		}
		have := make(map[string]int, len(counts))
		for _, c := range counts {
			have[c.CandidateID] = c.N
		}
		ats := make([]*attempt, 0, len(batch))
		for _, r := range batch {
			if have[r.at.CandidateID] == r.seen {
				ats = append(ats, r.at)
			}
		}
		if len(ats) == 0 {
			return nil
		}
		var got []string
		if err := tx.NewInsert().Model(&ats).On("CONFLICT (candidate_id) WHERE status = 'open' DO NOTHING").Returning("id").
			Scan(ctx, &got); err != nil && !database.ErrIsNotFound(err) {
			return err
		}
		events := make([]audit.Pending, 0, len(got))
		for _, id := range got {
			written[id] = true
		}
		for _, r := range batch {
			if written[r.at.ID] {
				events = append(events, r.event)
			}
		}
		return audit.RecordAll(ctx, tx, events)
	})
	if err != nil {
		return nil, err
	}
	return written, nil
}
