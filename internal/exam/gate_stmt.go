package exam

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/database"
)

// On PostgreSQL the hottest statements of an exam (the gate's, and the view of an open attempt) are
// prepared, so that a request does not pay for planning them: bun writes a query's arguments into its
// text, and PostgreSQL plans every such text anew, which for the gate's statement cost more than
// running it (0.8 of 1.1 ms), and for the view's two reads twice what running them did (pg_stat_statements
// over a synchronized start). database/sql prepares a statement once on each pooled connection that
// runs it; PostgreSQL keeps the plan with the connection. SQLite plans a statement in microseconds
// and keeps bun's path.

// prepared is one statement prepared on first use (again after a failure: a cancelled request must
// not leave the service without it).
type prepared struct {
	mu   sync.Mutex
	stmt *sql.Stmt
}

// get returns the statement of query, preparing it on first use. A prepared holds one query: always
// pass the same.
func (p *prepared) get(ctx context.Context, db *bun.DB, query string) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stmt != nil {
		return p.stmt, nil
	}
	stmt, err := db.DB.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("exam: preparing a statement: %w", err)
	}
	p.stmt = stmt
	return stmt, nil
}

// gateQueryPrepared is gateQueryPG with PostgreSQL's numbered parameters.
var gateQueryPrepared = numberParams(gateQueryPG)

func numberParams(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Service) gateFactsOne(ctx context.Context, db bun.IDB, enrolled *string, c string) (gateFacts, error) {
	var f gateFacts
	if _, pooled := db.(*bun.DB); !pooled || !database.IsPostgres(db) {
		q := gateQuerySQLite
		if database.IsPostgres(db) {
			q = gateQueryPG // inside a transaction: bun's path, on the transaction's connection
		}
		err := db.NewRaw(q, enrolled, c, true, c, c, c).Scan(ctx, &f)
		return f, err
	}
	stmt, err := s.gateStmt.get(ctx, s.DB, gateQueryPrepared)
	if err != nil {
		return f, err
	}
	var vendor any
	if enrolled != nil {
		vendor = *enrolled
	}
	err = stmt.QueryRowContext(ctx, vendor, c, true, c, c, c).Scan(&f.OpenID, &f.OpenDeadline, &f.Passed, &f.VendorID, &f.OverrideHere,
		&f.Duration, &f.PassPercent, &f.MaxAttempts, &f.WaitDays, &f.FormLength, &f.Extra, &f.Used, &f.LastFinished, &f.Retired, &f.Attempts)
	return f, err
}
