package report

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// QueueLimit is how many items of each work queue the dashboard lists (the count covers them all).
const QueueLimit = 5

// Item is one piece of work in a queue: who or what, since when, and where to do it.
type Item struct {
	ID    string    `bun:"id" json:"id"`
	Name  string    `bun:"name" json:"name"`
	Since time.Time `bun:"since" json:"since"` // submitted, starting or taken at
	Link  string    `bun:"-" json:"link"`
}

// Queue is one kind of work waiting, oldest first.
type Queue struct {
	Count int    `json:"count"`
	Items []Item `json:"items"`
}

// VendorQueues is the work waiting for a vendor's administrators that needs a dashboard of its own
// (ready-to-certify and CE reviews come from the certificate and CE services).
type VendorQueues struct {
	Applications  Queue `json:"applications"`   // submitted, awaiting a decision
	Untrained     Queue `json:"untrained"`      // cohorts starting within two weeks with no trainer
	OralsUngraded Queue `json:"orals_ungraded"` // oral exams that have started and have no grade
}

// queueQuery fills one queue: its count, then its first QueueLimit items in order.
type queueQuery struct {
	dst        *Queue
	from, link string
	args       []any
	sel, order string
}

func (x queueQuery) fill(ctx context.Context, db bun.IDB) error {
	if err := db.NewRaw("SELECT COUNT(*) FROM "+x.from, x.args...).Scan(ctx, &x.dst.Count); err != nil {
		return err
	}
	x.dst.Items = []Item{}
	if x.dst.Count == 0 {
		return nil
	}
	args := append(append([]any{}, x.args...), QueueLimit)
	if err := db.NewRaw("SELECT "+x.sel+" FROM "+x.from+" ORDER BY "+x.order+" LIMIT ?", args...).Scan(ctx, &x.dst.Items); err != nil {
		return err
	}
	for i := range x.dst.Items {
		x.dst.Items[i].Link = x.link + x.dst.Items[i].ID
	}
	return nil
}

// Oral exams that have started and have no grade (the caller adds the vendor or trainer).
const (
	ungradedFrom = `oral_bookings b JOIN oral_slots sl ON sl.id = b.slot_id JOIN users u ON u.id = b.candidate_id
			WHERE b.status IN ('active', 'completed') AND sl.starts_at <= ?
			AND NOT EXISTS (SELECT 1 FROM oral_grades g WHERE g.booking_id = b.id)`
	ungradedSel   = `b.id, u.name, sl.starts_at AS since`
	ungradedOrder = `sl.starts_at ASC, b.id ASC`
)

// TrainerQueues is a trainer's work: session days (today's and earlier ones of the last two weeks)
// with attendance still to record, oral exams awaiting a grade, and the next published slots.
type TrainerQueues struct {
	Registers     Queue `json:"registers"`
	OralsUngraded Queue `json:"orals_ungraded"`
	NextSlots     Queue `json:"next_slots"`
}

// ForTrainerQueues reads a trainer's work queues at now.
func ForTrainerQueues(ctx context.Context, db bun.IDB, trainerID string, now time.Time) (*TrainerQueues, error) {
	q := &TrainerQueues{}
	for _, x := range []queueQuery{
		{&q.Registers, `cohort_sessions s JOIN cohorts c ON c.id = s.cohort_id JOIN cohort_trainers t ON t.cohort_id = c.id AND t.user_id = ?
			WHERE s.opens_at <= ? AND s.opens_at > ? AND EXISTS (SELECT 1 FROM enrollments e WHERE e.cohort_id = c.id AND e.status = 'active'
			AND NOT EXISTS (SELECT 1 FROM attendance a WHERE a.cohort_id = c.id AND a.day = s.day AND a.candidate_id = e.candidate_id))`, "/teach/cohorts/",
			[]any{trainerID, now, now.Add(-14 * 24 * time.Hour)}, `c.id || '/days/' || CAST(s.day AS TEXT) AS id, c.name || ', day ' || CAST(s.day AS TEXT) AS name, s.opens_at AS since`, `s.opens_at ASC, c.id ASC`},
		{&q.OralsUngraded, ungradedFrom + ` AND sl.trainer_id = ?`, "/oral/bookings/", []any{now, trainerID}, ungradedSel, ungradedOrder},
		{&q.NextSlots, `oral_slots sl WHERE sl.trainer_id = ? AND sl.status = 'open' AND sl.starts_at > ?`, "/oral#slot-",
			[]any{trainerID, now}, `sl.id, sl.location AS name, sl.starts_at AS since`, `sl.starts_at ASC, sl.id ASC`},
	} {
		if err := x.fill(ctx, db); err != nil {
			return nil, err
		}
	}
	for i := range q.OralsUngraded.Items {
		q.OralsUngraded.Items[i].Link += "/grade"
	}
	return q, nil
}

// ForVendorQueues reads a vendor's work queues at now.
func ForVendorQueues(ctx context.Context, db bun.IDB, vendorID string, now time.Time) (*VendorQueues, error) {
	q := &VendorQueues{}
	soon := now.Add(14 * 24 * time.Hour)
	for _, x := range []queueQuery{
		{&q.Applications, `applications a JOIN users u ON u.id = a.candidate_id WHERE a.vendor_id = ? AND a.status = 'submitted'`, "/review/",
			[]any{vendorID}, `a.id, u.name, a.submitted_at AS since`, `a.submitted_at ASC, a.id ASC`},
		{&q.Untrained, `cohorts c JOIN cohort_sessions s ON s.cohort_id = c.id AND s.day = 1 WHERE c.vendor_id = ? AND s.opens_at >= ? AND s.opens_at < ?
			AND NOT EXISTS (SELECT 1 FROM cohort_trainers t WHERE t.cohort_id = c.id)`, "/teach/cohorts/",
			[]any{vendorID, now.Add(-24 * time.Hour), soon}, `c.id, c.name, s.opens_at AS since`, `s.opens_at ASC, c.id ASC`},
		{&q.OralsUngraded, ungradedFrom + ` AND sl.vendor_id = ?`, "/oral/bookings/", []any{now, vendorID}, ungradedSel, ungradedOrder},
	} {
		if err := x.fill(ctx, db); err != nil {
			return nil, err
		}
	}
	for i := range q.OralsUngraded.Items {
		q.OralsUngraded.Items[i].Link += "/grade"
	}
	return q, nil
}
