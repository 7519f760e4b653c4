package standing_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// counter counts the statements run with a context it marked (not the app's background work, such
// as the change feed's heartbeat).
type counter struct{ n atomic.Int64 }

type counted struct{}

func (c *counter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (c *counter) AfterQuery(ctx context.Context, _ *bun.QueryEvent) {
	if ctx.Value(counted{}) != nil {
		c.n.Add(1)
	}
}

// count runs fn with a marked context and returns the number of statements it ran.
func (c *counter) count(t *testing.T, fn func(ctx context.Context) error) int64 {
	t.Helper()
	c.n.Store(0)
	if err := fn(context.WithValue(context.Background(), counted{}, true)); err != nil {
		t.Fatal(err)
	}
	return c.n.Load()
}

func ids(us []*account.User) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

// Listing and certifying the candidates who are ready takes a fixed number of statements: the
// same for 10 candidates as for 100 (not one set per candidate).
func TestReadyAndIssueTakeAFixedNumberOfQueries(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		e := apptest.New(t, d)
		c := &counter{}
		e.App.DB.AddQueryHook(c)
		queries := map[int][3]int64{}
		for _, n := range []int{10, 100} {
			p, cands := e.ReadyToCertify("v"+string(rune('a'+n%26)), n)
			var got [3]int64
			got[0] = c.count(t, func(ctx context.Context) error {
				sts, err := e.App.Standing.Batch(ctx, ids(cands))
				for _, st := range sts {
					if ev := st.Evidence(p.Vendor.ID); !ev.Ready() {
						t.Fatalf("%s not ready: %v", st.CandidateID, ev.Missing())
					}
				}
				return err
			})
			got[1] = c.count(t, func(ctx context.Context) error {
				rows, err := e.App.Certificates.Ready(ctx, p.Admin)
				if err == nil && len(rows) != n {
					t.Fatalf("%d ready, want %d", len(rows), n)
				}
				return err
			})
			got[2] = c.count(t, func(ctx context.Context) error {
				certs, err := e.App.Certificates.Issue(ctx, p.AdminActor(), p.Admin, ids(cands))
				if err == nil && len(certs) != n {
					t.Fatalf("%d certificates, want %d", len(certs), n)
				}
				return err
			})
			queries[n] = got
			t.Logf("%d candidates: standing %d, ready list %d, issue %d statements", n, got[0], got[1], got[2])
		}
		if queries[10] != queries[100] {
			t.Errorf("statements (standing, ready list, issue) for 10 candidates %v, for 100 %v: want the same", queries[10], queries[100])
		}
	})
}
