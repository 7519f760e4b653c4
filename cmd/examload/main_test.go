package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// TestLoadLosesNoAnswer runs the generator with 50 candidates released at once, on SQLite (a temporary
// file) and on PostgreSQL, and requires every answer stored exactly once and every attempt graded once.
func TestLoadLosesNoAnswer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
		defer cancel()
		var progress strings.Builder
		dsn := dbtest.URL(t, d)
		o := options{DB: dsn, Candidates: 50, Concurrency: 50, FormLength: 10, Timeout: 30 * time.Second, Progress: &progress}
		rep, err := run(ctx, o)
		var out strings.Builder
		if rep != nil {
			rep.print(&out)
		}
		t.Log("\n" + out.String())
		if err != nil {
			t.Fatalf("run: %v\n%s", err, progress.String())
		}
		c := rep.Check
		if c.Lost != 0 || c.Duplicated != 0 || !rep.OK() {
			t.Fatalf("%d answers lost, %d duplicated, %d failures (see the report above)", c.Lost, c.Duplicated, rep.Failed)
		}
		if c.Rows != 50*10 || rep.Acked != 50*10 || rep.Phases[phaseAnswer].Requests < 50*10 {
			t.Errorf("rows %d, acknowledged %d, answer requests %d; want 500 each", c.Rows, rep.Acked, rep.Phases[phaseAnswer].Requests)
		}
		if rep.RawRows != 50*10 || rep.RawPerSec <= 0 || rep.AnswersPerSec <= 0 || rep.Ratio <= 0 {
			t.Errorf("baseline: %d rows, %.0f/s; answers %.0f/s; ratio %.3f", rep.RawRows, rep.RawPerSec, rep.AnswersPerSec, rep.Ratio)
		}

		// The check itself notices a lost answer: remove one row and check again.
		db, err := database.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.NewRaw(`DELETE FROM exam_answers WHERE attempt_id = (SELECT MIN(id) FROM exam_attempts WHERE vendor_id = ?)
AND item_id = (SELECT MIN(item_id) FROM exam_answers WHERE attempt_id = (SELECT MIN(id) FROM exam_attempts WHERE vendor_id = ?))`, rep.VendorID, rep.VendorID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := verify(ctx, db, rep.VendorID, o, rep); err != nil {
			t.Fatal(err)
		}
		if rep.Check.Lost != 1 || rep.Check.IncompleteAttempts != 1 || rep.OK() {
			t.Errorf("after deleting one answer: lost %d, incomplete attempts %d, ok %v; want 1, 1, false", rep.Check.Lost, rep.Check.IncompleteAttempts, rep.OK())
		}
	})
}

// TestLoadAgainstAServer runs the generator against an app that is already serving (-server), on the
// same database.
func TestLoadAgainstAServer(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
		defer cancel()
		dsn := dbtest.URL(t, d)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + ln.Addr().String()
		env := map[string]string{"PEERACADEMY_DATABASE_URL": dsn, "PEERACADEMY_MEDIA_DIR": t.TempDir(), "PEERACADEMY_BASE_URL": base, "PEERACADEMY_LOG_LEVEL": "error"}
		cfg, err := config.LoadFrom(func(k string) string { return env[k] })
		if err != nil {
			t.Fatal(err)
		}
		a, err := app.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		served := make(chan error, 1)
		go func() { served <- a.Fiber.Listener(ln) }()
		defer func() {
			_ = a.Fiber.ShutdownWithTimeout(10 * time.Second)
			<-served
		}()

		rep, err := run(ctx, options{DB: dsn, Server: base + "/", Candidates: 10, Concurrency: 10, FormLength: 5})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK() || rep.Check.Rows != 50 || rep.Server != base {
			var out strings.Builder
			rep.print(&out)
			t.Fatalf("against %s:\n%s", base, out.String())
		}
	})
}
