package exam_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// An open attempt's view is read in one prepared statement on PostgreSQL when the instance holds the
// attempt's sitting (viewOpen), and in two of bun's otherwise; both show the same: nothing saved
// yet, then single and multiple choices, a flag and a change. The prepared statement does not pass
// bun's query hooks, so the general path is the one that counts statements.
func TestViewOfAnOpenAttemptIsTheSameEitherWay(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		f := newFixture(t, d, realBank(t))
		r := &dbtest.Reads{Tables: []string{"exam_attempts", "exam_answers"}}
		f.db.AddQueryHook(r)
		c := f.candidate(true)
		s := f.start(c)
		both := func(step string) *exam.AttemptView {
			t.Helper()
			before := r.N()
			held := f.view(c, s.ID)
			heldReads := r.N() - before
			f.svc.ForgetSittings()
			before = r.N()
			general := f.view(c, s.ID)
			if n := r.N() - before; n != 2 {
				t.Errorf("%s: the general path read %d times, want 2", step, n)
			}
			if want := map[dbtest.Dialect]int64{dbtest.Postgres: 0, dbtest.SQLite: 2}[d]; heldReads != want {
				t.Errorf("%s: a held sitting's view ran %d of bun's reads, want %d", step, heldReads, want)
			}
			held.Now, general.Now = time.Time{}, time.Time{}
			held.SecondsLeft, general.SecondsLeft = 0, 0
			if !reflect.DeepEqual(held, general) {
				t.Fatalf("%s: the two views differ:\nheld    %+v\ngeneral %+v", step, held, general)
			}
			return general
		}
		v := both("nothing saved")
		if len(v.Questions) == 0 || v.Completed != 0 {
			t.Fatalf("nothing saved: %d questions, %d completed", len(v.Questions), v.Completed)
		}
		var multi exam.Question
		for _, q := range v.Questions[2:] {
			if q.Type == "multiple" {
				multi = q
				break
			}
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		_, err := f.svc.SaveAnswer(f.ctx, c, s.ID, v.Questions[0].ItemID, []int{0}, false, 1)
		must(err)
		_, err = f.svc.SaveAnswer(f.ctx, c, s.ID, v.Questions[1].ItemID, []int{0}, true, 1)
		must(err)
		_, err = f.svc.SaveAnswer(f.ctx, c, s.ID, v.Questions[1].ItemID, []int{1}, true, 2)
		must(err)
		if multi.ItemID != "" {
			_, err = f.svc.SaveAnswer(f.ctx, c, s.ID, multi.ItemID, []int{2, 0}, false, 5)
			must(err)
		}
		v = both("answers saved")
		if v.Completed < 2 || v.FlaggedCount != 1 || v.Questions[1].Seq != 2 || !reflect.DeepEqual(v.Questions[1].Selected, []int{1}) {
			t.Fatalf("answers saved: completed %d, flagged %d, second question %+v", v.Completed, v.FlaggedCount, v.Questions[1])
		}
	})
}
