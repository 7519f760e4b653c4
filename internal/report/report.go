// Package report computes a vendor's dashboard figures across the program (applications, cohorts,
// examinations) with a handful of aggregate queries, scoped to one vendor.
package report

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/catalog"
	"github.com/peeracademy/peeracademy/internal/certificate"
	"github.com/peeracademy/peeracademy/internal/oral"
)

// Vendor holds one vendor's figures.
type Vendor struct {
	ApplicationsSubmitted int     `json:"applications_submitted"`
	ApplicationsNeedsInfo int     `json:"applications_needs_info"`
	ApplicationsApproved  int     `json:"applications_approved"`
	ApplicationsRejected  int     `json:"applications_rejected"`
	Cohorts               int     `json:"cohorts"`
	Enrolled              int     `json:"enrolled"`
	WrittenAttempts       int     `json:"written_attempts"`
	WrittenPassed         int     `json:"written_passed"`
	WrittenPassRate       float64 `json:"written_pass_rate"`
	OralGraded            int     `json:"oral_graded"`
	OralPassed            int     `json:"oral_passed"`
	OralPassRate          float64 `json:"oral_pass_rate"`
	CourseEnrolments      int     `json:"course_enrolments"`    // catalogue courses (CE and specialty)
	CourseCompletions     int     `json:"course_completions"`   // of those enrolments
	EndorsementsIssued    int     `json:"endorsements_issued"`  // specialty completions
	EndorsementsRevoked   int     `json:"endorsements_revoked"` // not current: the certificate is revoked
}

// ForVendor computes the figures of one vendor.
func ForVendor(ctx context.Context, db bun.IDB, vendorID string) (*Vendor, error) {
	v := &Vendor{}
	count := func(dst *int, q string, args ...any) error {
		return db.NewRaw(q, args...).Scan(ctx, dst)
	}
	qs := []struct {
		dst  *int
		q    string
		args []any
	}{
		{&v.ApplicationsSubmitted, `SELECT COUNT(*) FROM applications WHERE vendor_id = ? AND status = 'submitted'`, []any{vendorID}},
		{&v.ApplicationsNeedsInfo, `SELECT COUNT(*) FROM applications WHERE vendor_id = ? AND status = 'needs_info'`, []any{vendorID}},
		{&v.ApplicationsApproved, `SELECT COUNT(*) FROM applications WHERE vendor_id = ? AND status = 'approved'`, []any{vendorID}},
		{&v.ApplicationsRejected, `SELECT COUNT(*) FROM applications WHERE vendor_id = ? AND status = 'rejected'`, []any{vendorID}},
		{&v.Cohorts, `SELECT COUNT(*) FROM cohorts WHERE vendor_id = ?`, []any{vendorID}},
		{&v.Enrolled, `SELECT COUNT(*) FROM enrollments e JOIN cohorts c ON c.id = e.cohort_id WHERE c.vendor_id = ? AND e.status = 'active'`, []any{vendorID}},
		{&v.WrittenAttempts, `SELECT COUNT(*) FROM exam_attempts WHERE vendor_id = ? AND status <> 'open'`, []any{vendorID}},
		{&v.WrittenPassed, `SELECT COUNT(*) FROM exam_attempts WHERE vendor_id = ? AND status <> 'open' AND passed`, []any{vendorID}},
	}
	for _, q := range qs {
		if err := count(q.dst, q.q, q.args...); err != nil {
			return nil, err
		}
	}
	// Oral exams count once each when their result is decided (by one examiner, or by a panel).
	var err error
	if v.OralGraded, v.OralPassed, err = oral.VendorOutcomes(ctx, db, vendorID); err != nil {
		return nil, err
	}
	if v.CourseEnrolments, v.CourseCompletions, err = catalog.VendorCounts(ctx, db, vendorID); err != nil {
		return nil, err
	}
	if v.EndorsementsIssued, v.EndorsementsRevoked, err = certificate.VendorEndorsements(ctx, db, vendorID); err != nil {
		return nil, err
	}
	if v.WrittenAttempts > 0 {
		v.WrittenPassRate = 100 * float64(v.WrittenPassed) / float64(v.WrittenAttempts)
	}
	if v.OralGraded > 0 {
		v.OralPassRate = 100 * float64(v.OralPassed) / float64(v.OralGraded)
	}
	return v, nil
}

// CSV writes the figures as two columns.
func (v *Vendor) CSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"figure", "value"},
		{"applications waiting for review", strconv.Itoa(v.ApplicationsSubmitted)},
		{"applications asked for more information", strconv.Itoa(v.ApplicationsNeedsInfo)},
		{"applications approved", strconv.Itoa(v.ApplicationsApproved)},
		{"applications rejected", strconv.Itoa(v.ApplicationsRejected)},
		{"cohorts", strconv.Itoa(v.Cohorts)},
		{"candidates enrolled", strconv.Itoa(v.Enrolled)},
		{"written attempts finished", strconv.Itoa(v.WrittenAttempts)},
		{"written attempts passed", strconv.Itoa(v.WrittenPassed)},
		{"written pass rate (%)", strconv.FormatFloat(v.WrittenPassRate, 'f', 1, 64)},
		{"oral exams graded", strconv.Itoa(v.OralGraded)},
		{"oral exams passed", strconv.Itoa(v.OralPassed)},
		{"oral pass rate (%)", strconv.FormatFloat(v.OralPassRate, 'f', 1, 64)},
		{"course enrolments", strconv.Itoa(v.CourseEnrolments)},
		{"courses completed", strconv.Itoa(v.CourseCompletions)},
		{"endorsements issued", strconv.Itoa(v.EndorsementsIssued)},
		{"endorsements not current (certificate revoked)", strconv.Itoa(v.EndorsementsRevoked)},
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}
