package exam

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/database"
)

// On PostgreSQL the gate's statement is prepared, so that a start does not pay for planning it: bun
// writes a query's arguments into its text, and PostgreSQL plans every such text anew, which for
// this statement cost more than running it (0.8 of 1.1 ms). database/sql prepares the statement once
// on each pooled connection that runs it; PostgreSQL keeps the plan with the connection. SQLite
// plans a statement in microseconds and keeps bun's path.

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
	stmt, err := s.preparedGate(ctx)
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

// preparedGate prepares the statement on first use (again after a failure: a cancelled request
// must not leave the service without it).
func (s *Service) preparedGate(ctx context.Context) (*sql.Stmt, error) {
	s.gateMu.Lock()
	defer s.gateMu.Unlock()
	if s.gateStmt != nil {
		return s.gateStmt, nil
	}
	stmt, err := s.DB.DB.PrepareContext(ctx, gateQueryPrepared)
	if err != nil {
		return nil, fmt.Errorf("exam: preparing the gate's statement: %w", err)
	}
	s.gateStmt = stmt
	return stmt, nil
}
