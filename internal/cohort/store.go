package cohort

import (
	"context"

	"github.com/uptrace/bun"
)

// Reads of this package's tables for other packages, which call these instead of querying the
// tables themselves. Each takes the caller's handle so that it can run in the caller's transaction.

// VendorOf returns the vendor of a cohort (sql.ErrNoRows when there is no such cohort).
func VendorOf(ctx context.Context, db bun.IDB, cohortID string) (string, error) {
	var vendorID string
	return vendorID, db.NewSelect().Model((*Cohort)(nil)).Column("vendor_id").Where("id = ?", cohortID).Scan(ctx, &vendorID)
}

// EnrolledWithVendor reports whether a candidate is or was enrolled (in any status) in one of a
// vendor's cohorts.
func EnrolledWithVendor(ctx context.Context, db bun.IDB, candidateID, vendorID string) (bool, error) {
	return db.NewSelect().Model((*Enrollment)(nil)).Where("candidate_id = ?", candidateID).
		Where("cohort_id IN (SELECT id FROM cohorts WHERE vendor_id = ?)", vendorID).Exists(ctx)
}
