package privacy

import (
	"context"
	"fmt"
	"path"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
)

type row = map[string]any

// collect gathers everything held about u, and the stored files that belong in the archive.
func (s *Service) collect(ctx context.Context, u *account.User) (map[string]any, []file, error) {
	out := map[string]any{"format": 1, "generated_at": s.now(), "account": u}
	var files []file
	subjects := []string{u.ID}

	apps := []any{}
	mine, err := s.Eligibility.Mine(ctx, u)
	if err != nil {
		return nil, nil, err
	}
	for _, sm := range mine {
		v, err := s.Eligibility.Load(ctx, audit.Actor{UserID: u.ID, Role: u.Role}, u, sm.ID)
		if err != nil {
			return nil, nil, err
		}
		apps = append(apps, v)
		subjects = append(subjects, v.ID)
		for _, d := range v.Documents {
			subjects = append(subjects, d.ID)
			files = append(files, file{name: "documents/" + d.ID + "-" + safeName(d.Filename), key: d.MediaKey})
		}
	}
	out["applications"] = apps

	for _, t := range personalTables {
		rows, err := s.rows(ctx, t, u.ID)
		if err != nil {
			return nil, nil, err
		}
		out[t.table] = rows
		for _, r := range rows {
			if id, ok := r["id"].(string); ok {
				subjects = append(subjects, id)
			}
			files = append(files, filesOf(t.table, r)...)
		}
	}
	answers := []row{}
	if err := s.DB.NewSelect().Table("exam_answers").Where("attempt_id IN (SELECT id FROM exam_attempts WHERE candidate_id = ?)", u.ID).
		OrderExpr("attempt_id, item_id").Scan(ctx, &answers); err != nil {
		return nil, nil, err
	}
	out["exam_answers"] = answers

	emails := []row{}
	if err := s.DB.NewSelect().Table("outbox_emails").Column("subject", "body_text", "status", "created_at", "sent_at").
		Where("to_addr = ?", u.Email).OrderExpr("created_at").Scan(ctx, &emails); err != nil {
		return nil, nil, err
	}
	out["emails"] = emails

	events, err := s.auditTrail(ctx, u, subjects)
	if err != nil {
		return nil, nil, err
	}
	out["audit_events"] = events
	return out, files, nil
}

func (s *Service) rows(ctx context.Context, t personalTable, userID string) ([]row, error) {
	rows := []row{}
	if err := s.DB.NewSelect().Table(t.table).Where("? = ?", bun.Ident(t.column), userID).Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("privacy: read %s: %w", t.table, err)
	}
	for _, r := range rows {
		for _, c := range t.omit {
			delete(r, c)
		}
		for k, v := range r {
			if b, ok := v.([]byte); ok { // PostgreSQL returns some text as bytes; JSON would base64 it
				r[k] = string(b)
			}
		}
	}
	return rows, nil
}

// filesOf names the stored files a row points to.
func filesOf(table string, r row) []file {
	key := func(col string) string { s, _ := r[col].(string); return s }
	switch table {
	case "certificates":
		if k := key("pdf_key"); k != "" {
			return []file{{name: "certificates/" + safeName(key("number")) + ".pdf", key: k}}
		}
	case "ce_activities":
		if k := key("proof_key"); k != "" {
			return []file{{name: "ce-proofs/" + key("id") + "-proof" + path.Ext(k), key: k}}
		}
	}
	return nil
}

// auditTrail lists what the person did and what was done to their records. Entries made by someone
// else show that person's role, not who they are; staff members' entries about other people show
// only what kind of thing they acted on.
func (s *Service) auditTrail(ctx context.Context, u *account.User, subjects []string) ([]row, error) {
	var evs []audit.Event
	if err := s.DB.NewSelect().Model(&evs).Where("actor_id = ? OR subject_id IN (?)", u.ID, bun.In(subjects)).OrderExpr("at, id").Scan(ctx); err != nil {
		return nil, err
	}
	about := map[string]bool{}
	for _, id := range subjects {
		about[id] = true
	}
	out := make([]row, 0, len(evs))
	for _, e := range evs {
		r := row{"at": e.At, "action": e.Action, "subject_type": e.SubjectType}
		mine := e.ActorID != nil && *e.ActorID == u.ID
		if about[e.SubjectID] {
			r["subject_id"], r["details"] = e.SubjectID, e.Details
			r["by"] = e.ActorRole
			if mine {
				r["by"] = "you"
			}
		} else if !mine {
			continue
		}
		if mine {
			r["ip"] = e.IP
		}
		out = append(out, r)
	}
	return out, nil
}
