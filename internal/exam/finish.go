package exam

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/page"
)

// ---- finishing and grading ----

// Submit ends the candidate's attempt and grades it, exactly once: a second Submit (or one racing
// with the first, or with the expiry worker) returns the result already recorded. Submitted after the
// deadline and its grace, the attempt counts as expired (finished at the deadline).
func (s *Service) Submit(ctx context.Context, a audit.Actor, candidate *account.User, attemptID string) (*AttemptResult, error) {
	if candidate == nil || candidate.Role != account.RoleCandidate {
		return nil, errCandidateOnly
	}
	now := s.now()
	at, err := s.load(ctx, s.DB, attemptID, candidate.ID)
	if err != nil {
		return nil, err
	}
	if at.Status == StatusOpen {
		status := StatusSubmitted
		if overdue(at, now) {
			status = StatusExpired
		}
		if _, err := s.finish(ctx, a, at.ID, status, now); err != nil {
			return nil, err
		}
		if at, err = s.load(ctx, s.DB, attemptID, candidate.ID); err != nil {
			return nil, err
		}
	}
	return s.resultOf(ctx, s.DB, at)
}

// finish moves an open attempt to status (submitted: finished now; expired: finished at its deadline)
// with one conditional UPDATE and grades it in the same transaction. It reports false when the
// attempt was no longer open (someone else finished it): nothing is graded twice.
func (s *Service) finish(ctx context.Context, a audit.Actor, attemptID, status string, now time.Time) (bool, error) {
	done := false
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Model((*attempt)(nil)).Set("status = ?", status).Where("id = ?", attemptID).Where("status = ?", StatusOpen)
		if status == StatusExpired {
			q = q.Set("finished_at = deadline_at")
		} else {
			q = q.Set("finished_at = ?", now)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		done = true
		at := new(attempt)
		if err := tx.NewSelect().Model(at).Where("id = ?", attemptID).Scan(ctx); err != nil {
			return err
		}
		form, err := parseForm(at)
		if err != nil {
			return err
		}
		saved, err := answersOf(ctx, tx, at.ID)
		if err != nil {
			return err
		}
		r := Grade(form, s.Bank, choices(saved), at.PassPercent)
		bd, err := json.Marshal(r.ByDomain)
		if err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model((*attempt)(nil)).Set("correct = ?", r.Correct).Set("total = ?", r.Total).Set("percent = ?", r.Percent).
			Set("passed = ?", r.Passed).Set("by_domain = ?", string(bd)).Where("id = ?", at.ID).Exec(ctx); err != nil {
			return err
		}
		action := "exam.submit"
		if status == StatusExpired {
			action = "exam.expire"
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: action, SubjectType: "exam_attempt", SubjectID: at.ID, VendorID: at.VendorID,
			Details: map[string]any{"correct": r.Correct, "total": r.Total, "passed": r.Passed}})
	})
	return done, err
}

// FinalizeExpired expires every open attempt whose deadline plus AnswerGrace is before now, with
// finished_at = the deadline, and grades it on the answers saved. It returns how many it graded.
// Several workers may run it at once: each attempt is graded by exactly one of them.
func (s *Service) FinalizeExpired(ctx context.Context, now time.Time) (int, error) {
	now = now.UTC().Truncate(time.Microsecond)
	graded := 0
	for {
		var ids []string
		err := s.DB.NewSelect().Model((*attempt)(nil)).Column("id").Where("status = ?", StatusOpen).
			Where("deadline_at < ?", now.Add(-AnswerGrace)).OrderExpr("deadline_at ASC").Limit(100).Scan(ctx, &ids)
		if err != nil && !database.ErrIsNotFound(err) {
			return graded, err
		}
		if len(ids) == 0 {
			return graded, nil
		}
		for _, id := range ids {
			done, err := s.finish(ctx, audit.System, id, StatusExpired, now)
			if err != nil {
				return graded, err
			}
			if done {
				graded++
			}
		}
	}
}

// ---- results ----

// DomainResult is the score on one domain, for display.
type DomainResult struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Correct int     `json:"correct"`
	Total   int     `json:"total"`
	Percent float64 `json:"percent"`
}

// AttemptResult is an attempt and, once finished, its score. It never holds keys or choices.
type AttemptResult struct {
	AttemptID   string         `json:"attempt_id"`
	VendorID    string         `json:"vendor_id"`
	CohortID    string         `json:"cohort_id,omitempty"`
	Number      int            `json:"number"` // 1 for the candidate's first attempt with this vendor
	Status      string         `json:"status"`
	StartedAt   time.Time      `json:"started_at"`
	DeadlineAt  time.Time      `json:"deadline_at"`
	FinishedAt  *time.Time     `json:"finished_at,omitempty"`
	PassPercent int            `json:"pass_percent"`
	Graded      bool           `json:"graded"`
	Correct     int            `json:"correct"`
	Total       int            `json:"total"`
	Percent     float64        `json:"percent"`
	Passed      bool           `json:"passed"`
	Domains     []DomainResult `json:"domains"` // in blueprint order
}

func (s *Service) resultOf(ctx context.Context, db bun.IDB, at *attempt) (*AttemptResult, error) {
	n, err := db.NewSelect().Model((*attempt)(nil)).Where("candidate_id = ?", at.CandidateID).Where("vendor_id = ?", at.VendorID).
		Where("started_at <= ?", at.StartedAt).Count(ctx)
	if err != nil {
		return nil, err
	}
	return s.result(at, int(n))
}

func (s *Service) result(at *attempt, number int) (*AttemptResult, error) {
	r := &AttemptResult{AttemptID: at.ID, VendorID: at.VendorID, Number: number, Status: at.Status, StartedAt: at.StartedAt.UTC(),
		DeadlineAt: at.DeadlineAt.UTC(), PassPercent: at.PassPercent, Domains: []DomainResult{}}
	if at.CohortID != nil {
		r.CohortID = *at.CohortID
	}
	if at.FinishedAt != nil {
		t := at.FinishedAt.UTC()
		r.FinishedAt = &t
	}
	if at.Correct == nil || at.Total == nil {
		return r, nil
	}
	r.Graded, r.Correct, r.Total = true, *at.Correct, *at.Total
	if at.Percent != nil {
		r.Percent = *at.Percent
	}
	if at.Passed != nil {
		r.Passed = *at.Passed
	}
	var bd map[string]DomainScore
	if at.ByDomain != nil {
		if err := json.Unmarshal([]byte(*at.ByDomain), &bd); err != nil {
			return nil, fmt.Errorf("exam: attempt %s: bad by_domain: %w", at.ID, err)
		}
	}
	seen := map[string]bool{}
	add := func(id, title string) {
		ds, ok := bd[id]
		if !ok || seen[id] {
			return
		}
		seen[id] = true
		dr := DomainResult{ID: id, Title: title, Correct: ds.Correct, Total: ds.Total}
		if ds.Total > 0 {
			dr.Percent = float64(ds.Correct) * 100 / float64(ds.Total)
		}
		r.Domains = append(r.Domains, dr)
	}
	if s.Bank != nil {
		for _, d := range s.Bank.Blueprint.Domains {
			add(d.ID, d.Title)
		}
	}
	rest := make([]string, 0)
	for id := range bd {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	slices.Sort(rest)
	for _, id := range rest {
		add(id, id)
	}
	return r, nil
}

// Results lists a candidate's attempts, oldest first, with scores by domain once graded.
func (s *Service) Results(ctx context.Context, candidate *account.User) ([]AttemptResult, error) {
	p, err := s.ResultsPage(ctx, candidate, page.All)
	return p.Items, err
}

// resultsOrder is the order of a candidate's attempts: oldest first.
var resultsOrder = page.Order{List: "exam-results", Keys: []page.Key{{Col: "started_at", Time: true}, {Col: "id"}}}

// ResultsPage is one page of Results. An attempt's number (its place among the candidate's attempts
// at its vendor) is counted in the query, so a page needs no earlier rows.
func (s *Service) ResultsPage(ctx context.Context, candidate *account.User, r page.Request) (page.Page[AttemptResult], error) {
	if candidate == nil || candidate.Role != account.RoleCandidate {
		return page.Page[AttemptResult]{}, errCandidateOnly
	}
	var ats []numberedAttempt
	pg, err := page.Fetch(ctx, s.DB.NewSelect().Model(&ats).Where("candidate_id = ?", candidate.ID).ColumnExpr("?TableAlias.*").
		ColumnExpr(`(SELECT COUNT(*) FROM exam_attempts AS p WHERE p.candidate_id = ?TableAlias.candidate_id AND p.vendor_id = ?TableAlias.vendor_id
 AND (p.started_at < ?TableAlias.started_at OR (p.started_at = ?TableAlias.started_at AND p.id <= ?TableAlias.id))) AS number`), &ats, r, resultsOrder, func(a numberedAttempt) []any { return []any{a.StartedAt, a.ID} })
	if err != nil {
		return page.Page[AttemptResult]{}, err
	}
	out := make([]AttemptResult, 0, len(pg.Items))
	for i := range pg.Items {
		res, err := s.result(&pg.Items[i].attempt, pg.Items[i].Number)
		if err != nil {
			return page.Page[AttemptResult]{}, err
		}
		out = append(out, *res)
	}
	return page.Page[AttemptResult]{Items: out, Next: pg.Next}, nil
}

// numberedAttempt is an attempt with its number among the candidate's attempts at the vendor.
type numberedAttempt struct {
	attempt `bun:",extend"`
	Number  int `bun:"number,scanonly"`
}

// ResultsOf lists the attempts of each of candidateIDs, oldest first, in one query (for the
// candidate's standing; by id, not by a signed-in user). Candidates without attempts are absent.
func (s *Service) ResultsOf(ctx context.Context, candidateIDs []string) (map[string][]AttemptResult, error) {
	out := map[string][]AttemptResult{}
	if len(candidateIDs) == 0 {
		return out, nil
	}
	var ats []attempt
	if err := s.DB.NewSelect().Model(&ats).Where("candidate_id IN (?)", bun.In(candidateIDs)).OrderExpr("started_at ASC, id ASC").Scan(ctx); err != nil && !database.ErrIsNotFound(err) {
		return nil, err
	}
	number := map[[2]string]int{}
	for i := range ats {
		k := [2]string{ats[i].CandidateID, ats[i].VendorID}
		number[k]++
		r, err := s.result(&ats[i], number[k])
		if err != nil {
			return nil, err
		}
		out[ats[i].CandidateID] = append(out[ats[i].CandidateID], *r)
	}
	return out, nil
}
