package certificate

// The continuing-education cycle's background work on certificates: reminders before a cycle ends,
// and lapses when one ended without the rule met. Package ce keeps the activities and the rules.

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
)

// holderCert is a certificate with its holder's address, for the background jobs.
type holderCert struct {
	Certificate
	Email string
}

func (c *holderCert) term() ce.Term { return ce.TermOf(c.CERule, c.IssuedAt, c.ValidFrom, c.ExpiresAt) }

// liveCertificates are the certificates that are neither revoked nor expired at now, with their
// holders' addresses.
func (s *Service) liveCertificates(ctx context.Context, now time.Time) ([]holderCert, error) {
	var cs []Certificate
	if err := s.DB.NewSelect().Model(&cs).Where("status = ?", StatusActive).Where("expires_at > ?", now).Order("id").Scan(ctx); err != nil {
		return nil, err
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.CandidateID
	}
	us, err := account.UsersByID(ctx, s.DB, dedupe(ids), "", "id", "email")
	if err != nil {
		return nil, err
	}
	email := make(map[string]string, len(us))
	for _, u := range us {
		email[u.ID] = u.Email
	}
	out := make([]holderCert, 0, len(cs))
	for _, c := range cs {
		if e, ok := email[c.CandidateID]; ok {
			out = append(out, holderCert{Certificate: c, Email: e})
		}
	}
	return out, nil
}

// SendCEReminders emails each holder whose current cycle ends within 60 days, and again within 30
// days, while the rule is not met for it. Each reminder is sent once (the outbox's dedupe key), also
// when several workers run this at the same time.
func (s *Service) SendCEReminders(ctx context.Context, now time.Time) error {
	now = now.UTC()
	cs, err := s.liveCertificates(ctx, now)
	if err != nil {
		return err
	}
	today := ce.Day(now)
	for _, c := range cs {
		acts, err := ce.Activities(ctx, s.DB, c.ID)
		if err != nil {
			return err
		}
		p, ok := c.term().Current(acts, today)
		if !ok || p.Met {
			continue
		}
		left := int(p.End.Sub(today).Hours() / 24)
		window := 0
		for _, d := range ce.ReminderDays {
			if left <= d {
				window = d
				break
			}
		}
		if window == 0 {
			continue
		}
		e, err := notify.Compose(c.Email, "ce_reminder", map[string]any{"DaysLeft": left, "Holder": c.HolderName, "Number": c.Number,
			"End": p.End.Format("January 2, 2006"), "LastDay": p.LastDay().Format("January 2, 2006"), "Rule": c.term().Rule.Name,
			"Verified": ce.FormatHoursOf(p.Total), "Unmet": p.Unmet, "URL": s.HolderURL(c.ID), "Pending": ce.FormatHoursOf(p.Pending)})
		if err != nil {
			return err
		}
		e.DedupeKey = fmt.Sprintf("ce-%s-%s-%d", c.ID, p.End.Format(ce.DateLayout), window)
		if err := s.Outbox.Enqueue(ctx, s.DB, e); err != nil {
			return err
		}
	}
	return nil
}

// UpdateLapses marks as lapsed each active, unexpired certificate whose previous cycle ended more
// than grace ago without the rule met, and clears the mark once that cycle's rule is met (a verified
// activity later). Both changes are audited, and the holder is emailed when a certificate lapses.
// Each change is a conditional UPDATE, so two workers at once change (and audit) a certificate once.
func (s *Service) UpdateLapses(ctx context.Context, now time.Time, grace time.Duration) (lapsed, cleared int, err error) {
	now = now.UTC().Truncate(time.Microsecond)
	cs, err := s.liveCertificates(ctx, now)
	if err != nil {
		return 0, 0, err
	}
	for _, c := range cs {
		acts, err := ce.Activities(ctx, s.DB, c.ID)
		if err != nil {
			return lapsed, cleared, err
		}
		p, ok := c.term().Previous(acts, now, grace)
		if !ok {
			continue
		}
		switch {
		case !p.Met && c.LapsedAt == nil:
			err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
				res, err := tx.NewUpdate().Model((*Certificate)(nil)).Set("lapsed_at = ?", now).Where("id = ?", c.ID).
					Where("lapsed_at IS NULL").Where("status = ?", StatusActive).Exec(ctx)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil
				}
				lapsed++
				if err := audit.Record(ctx, tx, audit.System, audit.Entry{Action: "certificate.lapse", SubjectType: "certificate", SubjectID: c.ID, VendorID: c.VendorID,
					Details: map[string]any{"cycle_start": p.Start.Format(ce.DateLayout), "cycle_end": p.End.Format(ce.DateLayout), "total": p.Total}}); err != nil {
					return err
				}
				e, err := notify.Compose(c.Email, "certificate_lapsed", map[string]any{"Holder": c.HolderName, "Number": c.Number,
					"LastDay": p.LastDay().Format("January 2, 2006"), "Rule": c.term().Rule.Name, "Unmet": p.Unmet, "URL": s.HolderURL(c.ID)})
				if err != nil {
					return err
				}
				e.DedupeKey = fmt.Sprintf("ce-lapse-%s-%s", c.ID, p.End.Format(ce.DateLayout))
				return s.Outbox.Enqueue(ctx, tx, e)
			})
		case p.Met && c.LapsedAt != nil:
			err = database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
				res, err := tx.NewUpdate().Model((*Certificate)(nil)).Set("lapsed_at = NULL").Where("id = ?", c.ID).Where("lapsed_at IS NOT NULL").Exec(ctx)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					return nil
				}
				cleared++
				return audit.Record(ctx, tx, audit.System, audit.Entry{Action: "certificate.lapse_clear", SubjectType: "certificate", SubjectID: c.ID, VendorID: c.VendorID,
					Details: map[string]any{"cycle_start": p.Start.Format(ce.DateLayout), "cycle_end": p.End.Format(ce.DateLayout), "total": p.Total}})
			})
		}
		if err != nil {
			return lapsed, cleared, err
		}
	}
	return lapsed, cleared, nil
}
