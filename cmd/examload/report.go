package main

import (
	"fmt"
	"io"
	"slices"
	"time"
)

// phaseStats are the figures of one kind of request.
type phaseStats struct {
	Name               string
	Requests, Errors   int
	P50, P95, P99, Max time.Duration
}

func (s *phaseStats) summarise(lat []time.Duration) {
	s.Requests = len(lat)
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	s.P50, s.P95, s.P99, s.Max = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99), lat[len(lat)-1]
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (p*len(sorted) + 99) / 100 // ceil(p/100 * n)
	return sorted[max(0, min(len(sorted), rank)-1)]
}

// check is what the database holds after the load (this run's vendor only).
type check struct {
	Expected              int // candidates x form length
	Rows                  int // rows in exam_answers
	Attempts              int
	CandidatesWithAttempt int
	Submitted             int // status submitted, finished_at set
	Graded                int // correct and by_domain set, total = form length
	IncompleteAttempts    int // attempts without exactly form-length answers
	StartEvents           int // exam.start audit events: one per attempt started (starts are written in batches)
	SubmitEvents          int // exam.submit audit events: one per grading
	ExpireEvents          int
	Lost, Duplicated      int
}

// report is the outcome of one run.
type report struct {
	Dialect, Server                     string
	VendorID                            string // the vendor seeded for this run
	Candidates, Concurrency, FormLength int
	Seed                                time.Duration

	FirstRequestsWithin time.Duration // from the barrier's release to the last worker's first request
	FirstRequestsSpread time.Duration // between the first and the last worker's first request
	Phases              [phases]phaseStats
	Answers             int           // answer PUTs sent (retries included)
	Acked               int           // answers confirmed stored with the seq sent
	AnswerWindow        time.Duration // first answer PUT sent -> last answer PUT answered
	AnswersPerSec       float64       // Acked / AnswerWindow
	ExamWindow          time.Duration // release -> last submit answered
	Retries, Failed     int
	Failures            []string

	RawRows   int
	RawWindow time.Duration
	RawPerSec float64
	Ratio     float64 // AnswersPerSec / RawPerSec

	Check check
	Paced *pacedReport // the paced mode's own figures (nil: back to back)
}

// OK reports whether every answer arrived exactly once and every attempt was graded exactly once.
func (r *report) OK() bool {
	c := r.Check
	return r.Failed == 0 && c.Lost == 0 && c.Duplicated == 0 && c.Rows == c.Expected &&
		c.Attempts == r.Candidates && c.CandidatesWithAttempt == r.Candidates && c.Submitted == r.Candidates && c.Graded == r.Candidates &&
		c.IncompleteAttempts == 0 && c.StartEvents == r.Candidates && c.SubmitEvents == r.Candidates && c.ExpireEvents == 0 && (r.Paced == nil || r.Paced.Stale == 0)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

func (r *report) print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("examload: %s, server %s", r.Dialect, r.Server)
	p("  %d candidates x %d questions, concurrency %d; seeding took %s", r.Candidates, r.FormLength, r.Concurrency, r.Seed.Round(time.Millisecond))
	p("  release: every worker's first request sent within %s of the barrier (spread %s)", ms(r.FirstRequestsWithin), ms(r.FirstRequestsSpread))
	p("  %-31s %8s %7s %10s %10s %10s %10s", "request", "count", "errors", "p50", "p95", "p99", "max")
	for _, s := range r.Phases {
		p("  %-31s %8d %7d %10s %10s %10s %10s", s.Name, s.Requests, s.Errors, ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
	}
	p("  answers: %d stored and confirmed in %s (first PUT sent to last PUT answered) = %.0f answers/s; %d retries, %d failures",
		r.Acked, r.AnswerWindow.Round(time.Millisecond), r.AnswersPerSec, r.Retries, r.Failed)
	for _, f := range r.Failures {
		p("    failure: %s", f)
	}
	p("  answer latency: p50 %s, p95 %s, p99 %s", ms(r.Phases[phaseAnswer].P50), ms(r.Phases[phaseAnswer].P95), ms(r.Phases[phaseAnswer].P99))
	p("  whole exam: release to last submit %s", r.ExamWindow.Round(time.Millisecond))
	if r.Paced != nil {
		r.Paced.print(w, r)
	}
	if r.Paced == nil {
		p("  raw inserts: %d rows in %s = %.0f inserts/s (same database, %d concurrent clients, the app's pool settings)",
			r.RawRows, r.RawWindow.Round(time.Millisecond), r.RawPerSec, r.Concurrency)
		p("  ratio answers/s ÷ raw inserts/s = %.3f", r.Ratio)
	}
	c := r.Check
	p("  check: exam_answers rows %d (want %d); attempts %d for %d candidates; submitted %d, graded %d;",
		c.Rows, c.Expected, c.Attempts, c.CandidatesWithAttempt, c.Submitted, c.Graded)
	p("         attempts without exactly %d answers %d; audit events exam.start %d, exam.submit %d, exam.expire %d", r.FormLength, c.IncompleteAttempts,
		c.StartEvents, c.SubmitEvents, c.ExpireEvents)
	if r.OK() {
		p("  result: OK: 0 answers lost, 0 duplicated, every attempt graded once")
	} else {
		p("  result: FAILED: %d answers lost, %d duplicated, %d request failures", c.Lost, c.Duplicated, r.Failed)
	}
}
