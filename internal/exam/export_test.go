package exam

import (
	"context"
	"time"
)

// Hooks for the tests in package exam_test: the batch writers driven directly, with a batch chosen by
// the test rather than by timing.

// BatchSave is one save for SaveBatch.
type BatchSave struct {
	AttemptID, ItemID, CandidateID string
	Choice                         string // as stored: ORIGINAL option indexes, JSON
	Seq                            int64
}

// BatchSaved is what one save of a batch was told.
type BatchSaved struct {
	Applied bool
	Err     error
}

// SaveBatch writes saves as one batch, as the answer writer does, and returns each one's outcome.
func (s *Service) SaveBatch(ctx context.Context, saves []BatchSave) []BatchSaved {
	reqs := make([]*saveReq, len(saves))
	for i, v := range saves {
		reqs[i] = &saveReq{attemptID: v.AttemptID, itemID: v.ItemID, candidateID: v.CandidateID, choice: v.Choice, seq: v.Seq, done: make(chan saveRes, 1)}
	}
	s.flushAnswers(ctx, reqs)
	out := make([]BatchSaved, len(saves))
	for i, r := range reqs {
		res := <-r.done
		out[i] = BatchSaved{Applied: res.applied, Err: res.err}
	}
	return out
}

// WriteStart writes an attempt for the candidate with the vendor as the start writer does, given the
// number of attempts the gate counted: nil when written, ErrStartRaced when not.
func (s *Service) WriteStart(ctx context.Context, candidateID, vendorID string, seen int) error {
	now := s.now()
	at := &attempt{ID: newID(), CandidateID: candidateID, VendorID: vendorID, Form: "[]", BankVersion: "test", PassPercent: 75,
		StartedAt: now, DeadlineAt: now.Add(time.Hour), Status: StatusOpen}
	r := &startReq{at: at, seen: seen, done: make(chan error, 1)}
	s.flushStarts(ctx, []*startReq{r})
	return <-r.done
}

// ErrStartRaced is errStartRaced, for the tests.
var ErrStartRaced = errStartRaced
