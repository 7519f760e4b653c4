package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/peeracademy/peeracademy/internal/api"
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
	o      options
	client *http.Client
	base   string

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
	client := &http.Client{Transport: tr, Timeout: o.Timeout}

	jobs := make(chan int, len(tokens))
	for i := range tokens {
		jobs <- i
	}
	close(jobs)
	workers := make([]*worker, o.Concurrency)
	var ready, wg sync.WaitGroup
	start := make(chan struct{})
	for k := range workers {
		w := &worker{o: o, client: client, base: base}
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

// sit takes the exam as one candidate: start, view, answer every question, submit.
func (w *worker) sit(ctx context.Context, token string) {
	var sum exam.Summary
	if !w.call(ctx, phaseStart, "POST", "/api/v1/exam/attempts", token, nil, &sum, http.StatusCreated, http.StatusOK) {
		return
	}
	path := "/api/v1/exam/attempts/" + sum.ID
	var view exam.AttemptView
	if !w.call(ctx, phaseView, "GET", path, token, nil, &view, http.StatusOK) {
		return
	}
	if len(view.Questions) != w.o.FormLength || view.Status != exam.StatusOpen {
		w.fail("attempt %s: %d questions, status %s; want %d, open", sum.ID, len(view.Questions), view.Status, w.o.FormLength)
		return
	}
	for _, q := range view.Questions {
		const seq = 1
		if w.ansFirst.IsZero() {
			w.ansFirst = time.Now()
		}
		var saved exam.Saved
		ok := w.call(ctx, phaseAnswer, "PUT", path+"/answers/"+q.ItemID, token, api.AnswerRequest{Choice: []int{0}, Seq: seq}, &saved, http.StatusOK)
		w.ansLast = time.Now()
		if ok && saved.Seq == seq && saved.ItemID == q.ItemID {
			w.acked++
		} else if ok {
			w.fail("attempt %s item %s: stored seq %d, want %d", sum.ID, q.ItemID, saved.Seq, seq)
		}
	}
	var res exam.AttemptResult
	if w.call(ctx, phaseSubmit, "POST", path+"/submit", token, nil, &res, http.StatusOK) {
		w.lastSubmit = time.Now()
		if !res.Graded || res.Total != w.o.FormLength || res.Status != exam.StatusSubmitted {
			w.fail("attempt %s: submitted but graded=%v total=%d status=%s", sum.ID, res.Graded, res.Total, res.Status)
		}
	}
}

// call sends one API request and decodes a successful answer into out. Like the exam's own script,
// it retries a request that failed in transit or with a 5xx/429 (an answer keeps its seq, so a
// retry can never overwrite anything newer); it gives up after three retries.
func (w *worker) call(ctx context.Context, p int, method, path, token string, body, out any, want ...int) bool {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			w.fail("%s %s: %v", method, path, err)
			return false
		}
	}
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
		req, err := http.NewRequestWithContext(ctx, method, w.base+path, bytes.NewReader(payload))
		if err != nil {
			w.fail("%s %s: %v", method, path, err)
			return false
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Accept", "application/json")
		if payload != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		t := time.Now()
		if w.first.IsZero() {
			w.first = t
		}
		resp, err := w.client.Do(req)
		if err != nil {
			w.errs[p]++
			last = err.Error()
			if ctx.Err() != nil {
				return false
			}
			continue
		}
		b, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		w.lat[p] = append(w.lat[p], time.Since(t))
		if rerr != nil {
			w.errs[p]++
			last = rerr.Error()
			continue
		}
		for _, s := range want {
			if resp.StatusCode == s {
				if out != nil {
					if err := json.Unmarshal(b, out); err != nil {
						w.errs[p]++
						w.fail("%s %s: decode: %v", method, path, err)
						return false
					}
				}
				return true
			}
		}
		w.errs[p]++
		last = fmt.Sprintf("HTTP %d: %.200s", resp.StatusCode, b)
		if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
			break
		}
	}
	w.fail("%s %s: %s", method, path, last)
	return false
}

func (w *worker) fail(format string, args ...any) {
	w.failed++
	if len(w.failures) < 3 {
		w.failures = append(w.failures, fmt.Sprintf(format, args...))
	}
}
