package notify

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
	gomail "github.com/wneessen/go-mail"

	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/database"
)

// Sender delivers one message.
type Sender interface {
	Send(ctx context.Context, m *Message) error
}

// SMTPSender sends mail through an SMTP server with go-mail.
type SMTPSender struct {
	Cfg     config.MailConfig
	BaseURL string // the Message-ID is on its domain
}

// Send delivers m.
func (s SMTPSender) Send(ctx context.Context, m *Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.Cfg.From); err != nil {
		return fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("to address: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(MessageID(s.BaseURL))
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	html, err := HTMLBody(m.Subject, m.Body)
	if err != nil {
		return err
	}
	msg.AddAlternativeString(gomail.TypeTextHTML, html)
	atts, err := m.AttachmentsOf()
	if err != nil {
		return err
	}
	for _, a := range atts {
		if err := msg.AttachReader(a.Filename, bytes.NewReader(a.Data), gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return err
		}
	}
	opts := []gomail.Option{gomail.WithPort(s.Cfg.Port), gomail.WithTimeout(20 * time.Second)}
	switch s.Cfg.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if s.Cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.Cfg.Username), gomail.WithPassword(s.Cfg.Password))
	}
	c, err := gomail.NewClient(s.Cfg.Host, opts...)
	if err != nil {
		return err
	}
	return c.DialAndSendWithContext(ctx, msg)
}

// Worker sends due outbox messages.
type Worker struct {
	DB          *bun.DB
	Sender      Sender
	Log         *slog.Logger
	Interval    time.Duration
	Lease       time.Duration
	MaxAttempts int
}

// Run polls until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	if w.Interval == 0 {
		w.Interval = 2 * time.Second
	}
	t := time.NewTicker(w.Interval)
	defer t.Stop()
	for {
		if _, err := w.RunOnce(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("outbox: run", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce leases a batch of due messages, sends them and records the outcome. It returns how many it sent.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if w.Lease == 0 {
		w.Lease = 2 * time.Minute
	}
	if w.MaxAttempts == 0 {
		w.MaxAttempts = 8
	}
	now := database.Now()
	skip := ""
	if database.IsPostgres(w.DB) {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	var batch []Message
	// The lease conditions stand in the outer WHERE too, so a worker that raced another re-checks the
	// row it waited for and skips it (PostgreSQL re-evaluates the outer quals on the new row version).
	// The batch is chosen once, in a MATERIALIZED CTE: as a plain IN (subquery) PostgreSQL may plan a
	// semi join that re-runs the LIMIT ... FOR UPDATE SKIP LOCKED subquery for every outer row, skipping
	// the rows this statement already updated, so one worker leased every due row, not 20.
	err := w.DB.NewRaw(`WITH due AS MATERIALIZED (
  SELECT id FROM outbox_emails WHERE status = 'pending' AND next_attempt_at <= ?
    AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at LIMIT 20`+skip+`)
UPDATE outbox_emails SET lease_until = ?, attempts = attempts + 1
WHERE id IN (SELECT id FROM due)
  AND status = 'pending' AND (lease_until IS NULL OR lease_until < ?)
RETURNING *`, now, now, now.Add(w.Lease), now).Scan(ctx, &batch)
	if err != nil {
		return 0, err
	}
	sent := 0
	for i := range batch {
		m := &batch[i]
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		serr := w.Sender.Send(sctx, m)
		cancel()
		if serr == nil {
			_, err = w.DB.NewUpdate().Model((*Message)(nil)).
				Set("status = ?", StatusSent).Set("sent_at = ?", database.Now()).Set("lease_until = NULL").Set("last_error = ''").
				Where("id = ?", m.ID).Exec(ctx)
			sent++
		} else {
			status := StatusPending
			if m.Attempts >= w.MaxAttempts {
				status = StatusFailed
			}
			backoff := time.Duration(1<<min(m.Attempts, 10)) * 15 * time.Second
			w.Log.Warn("outbox: send failed", "id", m.ID, "attempts", m.Attempts, "err", serr)
			msg := serr.Error()
			if len(msg) > 500 {
				msg = msg[:500]
			}
			_, err = w.DB.NewUpdate().Model((*Message)(nil)).
				Set("status = ?", status).Set("next_attempt_at = ?", database.Now().Add(backoff)).
				Set("lease_until = NULL").Set("last_error = ?", msg).
				Where("id = ?", m.ID).Exec(ctx)
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}
