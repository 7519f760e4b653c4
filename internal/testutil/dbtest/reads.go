package dbtest

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/uptrace/bun"
)

// Reads counts the SELECT statements run through bun that mention any of its tables, whoever runs
// them (a request, a batch flusher): add it with db.AddQueryHook and read N before and after.
type Reads struct {
	Tables []string
	n      atomic.Int64
}

// N returns the number counted so far.
func (r *Reads) N() int64 { return r.n.Load() }

func (r *Reads) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (r *Reads) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	if !strings.HasPrefix(e.Query, "SELECT") {
		return
	}
	for _, t := range r.Tables {
		if strings.Contains(e.Query, t) {
			r.n.Add(1)
			return
		}
	}
}
