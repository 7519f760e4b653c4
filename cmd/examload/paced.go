package main

// The paced mode: what candidates feel on exam day. Every candidate presses Start within a short
// window (default one second: a cohort, or several vendors' candidates, starting at nine o'clock),
// reads the exam, then answers at a human pace (a random think time before each answer), goes back
// to change a few earlier answers (a larger seq each time), and submits. It reports the latency of
// each kind of request separately, how many candidates were in the exam at once, errors, and the
// resident memory of the app; afterwards it checks that every answer stored is the last one each
// candidate sent. The back-to-back mode (the default) remains the throughput measure.

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/api/client"
)

// pacedOptions configure the paced mode.
type pacedOptions struct {
	On                 bool
	Window             time.Duration // every candidate presses Start within this window
	ThinkMin, ThinkMax time.Duration // think time before each answer (and before submitting)
	Resaves            int           // earlier answers each candidate changes again
	RSSPid             int           // process whose memory to sample (0: this one, the in-process app)
	OpenFirst          bool          // each candidate opens the exam page (GET /exam) before the release
	CPUProfile         string        // file for a CPU profile of examload itself over the start burst
}

func pacedFlags(fs *flag.FlagSet, p *pacedOptions) {
	fs.BoolVar(&p.On, "paced", false, "paced mode: synchronized start, think time between answers, latency per request kind (default: back to back, for the throughput ratio)")
	fs.DurationVar(&p.Window, "start-window", time.Second, "paced: every candidate presses Start within this window")
	fs.DurationVar(&p.ThinkMin, "think-min", 5*time.Second, "paced: shortest think time before an answer (scale down for a short run)")
	fs.DurationVar(&p.ThinkMax, "think-max", 30*time.Second, "paced: longest think time before an answer")
	fs.IntVar(&p.Resaves, "resaves", 3, "paced: earlier answers each candidate changes again")
	fs.BoolVar(&p.OpenFirst, "open-first", true, "paced: each candidate opens the exam page (GET /exam) before the release, as one waiting to press Start has: its connection is open and its session read (false: the first request of each candidate is its Start)")
	fs.StringVar(&p.CPUProfile, "cpuprofile", "", "paced: write a CPU profile of examload itself (the client) over the three seconds from the release to this file, to see what the client's share of the machine goes to")
	fs.IntVar(&p.RSSPid, "rss-pid", 0, "paced: sample the resident memory of this process (default: examload itself, which runs the app in-process)")
}

func (p *pacedOptions) validate() error {
	switch {
	case p.Window < 0:
		return fmt.Errorf("-start-window must not be negative")
	case p.ThinkMin < 0 || p.ThinkMax < p.ThinkMin:
		return fmt.Errorf("-think-min must be at least 0 and at most -think-max")
	case p.Resaves < 0:
		return fmt.Errorf("-resaves must not be negative")
	}
	return nil
}

// pacedReport holds the figures only the paced mode has.
type pacedReport struct {
	Window, ThinkMin, ThinkMax time.Duration
	Resaves                    int           // re-saves sent (answers changed again)
	StartsWithin               time.Duration // from the release to the last Start sent
	InExamMax                  int           // candidates between a started attempt and its submit, at most
	Duration                   time.Duration // release to the last submit answered
	RSSPid                     int
	RSSBefore, RSSMedian       int64 // kB: just before the release; median of the samples under load
	RSSMax                     int64
	Checked, Stale             int // answers compared with the last seq each candidate sent; those that differ
}

// loadPaced runs the paced exam for every candidate: one goroutine each (concurrency is every
// candidate), each starting at a random moment within the window.
func loadPaced(ctx context.Context, o options, base string, tokens []string, rep *report, expect *expected) error {
	p := o.Paced
	// Each candidate is a browser of its own: one client with one connection, kept open from the
	// exam page through the exam (a pool shared by every candidate hands a connection that is still
	// returning to another candidate and dials a new one, which a burst of browsers does not do).
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	apis := make([]*client.ClientWithResponses, len(tokens))
	for i := range apis {
		tr := &http.Transport{Proxy: nil, DialContext: dialer.DialContext, MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1,
			IdleConnTimeout: 5 * time.Minute, DisableCompression: true}
		defer tr.CloseIdleConnections()
		api, err := client.NewClientWithResponses(base, client.WithHTTPClient(&http.Client{Transport: tr, Timeout: o.Timeout}))
		if err != nil {
			return err
		}
		apis[i] = api
	}
	pr := &pacedReport{}
	rep.Paced = pr
	pr.Window, pr.ThinkMin, pr.ThinkMax, pr.RSSPid = p.Window, p.ThinkMin, p.ThinkMax, p.RSSPid
	if pr.RSSPid == 0 {
		pr.RSSPid = os.Getpid()
	}
	pr.RSSBefore = rss(pr.RSSPid)

	var inExam, inExamMax, resaves atomic.Int64
	var lastStart atomic.Int64
	samples := make(chan []int64, 1)
	stopSampling := make(chan struct{})
	go func() {
		var got []int64
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				if kb := rss(pr.RSSPid); kb > 0 { // a run shorter than the interval still gets one sample
					got = append(got, kb)
				}
				samples <- got
				return
			case <-t.C:
				if kb := rss(pr.RSSPid); kb > 0 {
					got = append(got, kb)
				}
			}
		}
	}()

	workers := make([]*worker, len(tokens))
	for i := range tokens {
		workers[i] = &worker{o: o, api: apis[i]}
	}
	if p.OpenFirst {
		t := time.Now()
		if err := openPages(ctx, workers, tokens); err != nil {
			return err
		}
		o.logf("every candidate has the exam page open (%s); release", time.Since(t).Round(time.Millisecond))
	}
	if p.CPUProfile != "" {
		stopProfile, err := profileFor(p.CPUProfile, 3*time.Second)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	var wg sync.WaitGroup
	released := time.Now()
	for i, token := range tokens {
		w := workers[i]
		at := released.Add(time.Duration(rand.Int64N(int64(p.Window) + 1)))
		wg.Go(func() {
			if !sleepUntil(ctx, at) {
				return
			}
			storeMax(&lastStart, time.Since(released).Nanoseconds())
			w.sitPaced(ctx, token, p, expect, func(d int64) { storeMax(&inExamMax, inExam.Add(d)) }, &resaves)
		})
	}
	wg.Wait()
	close(stopSampling)
	got := <-samples
	if err := ctx.Err(); err != nil {
		return err
	}
	rep.merge(workers, released)
	pr.StartsWithin = time.Duration(lastStart.Load())
	pr.InExamMax = int(inExamMax.Load())
	pr.Resaves = int(resaves.Load())
	pr.Duration = rep.ExamWindow
	if len(got) > 0 {
		slices.Sort(got)
		pr.RSSMedian, pr.RSSMax = got[len(got)/2], got[len(got)-1]
	}
	return nil
}

// openPages has every candidate open the exam page before the release, as a candidate waiting for
// nine o'clock has: the page (GET /exam, the gate and earlier results) loaded, so the connection is
// open and the session has been read. Fifty at a time; not timed (they are not part of the start),
// but a page that fails stops the run.
func openPages(ctx context.Context, workers []*worker, tokens []string) error {
	sem := make(chan struct{}, 50)
	var wg sync.WaitGroup
	var failed atomic.Int64
	var first atomic.Value
	for i, token := range tokens {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r, err := workers[i].api.GetExamWithResponse(ctx, nil, bearer(token))
			if err == nil && r.StatusCode() != http.StatusOK {
				err = fmt.Errorf("GET /exam: %d %s", r.StatusCode(), strings.TrimSpace(string(r.Body)))
			}
			if err != nil && failed.Add(1) == 1 {
				first.Store(err)
			}
		})
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return fmt.Errorf("%d candidates could not open the exam page before the release; the first: %v", n, first.Load())
	}
	return ctx.Err()
}

// sitPaced takes the exam as one candidate at a human pace. inExam(+1) when the attempt is started,
// inExam(-1) when it is submitted or abandoned.
func (w *worker) sitPaced(ctx context.Context, token string, p pacedOptions, expect *expected, inExam func(int64), resaves *atomic.Int64) {
	auth := bearer(token)
	sum, view := w.open(ctx, auth)
	if sum != nil {
		inExam(1)
		defer inExam(-1)
	}
	if view == nil {
		return
	}
	// Which questions get changed again, and after which answer.
	again := map[int]int{} // after answering question k (index), change question again[k] (< k)
	for _, k := range rand.Perm(len(view.Questions) - 1)[:min(p.Resaves, len(view.Questions)-1)] {
		again[k+1] = rand.IntN(k + 1)
	}
	seqs := make(map[string]int64, len(view.Questions))
	save := func(itemID string, choice int) bool {
		seq := seqs[itemID] + 1
		if w.save(ctx, auth, sum.Id, itemID, choice, seq) == nil {
			return false
		}
		seqs[itemID] = seq
		return true
	}
	for k, q := range view.Questions {
		if !w.think(ctx, p) {
			return
		}
		if save(q.ItemId, 0) {
			w.acked++
		}
		if j, ok := again[k]; ok {
			if !w.think(ctx, p) {
				return
			}
			if save(view.Questions[j].ItemId, 1) {
				w.acked++
				resaves.Add(1)
			}
		}
	}
	expect.add(sum.Id, seqs)
	if !w.think(ctx, p) {
		return
	}
	w.submit(ctx, auth, sum.Id)
}

// storeMax raises a to v if v is larger.
func storeMax(a *atomic.Int64, v int64) {
	for m := a.Load(); v > m && !a.CompareAndSwap(m, v); m = a.Load() {
	}
}

func (w *worker) think(ctx context.Context, p pacedOptions) bool {
	d := p.ThinkMin
	if p.ThinkMax > p.ThinkMin {
		d += time.Duration(rand.Int64N(int64(p.ThinkMax - p.ThinkMin)))
	}
	return sleepUntil(ctx, time.Now().Add(d))
}

func sleepUntil(ctx context.Context, at time.Time) bool {
	t := time.NewTimer(time.Until(at))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// expected is the last seq each candidate had confirmed for each question, by attempt.
type expected struct {
	mu sync.Mutex
	m  map[string]map[string]int64
}

func (e *expected) add(attemptID string, seqs map[string]int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[string]map[string]int64{}
	}
	e.m[attemptID] = seqs
}

// verifySeqs compares every stored answer of the run's vendor with the last seq its candidate had
// confirmed: a difference is an answer lost (an older save stored over a newer one, or none stored).
func verifySeqs(ctx context.Context, db bun.IDB, vendorID string, e *expected, pr *pacedReport) error {
	var rows []struct {
		AttemptID string `bun:"attempt_id"`
		ItemID    string `bun:"item_id"`
		Seq       int64  `bun:"seq"`
	}
	if err := db.NewRaw(`SELECT a.attempt_id, a.item_id, a.seq FROM exam_answers AS a JOIN exam_attempts AS t ON t.id = a.attempt_id WHERE t.vendor_id = ?`,
		vendorID).Scan(ctx, &rows); err != nil {
		return err
	}
	stored := make(map[[2]string]int64, len(rows))
	for _, r := range rows {
		stored[[2]string{r.AttemptID, r.ItemID}] = r.Seq
	}
	pr.Checked, pr.Stale = 0, 0
	for at, seqs := range e.m {
		for item, seq := range seqs {
			pr.Checked++
			if got, ok := stored[[2]string{at, item}]; !ok || got != seq {
				pr.Stale++
			}
		}
	}
	return nil
}

// rss returns the resident memory of process pid in kB (0 if unknown).
func rss(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func (pr *pacedReport) print(w io.Writer, r *report) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("  paced: Start pressed within %s (last Start sent %s after the release); think time %s to %s; %d answers changed again",
		pr.Window, ms(pr.StartsWithin), pr.ThinkMin, pr.ThinkMax, pr.Resaves)
	p("  paced: at most %d candidates in the exam at once; release to last submit %s; %d errors in all",
		pr.InExamMax, pr.Duration.Round(time.Millisecond), r.errorCount())
	p("  paced: resident memory of pid %d: %.0f MB before the release, median %.0f MB and max %.0f MB under load",
		pr.RSSPid, float64(pr.RSSBefore)/1024, float64(pr.RSSMedian)/1024, float64(pr.RSSMax)/1024)
	p("  paced: %d stored answers compared with the last seq their candidate sent: %d differ", pr.Checked, pr.Stale)
}

// errors counts failed requests of every kind and failures of the run's own checks.
func (r *report) errorCount() int {
	n := r.Failed
	for _, s := range r.Phases {
		n += s.Errors
	}
	return n
}

// profileFor writes a CPU profile of this process to file for d (or until the returned stop is called).
func profileFor(file string, d time.Duration) (stop func(), err error) {
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			f.Close()
		})
	}
	time.AfterFunc(d, stop)
	return stop, nil
}
