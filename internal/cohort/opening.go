package cohort

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/urls"
)

// OpeningCatchUp is how long after day 1 opens a candidate still gets the "course opens" email
// (a worker that was down catches up; a cohort that opened long before this feature gets none).
const OpeningCatchUp = 72 * time.Hour

// OpeningBatch is how many "course opens" emails one SendCourseOpened call sends at most.
const OpeningBatch = 500

// SendCourseOpened emails each actively enrolled candidate of a cohort whose day 1 opened at or
// before now (and not more than OpeningCatchUp before), once per enrolment: the enrolment is claimed
// with a conditional UPDATE of opened_mail_at (from NULL) in the transaction that enqueues the email
// (dedupe key "course-opened:<enrolment id>"), so several app instances running it at once send
// each email once. It returns how many it sent.
func (s *Service) SendCourseOpened(ctx context.Context, now time.Time) (int, error) {
	if s.Outbox == nil {
		return 0, nil
	}
	now = now.UTC().Truncate(time.Microsecond)
	var due []struct {
		ID       string    `bun:"id"`
		Cand     string    `bun:"candidate_id"`
		Cohort   string    `bun:"cohort"`
		Name     string    `bun:"name"`
		Email    string    `bun:"email"`
		Person   string    `bun:"person"`
		OpensAt  time.Time `bun:"opens_at"`
		Timezone string    `bun:"timezone"`
		Vendor   string    `bun:"vendor_id"`
	}
	err := s.DB.NewRaw(`SELECT e.id, e.candidate_id, c.id AS cohort, c.name, cs.opens_at, c.timezone, c.vendor_id
FROM enrollments AS e JOIN cohorts AS c ON c.id = e.cohort_id JOIN cohort_sessions AS cs ON cs.cohort_id = c.id AND cs.day = 1
WHERE e.status = ? AND e.opened_mail_at IS NULL AND cs.opens_at <= ? AND cs.opens_at > ?
ORDER BY cs.opens_at, e.id LIMIT ?`, EnrollActive, now, now.Add(-OpeningCatchUp), OpeningBatch).Scan(ctx, &due)
	if err == nil && len(due) > 0 { // the candidates' names and addresses, in one read
		ids := make([]string, len(due))
		for i, d := range due {
			ids[i] = d.Cand
		}
		var us []account.User
		if us, err = account.UsersByID(ctx, s.DB, dedupe(ids), "", "id", "name", "email"); err == nil {
			who := make(map[string]account.User, len(us))
			for _, u := range us {
				who[u.ID] = u
			}
			kept := due[:0]
			for _, d := range due {
				if u, ok := who[d.Cand]; ok { // (a user deleted meanwhile takes their enrolments with them)
					d.Email, d.Person = u.Email, u.Name
					kept = append(kept, d)
				}
			}
			due = kept
		}
	}
	if err != nil && !database.ErrIsNotFound(err) {
		return 0, err
	}
	learn := ""
	if s.BaseURL != "" {
		learn = urls.Base(s.BaseURL).Learn()
	}
	sent := 0
	for _, d := range due {
		claimed := false
		err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
			res, err := tx.NewUpdate().Model((*Enrollment)(nil)).Set("opened_mail_at = ?", now).
				Where("id = ?", d.ID).Where("status = ?", EnrollActive).Where("opened_mail_at IS NULL").Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // another instance sent it, or the candidate was withdrawn meanwhile
			}
			loc, err := time.LoadLocation(d.Timezone)
			if err != nil {
				loc = time.UTC
			}
			e, err := notify.Compose(d.Email, "cohort_opened", map[string]any{"Name": d.Person, "Cohort": d.Name,
				"Opened": d.OpensAt.In(loc).Format("Monday, January 2, 2006"), "LearnURL": learn})
			if err != nil {
				return err
			}
			e.DedupeKey = "course-opened:" + d.ID
			if err := s.Outbox.Enqueue(ctx, tx, e); err != nil {
				return err
			}
			claimed = true
			return audit.Record(ctx, tx, audit.System, audit.Entry{Action: "enrollment.course_opened_mail", SubjectType: "enrollment", SubjectID: d.ID, VendorID: d.Vendor})
		})
		if err != nil {
			return sent, err
		}
		if claimed {
			sent++
		}
	}
	return sent, nil
}
