package exam

import (
	"context"
	"fmt"
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

// GateFactsTogether reads the gate's facts of candidates (each with the vendor of their enrolment,
// "" for none) in one statement, as the loader does for starts that arrive together, and each alone
// with the single statement, and returns both, with times as UTC text, for the test to compare.
func (s *Service) GateFactsTogether(ctx context.Context, keys [][2]string) (together, alone []string, err error) {
	gks := make([]gateKey, len(keys))
	for i, k := range keys {
		gks[i] = gateKey{candidate: k[0], enrolled: k[1]}
	}
	got, err := s.readGates(ctx, gks)
	if err != nil {
		return nil, nil, err
	}
	show := func(f gateFacts) string {
		t := func(p *time.Time) string {
			if p == nil {
				return "<nil>"
			}
			return p.UTC().Format(time.RFC3339Nano)
		}
		d := func(p any) string { return fmt.Sprintf("%v", derefAny(p)) }
		return fmt.Sprintf("open=%s deadline=%s passed=%d vendor=%s override=%d settings=%s/%s/%s/%s/%s extra=%s used=%d last=%s retired=%s attempts=%d",
			d(f.OpenID), t(f.OpenDeadline), f.Passed, d(f.VendorID), f.OverrideHere, d(f.Duration), d(f.PassPercent), d(f.MaxAttempts), d(f.WaitDays),
			d(f.FormLength), d(f.Extra), f.Used, t(f.LastFinished), d(f.Retired), f.Attempts)
	}
	for _, k := range gks {
		together = append(together, show(got[k]))
		var enrolled *string
		if k.enrolled != "" {
			enrolled = &k.enrolled
		}
		f, err := s.gateFactsOne(ctx, s.DB, enrolled, k.candidate)
		if err != nil {
			return nil, nil, err
		}
		alone = append(alone, show(f))
	}
	return together, alone, nil
}

func derefAny(p any) any {
	switch v := p.(type) {
	case *string:
		if v != nil {
			return *v
		}
	case *int:
		if v != nil {
			return *v
		}
	}
	return "<nil>"
}

// ForgetSittings empties the cache of attempts' unchanging facts: View then takes its general path.
func (s *Service) ForgetSittings() { s.sittings().Clear() }
