package privacy

import (
	"context"
	"log/slog"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/database"
)

// DeletedName is the name an emptied account keeps.
const DeletedName = "Deleted account"

// DeleteAccount removes a candidate's personal data and documents after checking their password:
// applications (with the sealed date of birth and statement, and every uploaded document),
// enrolments, attendance, progress, exam attempts and answers, oral bookings and grades, CE
// activities and proofs, sessions, mail to them, and their certificate PDFs. It keeps each issued
// certificate's public record (number, holder name as printed, dates, status and signed
// credential), so an employer's verification still answers, and the append-only audit log, whose
// entries name the account only by its id. The account row stays, emptied and disabled, so those
// references hold. Staff accounts are disabled by an administrator instead.
func (s *Service) DeleteAccount(ctx context.Context, a audit.Actor, u *account.User, password string, log *slog.Logger) error {
	if u.Role != account.RoleCandidate {
		return apperr.New(apperr.Forbidden, "staff_account", "Staff accounts are not deleted: ask a platform administrator to disable yours.")
	}
	if _, err := s.Accounts.Authenticate(ctx, a, u.Email, password); err != nil {
		if e, ok := apperr.As(err); ok && e.Kind == apperr.TooMany {
			return err
		}
		return apperr.Field("password", "That is not your current password.")
	}
	var keys []string
	err := database.InTx(ctx, s.DB, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if keys, err = storedKeys(ctx, tx, u.ID); err != nil {
			return err
		}
		counts := map[string]any{}
		res, err := tx.NewDelete().Table("applications").Where("candidate_id = ?", u.ID).Exec(ctx)
		if err != nil {
			return err
		}
		counts["applications"], _ = res.RowsAffected()
		for _, t := range personalTables {
			if !t.erase {
				continue
			}
			res, err := tx.NewDelete().Table(t.table).Where("? = ?", bun.Ident(t.column), u.ID).Exec(ctx)
			if err != nil {
				return err
			}
			counts[t.table], _ = res.RowsAffected()
		}
		if _, err := tx.NewDelete().Table("outbox_emails").Where("to_addr = ?", u.Email).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Table("certificates").Set("pdf_key = ''").Where("candidate_id = ?", u.ID).Exec(ctx); err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.NewUpdate().Table("users").
			Set("email = ?, name = ?, password_hash = '', totp_secret = '', totp_enabled_at = NULL, totp_last_step = 0", "deleted-"+u.ID+"@deleted.invalid", DeletedName).
			Set("email_verified_at = NULL, disabled_at = ?, deleted_at = ?, updated_at = ?", now, now, now).
			Where("id = ?", u.ID).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Entry{Action: "account.delete", SubjectType: "user", SubjectID: u.ID, Details: counts})
	})
	if err != nil {
		return err
	}
	// This instance signs them out at once; others follow the change feed.
	s.Accounts.ForgetUser(u.ID)
	for _, k := range keys { // after the commit: a failed delete leaves an orphan, never a dangling row
		if err := s.Media.Delete(context.WithoutCancel(ctx), k); err != nil && log != nil {
			log.Warn("delete a deleted account's file", "err", err)
		}
	}
	return nil
}

// storedKeys lists every stored object of the person: documents, certificate PDFs, CE proofs and
// data-export archives.
func storedKeys(ctx context.Context, db bun.IDB, userID string) ([]string, error) {
	var keys []string
	for _, q := range []string{
		`SELECT d.media_key FROM application_documents d JOIN applications a ON a.id = d.application_id WHERE a.candidate_id = ? AND d.media_key <> ''`,
		`SELECT pdf_key FROM certificates WHERE candidate_id = ? AND pdf_key <> ''`,
		`SELECT proof_key FROM ce_activities WHERE holder_id = ? AND proof_key <> ''`,
		`SELECT object_key FROM data_exports WHERE user_id = ? AND object_key <> ''`,
	} {
		var ks []string
		if err := db.NewRaw(q, userID).Scan(ctx, &ks); err != nil {
			return nil, err
		}
		keys = append(keys, ks...)
	}
	return keys, nil
}
