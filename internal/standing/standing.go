// Package standing owns the candidate's standing on the path to a certificate: coursework, written
// exam, oral exam and certificate. It is built on read methods that each domain package exports
// (taking candidate ids, not a signed-in user) and answers for one candidate or, in a fixed number of
// queries, for a list. The dashboard's steps, the "ready to certify" list, the oral booking gate, the
// written exam's coursework gate and certificate issuance all ask it, so they cannot disagree.
package standing

import (
	"context"
	"sync"
	"time"

	"github.com/peeracademy/peeracademy/internal/batch"
	"github.com/peeracademy/peeracademy/internal/cache"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/eligibility"
	"github.com/peeracademy/peeracademy/internal/exam"
	"github.com/peeracademy/peeracademy/internal/oral"
)

// Service answers for candidates' standing. Its reads run outside any transaction of the asking
// package (with SQLite's single connection they must not wait for one).
type Service struct {
	Cohorts      *cohort.Service
	Exams        *exam.Service
	Oral         *oral.Service
	Eligibility  *eligibility.Service // for the dashboard's steps
	Certificates *certificate.Service // for the dashboard's steps

	courseworkOnce  sync.Once
	coursework      *batch.Loader[string, cohort.Coursework] // the written exam's gate (Complete)
	courseworkCache *cache.Map[gateCoursework]               // Complete's answers (CacheCoursework)
}

// gateCoursework is Complete's answer for one candidate.
type gateCoursework struct {
	complete         bool
	vendorID, cohort string
}

// Standing is where one candidate stands.
type Standing struct {
	CandidateID string
	Coursework  *cohort.Coursework   // nil when not enrolled in an active cohort
	Written     []exam.AttemptResult // every attempt, oldest first
	Oral        *oral.Outcome        // the latest decided oral exam; nil when none
}

// Of returns one candidate's standing.
func (s *Service) Of(ctx context.Context, candidateID string) (*Standing, error) {
	m, err := s.Batch(ctx, []string{candidateID})
	if err != nil {
		return nil, err
	}
	return m[candidateID], nil
}

// Batch returns the standing of each of candidateIDs, in a fixed number of queries whatever their
// number (six for coursework, one for the written exam, two for the oral exam).
func (s *Service) Batch(ctx context.Context, candidateIDs []string) (map[string]*Standing, error) {
	cw, err := s.Cohorts.CourseworkOf(ctx, candidateIDs)
	if err != nil {
		return nil, err
	}
	rs, err := s.Exams.ResultsOf(ctx, candidateIDs)
	if err != nil {
		return nil, err
	}
	os, err := s.Oral.Outcomes(ctx, candidateIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*Standing, len(candidateIDs))
	for _, id := range candidateIDs {
		st := &Standing{CandidateID: id, Written: rs[id]}
		if c, ok := cw[id]; ok {
			st.Coursework = &c
		}
		if o, ok := os[id]; ok {
			st.Oral = &o
		}
		out[id] = st
	}
	return out, nil
}

// WrittenPassed returns the first graded, passed written attempt (with any vendor when vendorID is
// ""), or nil.
func (st *Standing) WrittenPassed(vendorID string) *exam.AttemptResult {
	for i, r := range st.Written {
		if r.Graded && r.Passed && (vendorID == "" || r.VendorID == vendorID) {
			return &st.Written[i]
		}
	}
	return nil
}

// Evidence is what the candidate's standing says for a certificate from the vendor: coursework in
// the vendor's cohort, the latest passed written attempt and a passed oral exam with the vendor.
func (st *Standing) Evidence(vendorID string) certificate.Evidence {
	var ev certificate.Evidence
	if cw := st.Coursework; cw != nil && cw.Cohort.VendorID == vendorID {
		co, c := cw.Cohort, cw.Status
		ev.CourseworkComplete, ev.CurriculumVersion = c.Complete, co.CurriculumVersion
		ev.TrainingMinutes = c.AttendedMinutes + c.MakeupMinutes
		if n := len(co.Sessions); n > 0 {
			ev.CourseStart, ev.CourseEnd = co.Sessions[0].Date, co.Sessions[n-1].Date
		}
	}
	for _, r := range st.Written {
		if r.Graded && r.Passed && r.VendorID == vendorID {
			ev.WrittenAttemptID, ev.WrittenPercent, ev.WrittenPassedAt = r.AttemptID, r.Percent, r.FinishedAt
		}
	}
	if o := st.Oral; o != nil && o.Passed && o.VendorID == vendorID {
		at := o.SubmittedAt
		ev.OralGradeID, ev.OralTotal, ev.OralMax, ev.OralPassedAt = o.GradeID, o.Total, o.MaxTotal, &at
	}
	return ev
}

// ---- the questions other packages ask, in the shapes they declare ----

// Evidence gives the certificate evidence of candidates with a vendor, in a fixed number of queries
// (certificate.EvidenceSource).
func (s *Service) Evidence(ctx context.Context, vendorID string, candidateIDs []string) (map[string]certificate.Evidence, error) {
	sts, err := s.Batch(ctx, candidateIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]certificate.Evidence, len(sts))
	for id, st := range sts {
		out[id] = st.Evidence(vendorID)
	}
	return out, nil
}

// ReadyCandidates lists candidates with a passing oral grade with the vendor: a superset of those
// ready (the certificate service checks each one's evidence).
func (s *Service) ReadyCandidates(ctx context.Context, vendorID string) ([]string, error) {
	return s.Oral.PassedCandidates(ctx, vendorID)
}

// Passed tells the oral-exam booking gate whether, and with which vendor, the candidate passed the
// written exam (oral.WrittenExam).
func (s *Service) Passed(ctx context.Context, candidateID string) (string, bool, error) {
	rs, err := s.Exams.ResultsOf(ctx, []string{candidateID})
	if err != nil {
		return "", false, err
	}
	st := Standing{CandidateID: candidateID, Written: rs[candidateID]}
	if r := st.WrittenPassed(""); r != nil {
		return r.VendorID, true, nil
	}
	return "", false, nil
}

// Complete tells the written exam's gate whether the candidate completed the coursework, with
// which vendor and cohort ("" when not enrolled) (exam.Coursework). Every start asks it: the checks
// asked for while another is being read are read together (batch.Loader; CourseworkOf's six
// statements for many candidates instead of six each), which is what keeps a synchronized start from
// queuing for the pool's connections (README, "Load test").
func (s *Service) Complete(ctx context.Context, candidateID string) (bool, string, string, error) {
	s.courseworkOnce.Do(func() {
		s.coursework = &batch.Loader[string, cohort.Coursework]{Flushers: courseworkFlushers, Size: courseworkBatchSize, Load: s.courseworkRead}
	})
	if a, ok := s.courseworkCache.Get(candidateID); ok {
		return a.complete, a.vendorID, a.cohort, nil
	}
	gen := s.courseworkCache.Gen()
	c, ok, err := s.coursework.Get(ctx, candidateID)
	if err != nil {
		return false, "", "", err
	}
	var a gateCoursework
	if ok {
		a = gateCoursework{complete: c.Status.Complete, vendorID: c.Cohort.VendorID, cohort: c.Cohort.ID}
	}
	s.courseworkCache.Put(candidateID, a, gen)
	return a.complete, a.vendorID, a.cohort, nil
}

// CacheCoursework lets Complete answer from memory while feed vouches that nothing the answer was
// computed from has changed: the candidate's enrolments, attendance, make-up work and module
// progress (a write to any of them, from any instance, drops the candidate's copy), or any cohort or
// session date (drops every copy). The exam page a candidate opens while waiting to start asks the
// gate, so the Start pressed after it finds the answer here instead of six statements: at a
// synchronized start those were the costliest reads of the burst (README, "Load test").
func (s *Service) CacheCoursework(feed *database.Feed) {
	c := cache.New[gateCoursework](feed, courseworkCacheTTL, 100_000)
	feed.Subscribe(func(ch database.Change) {
		switch ch.Table {
		case "*", "cohorts", "cohort_sessions":
			c.Clear()
		case "enrollments", "attendance", "makeup_work", "module_progress":
			if ch.Key == "" {
				c.Clear()
			} else {
				c.Delete(ch.Key)
			}
		}
	})
	s.courseworkCache = c
}

// courseworkCacheTTL bounds a cached answer's life when no change arrives: the backstop for writes
// the feed cannot see (another process on the same SQLite file; a PostgreSQL listener that drops
// makes the feed unhealthy, and the cache then neither answers nor keeps anything). Ten minutes
// covers candidates who open the exam page a while before the start time, as they do.
const courseworkCacheTTL = 10 * time.Minute

// A coursework read is six statements with IN lists of the candidates' ids, on one connection held
// for the six (waiting for the pool once, not six times); two at once leave the rest of the pool to
// the other requests. 250 candidates a read: under a synchronized start the reads, not the
// statements' size, were the queue.
const (
	courseworkFlushers  = 2
	courseworkBatchSize = 250
)

func (s *Service) courseworkRead(ctx context.Context, candidateIDs []string) (map[string]cohort.Coursework, error) {
	conn, err := s.Cohorts.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	return s.Cohorts.CourseworkOn(ctx, conn, candidateIDs)
}
