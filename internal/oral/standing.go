package oral

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Reads for the candidate's standing (package standing), by candidate id rather than by a signed-in
// user, and in batch: a fixed number of queries whatever the number of candidates.

// Outcome is the decided result of a candidate's latest decided oral exam.
type Outcome struct {
	CandidateID string
	GradeID     string // the grade that decides (see panel.go)
	VendorID    string
	Passed      bool
	Total       int
	MaxTotal    int // the rubric's maximum, when the service has a rubric
	SubmittedAt time.Time
	ExamAt      time.Time // when the exam's slot started
}

// Outcomes returns the outcome of each candidate's latest decided exam, for the candidates who have
// one, in two queries.
func (s *Service) Outcomes(ctx context.Context, candidateIDs []string) (map[string]Outcome, error) {
	out := map[string]Outcome{}
	if len(candidateIDs) == 0 {
		return out, nil
	}
	ds, err := decisions(ctx, s.DB, "g.candidate_id IN (?)", bun.In(candidateIDs))
	if err != nil {
		return nil, err
	}
	var gradeIDs []string
	for _, d := range ds { // latest exam first: the first decided one per candidate counts
		if _, seen := out[d.CandidateID]; d.Decided && !seen {
			out[d.CandidateID] = Outcome{CandidateID: d.CandidateID, GradeID: d.GradeID, VendorID: d.VendorID, Passed: d.Passed, ExamAt: d.StartsAt}
			gradeIDs = append(gradeIDs, d.GradeID)
		}
	}
	if len(gradeIDs) == 0 {
		return out, nil
	}
	var gs []Grade
	if err := s.DB.NewSelect().Model(&gs).Column("id", "candidate_id", "total", "submitted_at").Where("id IN (?)", bun.In(gradeIDs)).Scan(ctx); err != nil {
		return nil, err
	}
	for _, g := range gs {
		o := out[g.CandidateID]
		o.Total, o.SubmittedAt = g.Total, g.SubmittedAt
		if s.Rubric != nil {
			o.MaxTotal = s.Rubric.MaxTotal()
		}
		out[g.CandidateID] = o
	}
	return out, nil
}

// PassedCandidates lists the candidates with a passing oral grade with the vendor (a superset: on a
// two-examiner panel one passing grade may be outvoted; Outcomes has the panel's decision).
func (s *Service) PassedCandidates(ctx context.Context, vendorID string) ([]string, error) {
	var ids []string
	err := s.DB.NewSelect().Model((*Grade)(nil)).Distinct().Column("candidate_id").Where("vendor_id = ?", vendorID).Where("passed").Scan(ctx, &ids)
	return ids, err
}
