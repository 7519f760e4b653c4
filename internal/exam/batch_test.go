package exam_test

import (
	"errors"
	"testing"

	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestSaveBatchDecidesEachRow: saves written together in one statement each get their own outcome,
// decided by the statement's conditions: written; a stale seq not written; a finished attempt's not
// written; another candidate's attempt not written; two saves of one question both applied in the
// order they came (the later one wins).
func TestSaveBatchDecidesEachRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c, done, other := f.candidate(true), f.candidate(true), f.candidate(true)
		s, sd := f.start(c), f.start(done)
		q := f.view(c, s.ID).Questions
		qd := f.view(done, sd.ID).Questions
		if _, err := f.svc.SaveAnswer(f.ctx, c, s.ID, q[1].ItemID, []int{0}, false, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Submit(f.ctx, actor(done), done, sd.ID); err != nil {
			t.Fatal(err)
		}
		got := f.svc.SaveBatch(f.ctx, []exam.BatchSave{
			{AttemptID: s.ID, ItemID: q[0].ItemID, CandidateID: c.ID, Choice: "[0]", Seq: 1},      // written
			{AttemptID: s.ID, ItemID: q[1].ItemID, CandidateID: c.ID, Choice: "[1]", Seq: 3},      // stale: 5 is stored
			{AttemptID: sd.ID, ItemID: qd[0].ItemID, CandidateID: done.ID, Choice: "[0]", Seq: 1}, // submitted
			{AttemptID: s.ID, ItemID: q[2].ItemID, CandidateID: other.ID, Choice: "[0]", Seq: 1},  // not theirs
			{AttemptID: s.ID, ItemID: q[3].ItemID, CandidateID: c.ID, Choice: "[0]", Seq: 1},      // written, then
			{AttemptID: s.ID, ItemID: q[3].ItemID, CandidateID: c.ID, Choice: "[1]", Seq: 2},      // written over it
		})
		want := []bool{true, false, false, false, true, true}
		for i, g := range got {
			if g.Err != nil || g.Applied != want[i] {
				t.Errorf("save %d: applied %v, err %v; want applied %v", i, g.Applied, g.Err, want[i])
			}
		}
		var rows []struct {
			ItemID string `bun:"item_id"`
			Choice string `bun:"choice"`
			Seq    int64  `bun:"seq"`
		}
		must(t, f.db.NewSelect().Table("exam_answers").Column("item_id", "choice", "seq").Where("attempt_id = ?", s.ID).OrderExpr("item_id").Scan(f.ctx, &rows))
		stored := map[string]string{}
		for _, r := range rows {
			stored[r.ItemID] = r.Choice
		}
		if len(rows) != 3 || stored[q[0].ItemID] != "[0]" || stored[q[3].ItemID] != "[1]" || stored[q[2].ItemID] != "" {
			t.Fatalf("stored %v", rows)
		}
		n, err := f.db.NewSelect().Table("exam_answers").Where("attempt_id = ?", sd.ID).Count(f.ctx)
		must(t, err)
		if n != 0 {
			t.Fatalf("%d answers stored on the submitted attempt", n)
		}
	})
}

// TestStartWriteGuard: the start writer writes an attempt only if the candidate still has the attempts
// the gate counted, and never a second open one.
func TestStartWriteGuard(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		c := f.candidate(true)
		if err := f.svc.WriteStart(f.ctx, c.ID, f.vendor.ID, 1); !errors.Is(err, exam.ErrStartRaced) {
			t.Fatalf("gate counted 1 attempt, candidate has 0: %v", err)
		}
		if err := f.svc.WriteStart(f.ctx, c.ID, f.vendor.ID, 0); err != nil {
			t.Fatalf("first attempt: %v", err)
		}
		if err := f.svc.WriteStart(f.ctx, c.ID, f.vendor.ID, 0); !errors.Is(err, exam.ErrStartRaced) {
			t.Fatalf("gate counted 0 attempts, candidate has 1: %v", err)
		}
		if err := f.svc.WriteStart(f.ctx, c.ID, f.vendor.ID, 1); !errors.Is(err, exam.ErrStartRaced) {
			t.Fatalf("a second open attempt: %v", err)
		}
		n, err := f.db.NewSelect().Table("exam_attempts").Where("candidate_id = ?", c.ID).Count(f.ctx)
		must(t, err)
		if n != 1 {
			t.Fatalf("%d attempts, want 1", n)
		}
	})
}
