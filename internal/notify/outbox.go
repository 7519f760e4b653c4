// Package notify sends email through an outbox table: callers enqueue inside the transaction that
// makes the change (so a rolled-back change sends nothing), and a worker leases due rows and sends
// them over SMTP. Several app instances can run workers at once: a lease is taken with one
// conditional UPDATE, so each email is sent by one worker. In "log" mode (development) nothing is
// sent: mail is kept as "captured" and shown to platform admins.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/page"
)

// Attachment is a file sent with an email (for example a calendar invitation).
type Attachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"data"`
}

// Email is a message to enqueue.
type Email struct {
	To          string
	Subject     string
	Body        string
	Attachments []Attachment
	// DedupeKey, when set, makes Enqueue a no-op if an email with the same key exists (send once).
	DedupeKey string
}

// Message is a stored outbox row.
type Message struct {
	bun.BaseModel `bun:"table:outbox_emails"`

	ID            string     `bun:"id,pk" json:"id"`
	To            string     `bun:"to_addr,notnull" json:"to"`
	Subject       string     `bun:"subject,notnull" json:"subject"`
	Body          string     `bun:"body_text,notnull" json:"body"`
	Attachments   string     `bun:"attachments,notnull" json:"-"`
	Status        string     `bun:"status,notnull" json:"status"`
	Attempts      int        `bun:"attempts,notnull" json:"attempts"`
	NextAttemptAt time.Time  `bun:"next_attempt_at,notnull" json:"next_attempt_at"`
	LeaseUntil    *time.Time `bun:"lease_until" json:"-"`
	LastError     string     `bun:"last_error,notnull" json:"last_error,omitempty"`
	DedupeKey     *string    `bun:"dedupe_key" json:"-"`
	CreatedAt     time.Time  `bun:"created_at,notnull" json:"created_at"`
	SentAt        *time.Time `bun:"sent_at" json:"sent_at,omitempty"`
}

// Statuses of an outbox row.
const (
	StatusPending  = "pending"
	StatusSent     = "sent"
	StatusFailed   = "failed"
	StatusCaptured = "captured"
)

// Outbox enqueues mail. Mode "log" captures instead of sending.
type Outbox struct {
	Mode string
}

// Enqueue stores e for sending. Call it with the transaction that makes the change it reports.
func (o Outbox) Enqueue(ctx context.Context, db bun.IDB, e Email) error {
	m, err := o.message(e)
	if err != nil {
		return err
	}
	q := db.NewInsert().Model(m)
	if e.DedupeKey != "" {
		q = q.On("CONFLICT (dedupe_key) DO NOTHING")
	}
	_, err = q.Exec(ctx)
	return err
}

// EnqueueMany stores several messages in one insert, in the caller's transaction. Each must carry a
// DedupeKey: a message already enqueued under its key is skipped, as with Enqueue.
func (o Outbox) EnqueueMany(ctx context.Context, db bun.IDB, es []Email) error {
	if len(es) == 0 {
		return nil
	}
	ms := make([]Message, 0, len(es))
	for _, e := range es {
		if e.DedupeKey == "" {
			return fmt.Errorf("notify: EnqueueMany needs a dedupe key for each message")
		}
		m, err := o.message(e)
		if err != nil {
			return err
		}
		ms = append(ms, *m)
	}
	_, err := db.NewInsert().Model(&ms).On("CONFLICT (dedupe_key) DO NOTHING").Exec(ctx)
	return err
}

func (o Outbox) message(e Email) (*Message, error) {
	if _, err := mail.ParseAddress(e.To); err != nil {
		return nil, fmt.Errorf("notify: bad recipient address: %w", err)
	}
	att := "[]"
	if len(e.Attachments) > 0 {
		b, err := json.Marshal(e.Attachments)
		if err != nil {
			return nil, err
		}
		att = string(b)
	}
	now := database.Now()
	m := &Message{
		ID: uuid.Must(uuid.NewV7()).String(), To: e.To, Subject: e.Subject, Body: e.Body,
		Attachments: att, Status: StatusPending, NextAttemptAt: now, CreatedAt: now,
	}
	if o.Mode == "log" {
		m.Status = StatusCaptured
	}
	if e.DedupeKey != "" {
		m.DedupeKey = &e.DedupeKey
	}
	return m, nil
}

// AttachmentsOf decodes a stored message's attachments.
func (m *Message) AttachmentsOf() ([]Attachment, error) {
	var a []Attachment
	if m.Attachments == "" {
		return nil, nil
	}
	err := json.Unmarshal([]byte(m.Attachments), &a)
	return a, err
}

// List returns outbox messages newest first; to filters by recipient when set.
func List(ctx context.Context, db bun.IDB, to string, limit, offset int) ([]Message, int, error) {
	var ms []Message
	q := db.NewSelect().Model(&ms).OrderExpr("id DESC").Limit(int64(limit)).Offset(int64(offset))
	if to != "" {
		q = q.Where("to_addr = ?", strings.ToLower(to))
	}
	n, err := q.ScanAndCount(ctx)
	return ms, int(n), err
}

// mailOrder is the outbox list's order: newest first (IDs are time-ordered ULIDs).
var mailOrder = page.Order{List: "mail", Keys: []page.Key{{Col: "id"}}, Desc: true}

// ListPage is one page of List, with the total of matches.
func ListPage(ctx context.Context, db bun.IDB, to string, r page.Request) (page.Page[Message], int, error) {
	var ms []Message
	q := db.NewSelect().Model(&ms)
	if to != "" {
		q = q.Where("to_addr = ?", strings.ToLower(to))
	}
	n, err := q.Count(ctx)
	if err != nil {
		return page.Page[Message]{}, 0, err
	}
	p, err := page.Fetch(ctx, q, &ms, r, mailOrder, func(m Message) []any { return []any{m.ID} })
	return p, int(n), err
}

// Get returns one message.
func Get(ctx context.Context, db bun.IDB, id string) (*Message, error) {
	m := new(Message)
	if err := db.NewSelect().Model(m).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, database.Err(err)
	}
	return m, nil
}
