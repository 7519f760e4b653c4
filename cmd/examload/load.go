package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/peeracademy/peeracademy/internal/api/client"
	"github.com/peeracademy/peeracademy/internal/exam"
)

// The request kinds a candidate sends, in order.
const (
	phaseStart = iota
	phaseView
	phaseAnswer
	phaseSubmit
	phases
)

var phaseNames = [phases]string{"start  POST /exam/attempts", "view   GET  /exam/attempts/:id", "answer PUT  .../answers/:item", "submit POST .../submit"}

// worker is one simulated client; it keeps its own figures, merged after the run.
type worker struct {
	o   options
	api *client.ClientWithResponses // the generated client

	lat        [phases][]time.Duration
	errs       [phases]int
	first      time.Time // when this worker sent its first request
	ansFirst   time.Time // first answer PUT sent
	ansLast    time.Time // last answer PUT answered
	lastSubmit time.Time
	acked      int // answers the server confirmed stored with our seq
	retries    int
	failed     int
	failures   []string
}

// load releases every candidate at once (a barrier) and runs the exam for each.
func load(ctx context.Context, o options, base string, tokens []string, rep *report) error {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: o.Concurrency,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
	}
	defer tr.CloseIdleConnections()
	api, err := client.NewClientWithResponses(base, client.WithHTTPClient(&http.Client{Transport: tr, Timeout: o.Timeout}))
	if err != nil {
		return err
	}

	jobs := make(chan int, len(tokens))
	for i := range tokens {
		jobs <- i
	}
	close(jobs)
	workers := make([]*worker, o.Concurrency)
	var ready, wg sync.WaitGroup
	start := make(chan struct{})
	for k := range workers {
		w := &worker{o: o, api: api}
		workers[k] = w
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			<-start
			for i := range jobs {
				if ctx.Err() != nil {
					return
				}
				w.sit(ctx, tokens[i])
			}
		}()
	}
	ready.Wait()
	released := time.Now()
	close(start)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	rep.merge(workers, released)
	return nil
}

// merge adds the workers' figures to the report (released: when the candidates were let go).
func (rep *report) merge(workers []*worker, released time.Time) {
	var all [phases][]time.Duration
	var firstMin, firstMax, ansFirst, ansLast, lastSubmit time.Time
	for _, w := range workers {
		for p := range phases {
			all[p] = append(all[p], w.lat[p]...)
			rep.Phases[p].Errors += w.errs[p]
		}
		if !w.first.IsZero() {
			if firstMin.IsZero() || w.first.Before(firstMin) {
				firstMin = w.first
			}
			if w.first.After(firstMax) {
				firstMax = w.first
			}
		}
		if !w.ansFirst.IsZero() && (ansFirst.IsZero() || w.ansFirst.Before(ansFirst)) {
			ansFirst = w.ansFirst
		}
		if w.ansLast.After(ansLast) {
			ansLast = w.ansLast
		}
		if w.lastSubmit.After(lastSubmit) {
			lastSubmit = w.lastSubmit
		}
		rep.Acked += w.acked
		rep.Retries += w.retries
		rep.Failed += w.failed
		for _, f := range w.failures {
			if len(rep.Failures) < 10 {
				rep.Failures = append(rep.Failures, f)
			}
		}
	}
	for p := range phases {
		rep.Phases[p].Name = phaseNames[p]
		rep.Phases[p].summarise(all[p])
	}
	rep.FirstRequestsWithin = firstMax.Sub(released)
	rep.FirstRequestsSpread = firstMax.Sub(firstMin)
	rep.Answers = len(all[phaseAnswer])
	if ansLast.After(ansFirst) {
		rep.AnswerWindow = ansLast.Sub(ansFirst)
		rep.AnswersPerSec = float64(rep.Acked) / rep.AnswerWindow.Seconds()
	}
	if lastSubmit.After(released) {
		rep.ExamWindow = lastSubmit.Sub(released)
	}
}

// answer is a generated call's outcome: its status and raw body (the client decodes the rest).
type answer interface {
	StatusCode() int
}

// bearer authenticates a generated call as the candidate holding token.
func bearer(token string) client.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

// sit takes the exam as one candidate: start, view, answer every question, submit.
func (w *worker) sit(ctx context.Context, token string) {
	auth := bearer(token)
	sum, view := w.open(ctx, auth)
	if view == nil {
		return
	}
	for _, q := range view.Questions {
		if saved := w.save(ctx, auth, sum.Id, q.ItemId, 0, 1); saved != nil {
			w.acked++
		}
	}
	w.submit(ctx, auth, sum.Id)
}

// open starts (or resumes) the attempt and views it; view is nil when either step failed.
func (w *worker) open(ctx context.Context, auth client.RequestEditorFn) (sum *client.ExamSummary, view *client.ExamAttemptView) {
	if !w.call(ctx, phaseStart, "POST /exam/attempts", func(ctx context.Context) (answer, []byte, error) {
		r, err := w.api.PostExamAttemptsWithResponse(ctx, auth)
		if err != nil {
			return nil, nil, err
		}
		if sum = r.JSON201; sum == nil {
			sum = r.JSON200
		}
		return r, r.Body, nil
	}, http.StatusCreated, http.StatusOK) {
		return nil, nil
	}
	if !w.call(ctx, phaseView, "GET /exam/attempts/"+sum.Id, func(ctx context.Context) (answer, []byte, error) {
		r, err := w.api.GetExamAttemptsByIdWithResponse(ctx, sum.Id, auth)
		if err != nil {
			return nil, nil, err
		}
		view = r.JSON200
		return r, r.Body, nil
	}, http.StatusOK) {
		return sum, nil
	}
	if len(view.Questions) != w.o.FormLength || string(view.Status) != exam.StatusOpen {
		w.fail("attempt %s: %d questions, status %s; want %d, open", sum.Id, len(view.Questions), view.Status, w.o.FormLength)
		return sum, nil
	}
	return sum, view
}

// save stores one answer with seq and returns what the server confirmed, or nil (counted as a
// failure) when the call failed or the server did not apply exactly this save.
func (w *worker) save(ctx context.Context, auth client.RequestEditorFn, attemptID, itemID string, choice int, seq int64) *client.ExamSaved {
	if w.ansFirst.IsZero() {
		w.ansFirst = time.Now()
	}
	var saved *client.ExamSaved
	ok := w.call(ctx, phaseAnswer, "PUT .../answers/"+itemID, func(ctx context.Context) (answer, []byte, error) {
		r, err := w.api.PutExamAttemptsByIdAnswersByItemWithResponse(ctx, attemptID, itemID, client.ApiAnswerRequest{Choice: []int{choice}, Seq: seq}, auth)
		if err != nil {
			return nil, nil, err
		}
		saved = r.JSON200
		return r, r.Body, nil
	}, http.StatusOK)
	w.ansLast = time.Now()
	if !ok {
		return nil
	}
	if !saved.Applied || saved.Seq != seq || saved.ItemId != itemID {
		w.fail("attempt %s item %s: applied %v, stored seq %d, want %d", attemptID, itemID, saved.Applied, saved.Seq, seq)
		return nil
	}
	return saved
}

// submit submits and checks the attempt was graded.
func (w *worker) submit(ctx context.Context, auth client.RequestEditorFn, attemptID string) {
	var res *client.ExamAttemptResult
	if w.call(ctx, phaseSubmit, "POST .../submit", func(ctx context.Context) (answer, []byte, error) {
		r, err := w.api.PostExamAttemptsByIdSubmitWithResponse(ctx, attemptID, auth)
		if err != nil {
			return nil, nil, err
		}
		res = r.JSON200
		return r, r.Body, nil
	}, http.StatusOK) {
		w.lastSubmit = time.Now()
		if !res.Graded || res.Total != w.o.FormLength || string(res.Status) != exam.StatusSubmitted {
			w.fail("attempt %s: submitted but graded=%v total=%d status=%s", attemptID, res.Graded, res.Total, res.Status)
		}
	}
}

// call sends one request through the generated client (do) and reports whether it answered one of
// the wanted statuses. Like the exam's own script, it retries a request that failed in transit or
// with a 5xx/429 (an answer keeps its seq, so a retry can never overwrite anything newer); it gives
// up after three retries.
func (w *worker) call(ctx context.Context, p int, what string, do func(context.Context) (answer, []byte, error), want ...int) bool {
	var last string
	for try := range 4 {
		if try > 0 {
			w.retries++
			select {
			case <-ctx.Done():
				return false
			case <-time.After(time.Duration(try) * 250 * time.Millisecond):
			}
		}
		t := time.Now()
		if w.first.IsZero() {
			w.first = t
		}
		r, body, err := do(ctx)
		if err != nil {
			w.errs[p]++
			last = err.Error()
			if ctx.Err() != nil {
				return false
			}
			continue
		}
		w.lat[p] = append(w.lat[p], time.Since(t))
		for _, s := range want {
			if r.StatusCode() == s {
				return true
			}
		}
		w.errs[p]++
		last = fmt.Sprintf("HTTP %d: %.200s", r.StatusCode(), body)
		if r.StatusCode() < 500 && r.StatusCode() != http.StatusTooManyRequests {
			break
		}
	}
	w.fail("%s: %s", what, last)
	return false
}

func (w *worker) fail(format string, args ...any) {
	w.failed++
	if len(w.failures) < 3 {
		w.failures = append(w.failures, fmt.Sprintf(format, args...))
	}
}
