package catalog

import (
	"context"

	"github.com/uptrace/bun"
)

// VendorCounts are a vendor's course figures for its reports: holders enrolled in its offerings and
// how many of those enrolments are complete.
func VendorCounts(ctx context.Context, db bun.IDB, vendorID string) (enrolled, completed int, err error) {
	q := func() *bun.SelectQuery {
		return db.NewSelect().Model((*Enrolment)(nil)).Where("vendor_id = ?", vendorID)
	}
	e, err := q().Count(ctx)
	if err != nil {
		return 0, 0, err
	}
	c, err := q().Where("completed_at IS NOT NULL").Count(ctx)
	return int(e), int(c), err
}
