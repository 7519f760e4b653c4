package exam_test

import (
	"sync"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestSaveRacingSubmitIsGradedOrRefused: a save is one statement whose condition checks the attempt;
// a Submit racing it must either grade the save or make it fail, never leave a confirmed answer out
// of the grade. Candidates save the keyed answer to every question while Submit fires midway; each
// confirmed save must be among the answers graded (every stored answer is keyed, so the grade counts
// them all).
func TestSaveRacingSubmitIsGradedOrRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		for round := range 8 {
			c := f.candidate(true)
			s := f.start(c)
			qs := f.view(c, s.ID).Questions
			var (
				wg        sync.WaitGroup
				mu        sync.Mutex
				confirmed int
				res       *exam.AttemptResult
				subErr    error
			)
			const writers = 6
			for g := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := g; k < len(qs); k += writers {
						it, _ := f.bank.Item(qs[k].ItemID)
						saved, err := f.svc.SaveAnswer(f.ctx, c, s.ID, qs[k].ItemID, f.displayed(qs[k], it.Answer), false, 1)
						if err != nil {
							if !apperr.Is(err, apperr.Conflict) {
								t.Errorf("round %d save: %v", round, err)
							}
							return // finished: every later save is refused too
						}
						if saved.Applied {
							mu.Lock()
							confirmed++
							mu.Unlock()
						}
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(round) * time.Millisecond)
				res, subErr = f.svc.Submit(f.ctx, actor(c), c, s.ID)
			}()
			wg.Wait()
			must(t, subErr)
			n, err := f.db.NewSelect().Table("exam_answers").Where("attempt_id = ?", s.ID).Count(f.ctx)
			must(t, err)
			if !res.Graded || res.Correct != confirmed || int(n) != confirmed {
				t.Fatalf("round %d: %d saves confirmed, %d stored, %d graded correct", round, confirmed, n, res.Correct)
			}
		}
	})
}

// TestSaveOnAnotherInstance: the rules hold for an instance that has never seen the attempt (nothing
// cached) and for one that has, once another instance finished it.
func TestSaveOnAnotherInstance(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		s := f.start(c)
		qs := f.view(c, s.ID).Questions // this instance now knows the attempt
		other := &exam.Service{DB: f.db, Bank: f.bank, Coursework: f.course, Now: f.clock}
		if saved, err := other.SaveAnswer(f.ctx, c, s.ID, qs[0].ItemID, []int{0}, false, 2); err != nil || !saved.Applied || saved.Seq != 2 || !saved.DeadlineAt.Equal(s.DeadlineAt) {
			t.Fatalf("first save on a fresh instance: %+v %v", saved, err)
		}
		// A stale seq on the first instance: not applied, and told the stored seq.
		if saved, err := f.svc.SaveAnswer(f.ctx, c, s.ID, qs[0].ItemID, []int{1}, false, 1); err != nil || saved.Applied || saved.Seq != 2 {
			t.Fatalf("stale save: %+v %v", saved, err)
		}
		// Someone else cannot save into it, on either instance.
		x := f.candidate(true)
		for _, svc := range []*exam.Service{f.svc, other} {
			if _, err := svc.SaveAnswer(f.ctx, x, s.ID, qs[1].ItemID, []int{0}, false, 1); !apperr.Is(err, apperr.NotFound) {
				t.Fatalf("another candidate saved: %v", err)
			}
		}
		// Submitted on the other instance: the first refuses saves although it remembers the attempt.
		if _, err := other.Submit(f.ctx, actor(c), c, s.ID); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.SaveAnswer(f.ctx, c, s.ID, qs[1].ItemID, []int{0}, false, 1)
		wantCode(t, err, apperr.Conflict, "attempt_finished")
	})
}
