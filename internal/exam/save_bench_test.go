package exam_test

import (
	"sync/atomic"
	"testing"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// BenchmarkSaveAnswerParallel saves answers from many goroutines at once (candidates sitting the exam
// together), so that the answer writer gathers them into batches. Compare ns/op with -cpu and between
// versions on the same machine; the PostgreSQL half needs PEERACADEMY_TEST_POSTGRES_URL.
//
//	go test -run '^$' -bench SaveAnswerParallel -benchtime 3000x ./internal/exam/
func BenchmarkSaveAnswerParallel(b *testing.B) {
	for _, d := range []dbtest.Dialect{dbtest.SQLite, dbtest.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			f := newFixture(b, d, realBank(b))
			type sitting struct {
				c  *account.User
				id string
				qs []exam.Question
			}
			var ss []sitting
			for range 32 {
				c := f.candidate(true)
				s := f.start(c)
				ss = append(ss, sitting{c, s.ID, f.view(c, s.ID).Questions})
			}
			var n atomic.Int64
			b.SetParallelism(8) // 8 goroutines per CPU: requests that wait on the database overlap
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					s := ss[int(i)%len(ss)]
					q := s.qs[int(i/int64(len(ss)))%len(s.qs)]
					if _, err := f.svc.SaveAnswer(f.ctx, s.c, s.id, q.ItemID, []int{int(i) % len(q.Options)}, false, i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
