// Command examload is a load generator for the written exam.
//
// It seeds a vendor, a vendor administrator and N candidates (each approved, enrolled in a cohort of
// the vendor and with coursework complete, as rows in batches by internal/testutil/seed, so that the
// exam's own gate admits them; with a bearer session), then
// releases every candidate at once against the JSON API: start an attempt, read it, save every
// question's answer (with seq), submit. Afterwards it checks the database: exactly N x form-length
// answers (the primary key rules out a duplicate (attempt, item)), every attempt submitted and
// graded once. In the same run it
// measures the raw INSERT rate of the same database (as many rows, the same concurrency, plain
// INSERTs through database/sql) and prints answers/s, the answer latency percentiles, raw inserts/s
// and their ratio. It exits 2 when an answer was lost or duplicated (or an attempt not graded
// exactly once), 1 on any other failure.
//
//	go run ./cmd/examload -db postgres://postgres@127.0.0.1:5432/examload?sslmode=disable
//
// Without -server it runs the real app in-process on a 127.0.0.1 listener, on that database. With
// -server it sends the requests there; that server must use the same database (examload seeds it
// and checks it directly).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/peeracademy/peeracademy/internal/exam"
)

func main() {
	var o options
	flag.StringVar(&o.DB, "db", "", "database: postgres://... URL or a SQLite file path (required)")
	flag.StringVar(&o.Server, "server", "", "base URL of a running PeerAcademy on the same database (default: run the app in-process on 127.0.0.1)")
	flag.IntVar(&o.Candidates, "candidates", 1000, "number of candidates")
	flag.IntVar(&o.Concurrency, "concurrency", 1000, "candidates sitting at the same time (all released together)")
	flag.IntVar(&o.FormLength, "form-length", exam.DefaultFormLength, "questions per exam form")
	flag.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "timeout of one HTTP request")
	pacedFlags(flag.CommandLine, &o.Paced)
	flag.Parse()
	if o.DB == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: examload -db postgres://... [-candidates 1000] [-concurrency 1000] [-form-length 60] [-server URL]")
		flag.PrintDefaults()
		os.Exit(1)
	}
	o.Progress = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o)
	if rep != nil {
		rep.print(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "examload:", err)
		os.Exit(1)
	}
	if !rep.OK() {
		os.Exit(2)
	}
}

// options configure one run.
type options struct {
	DB          string
	Server      string
	Candidates  int
	Concurrency int
	FormLength  int
	Timeout     time.Duration
	Progress    io.Writer // progress lines (nil: none)
	Paced       pacedOptions
}

func (o *options) validate() error {
	switch {
	case o.DB == "":
		return fmt.Errorf("-db is required")
	case o.Candidates < 1:
		return fmt.Errorf("-candidates must be at least 1")
	case o.Concurrency < 1 && !o.Paced.On: // paced: every candidate at once
		return fmt.Errorf("-concurrency must be at least 1")
	case o.FormLength < 1 || o.FormLength > 300:
		return fmt.Errorf("-form-length must be between 1 and 300")
	}
	if err := o.Paced.validate(); err != nil {
		return err
	}
	if o.Concurrency > o.Candidates || o.Paced.On {
		o.Concurrency = o.Candidates
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return nil
}

func (o *options) logf(format string, args ...any) {
	fmt.Fprintf(o.Progress, "examload: "+format+"\n", args...)
}
