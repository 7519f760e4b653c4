package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestPacedLosesNoAnswer runs the paced mode (30 candidates, start within 200 ms, think time scaled
// down to milliseconds, re-saves) on SQLite and PostgreSQL: every answer stored is the last one its
// candidate sent, and the check notices when one is not.
func TestPacedLosesNoAnswer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
		defer cancel()
		var progress strings.Builder
		dsn := dbtest.URL(t, d)
		o := options{DB: dsn, Candidates: 30, FormLength: 8, Timeout: 30 * time.Second, Progress: &progress,
			Paced: pacedOptions{On: true, Window: 200 * time.Millisecond, ThinkMin: time.Millisecond, ThinkMax: 10 * time.Millisecond, Resaves: 3}}
		rep, err := run(ctx, o)
		var out strings.Builder
		if rep != nil {
			rep.print(&out)
		}
		t.Log("\n" + out.String())
		if err != nil {
			t.Fatalf("run: %v\n%s", err, progress.String())
		}
		pr := rep.Paced
		if !rep.OK() || pr == nil || pr.Stale != 0 || pr.Checked != 30*8 {
			t.Fatalf("not OK (see the report above)")
		}
		if pr.Resaves != 30*3 || rep.Acked != 30*8+30*3 || rep.Phases[phaseStart].Requests != 30 || rep.Phases[phaseSubmit].Requests != 30 {
			t.Errorf("re-saves %d, acknowledged %d, starts %d, submits %d", pr.Resaves, rep.Acked, rep.Phases[phaseStart].Requests, rep.Phases[phaseSubmit].Requests)
		}
		if pr.InExamMax < 1 || pr.InExamMax > 30 || pr.RSSMax <= 0 || rep.Ratio != 0 {
			t.Errorf("in the exam at once %d, memory %d kB, ratio %.3f", pr.InExamMax, pr.RSSMax, rep.Ratio)
		}

		// The check notices an answer that is not the last one sent: lower one stored seq.
		db, err := database.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var rows []struct {
			AttemptID string `bun:"attempt_id"`
			ItemID    string `bun:"item_id"`
			Seq       int64  `bun:"seq"`
		}
		if err := db.NewRaw(`SELECT a.attempt_id, a.item_id, a.seq FROM exam_answers AS a JOIN exam_attempts AS t ON t.id = a.attempt_id WHERE t.vendor_id = ?`, rep.VendorID).Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		e := &expected{m: map[string]map[string]int64{}}
		for _, r := range rows {
			if e.m[r.AttemptID] == nil {
				e.m[r.AttemptID] = map[string]int64{}
			}
			e.m[r.AttemptID][r.ItemID] = r.Seq
		}
		if _, err := db.NewRaw(`UPDATE exam_answers SET seq = seq - 1 WHERE attempt_id = (SELECT MIN(id) FROM exam_attempts WHERE vendor_id = ?)
AND item_id = (SELECT MIN(item_id) FROM exam_answers WHERE attempt_id = (SELECT MIN(id) FROM exam_attempts WHERE vendor_id = ?))`, rep.VendorID, rep.VendorID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := verifySeqs(ctx, db, rep.VendorID, e, pr); err != nil {
			t.Fatal(err)
		}
		if pr.Checked != 30*8 || pr.Stale != 1 || rep.OK() {
			t.Errorf("after lowering one seq: checked %d, differ %d, ok %v; want 240, 1, false", pr.Checked, pr.Stale, rep.OK())
		}
	})
}
