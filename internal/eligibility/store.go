package eligibility

import (
	"context"
	"strings"

	"github.com/uptrace/bun"
)

// LegalNames returns the legal name of each of candidateIDs on their latest approved application
// with the vendor (candidates without one are absent), for other packages (the certificate's name).
func LegalNames(ctx context.Context, db bun.IDB, vendorID string, candidateIDs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(candidateIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		CandidateID string `bun:"candidate_id"`
		LegalName   string `bun:"legal_name"`
	}
	err := db.NewSelect().Model((*Application)(nil)).Column("candidate_id", "legal_name").Where("vendor_id = ?", vendorID).
		Where("status = ?", StatusApproved).Where("candidate_id IN (?)", bun.In(candidateIDs)).OrderExpr("COALESCE(decided_at, created_at)").Scan(ctx, &rows)
	for _, r := range rows { // oldest first: the latest non-blank one wins
		if strings.TrimSpace(r.LegalName) != "" {
			out[r.CandidateID] = r.LegalName
		}
	}
	return out, err
}

// AppliedTo reports whether a candidate has sent an application to a vendor (in any status but
// draft), for other packages (whether a vendor's administrators may act on the candidate).
func AppliedTo(ctx context.Context, db bun.IDB, candidateID, vendorID string) (bool, error) {
	return db.NewSelect().Model((*Application)(nil)).Where("candidate_id = ?", candidateID).Where("vendor_id = ?", vendorID).
		Where("status <> ?", StatusDraft).Exists(ctx)
}
