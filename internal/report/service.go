package report

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// Service answers the report queries against the database it holds, so that handlers hold the
// service rather than the database.
type Service struct {
	DB *bun.DB
}

// ForVendor computes the figures of one vendor.
func (s Service) ForVendor(ctx context.Context, vendorID string) (*Vendor, error) {
	return ForVendor(ctx, s.DB, vendorID)
}

// ForVendorQueues reads a vendor's work queues at now.
func (s Service) ForVendorQueues(ctx context.Context, vendorID string, now time.Time) (*VendorQueues, error) {
	return ForVendorQueues(ctx, s.DB, vendorID, now)
}

// ForTrainerQueues reads a trainer's work queues at now.
func (s Service) ForTrainerQueues(ctx context.Context, trainerID string, now time.Time) (*TrainerQueues, error) {
	return ForTrainerQueues(ctx, s.DB, trainerID, now)
}

// ForCohortExams lists the vendor's cohorts with finished written-exam attempts and their results.
func (s Service) ForCohortExams(ctx context.Context, vendorID string) ([]CohortExam, error) {
	return ForCohortExams(ctx, s.DB, vendorID)
}

// ForCEStanding evaluates the vendor's active, unexpired certificates on the CE rule at now.
func (s Service) ForCEStanding(ctx context.Context, vendorID string, now time.Time) (CEStanding, error) {
	return ForCEStanding(ctx, s.DB, vendorID, now)
}

// ForCertificatesPerMonth counts the vendor's certificates by month of first issue.
func (s Service) ForCertificatesPerMonth(ctx context.Context, vendorID string, now time.Time, months int) ([]MonthCount, error) {
	return ForCertificatesPerMonth(ctx, s.DB, vendorID, now, months)
}
