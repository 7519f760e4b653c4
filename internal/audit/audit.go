// Package audit writes and reads the append-only audit trail: who saw or changed what, when.
// Every state change in PeerAcademy goes through Record. The table refuses UPDATE and DELETE at the
// database level (a trigger on both PostgreSQL and SQLite), so the trail cannot be rewritten by the app.
// Details must never hold secrets, document contents, answers or health information.
package audit

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/page"
)

// Event is one row of the audit trail.
type Event struct {
	bun.BaseModel `bun:"table:audit_events"`

	ID          string    `bun:"id,pk" json:"id"`
	At          time.Time `bun:"at,notnull" json:"at"`
	ActorID     *string   `bun:"actor_id" json:"actor_id,omitempty"`
	ActorRole   string    `bun:"actor_role,notnull" json:"actor_role"`
	VendorID    *string   `bun:"vendor_id" json:"vendor_id,omitempty"`
	Action      string    `bun:"action,notnull" json:"action"`
	SubjectType string    `bun:"subject_type,notnull" json:"subject_type"`
	SubjectID   string    `bun:"subject_id,notnull" json:"subject_id"`
	IP          string    `bun:"ip,notnull" json:"ip"`
	RequestID   string    `bun:"request_id,notnull" json:"request_id"`
	Details     string    `bun:"details,notnull" json:"details"`
}

// Actor says who did something and from where. A zero Actor is the system itself.
type Actor struct {
	UserID    string
	Role      string
	VendorID  string
	IP        string
	RequestID string
}

// System is the actor for background jobs and the command line.
var System = Actor{Role: "system"}

// Entry describes what happened.
type Entry struct {
	Action      string // e.g. "user.login", "vendor.recognise", "document.view"
	SubjectType string
	SubjectID   string
	VendorID    string         // the vendor whose data this concerns, for scoping; "" for none
	Details     map[string]any // small, non-sensitive facts
}

// Record appends an event. Pass the transaction that makes the change so both commit together.
func Record(ctx context.Context, db bun.IDB, a Actor, e Entry) error {
	return RecordAll(ctx, db, []Pending{{Actor: a, Entry: e}})
}

// RecordMany writes the events of one actor in a single insert (a batch of certificates, say).
func RecordMany(ctx context.Context, db bun.IDB, a Actor, es []Entry) error {
	ps := make([]Pending, len(es))
	for i, e := range es {
		ps[i] = Pending{Actor: a, Entry: e}
	}
	return RecordAll(ctx, db, ps)
}

// Pending is one event for RecordAll: who did what.
type Pending struct {
	Actor Actor
	Entry Entry
}

// RecordAll appends several events in one statement (for a batch of changes written together).
// Pass the transaction that makes the changes.
func RecordAll(ctx context.Context, db bun.IDB, ps []Pending) error {
	if len(ps) == 0 {
		return nil
	}
	evs := make([]*Event, 0, len(ps))
	for _, p := range ps {
		ev, err := newEvent(p.Actor, p.Entry)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	}
	_, err := db.NewInsert().Model(&evs).Exec(ctx)
	return err
}

func newEvent(a Actor, e Entry) (*Event, error) {
	details := "{}"
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return nil, err
		}
		details = string(b)
	}
	ev := &Event{
		ID: uuid.Must(uuid.NewV7()).String(), At: database.Now(), ActorRole: a.Role,
		Action: e.Action, SubjectType: e.SubjectType, SubjectID: e.SubjectID,
		IP: a.IP, RequestID: a.RequestID, Details: details,
	}
	if a.UserID != "" {
		ev.ActorID = &a.UserID
	}
	vendor := e.VendorID
	if vendor == "" {
		vendor = a.VendorID
	}
	if vendor != "" {
		ev.VendorID = &vendor
	}
	return ev, nil
}

// Filter narrows a listing. VendorID scopes it to one vendor (vendor admins); empty is all (platform admin).
type Filter struct {
	VendorID    string
	ActorID     string
	SubjectType string
	SubjectID   string
	Action      string
	Before      string // an event id: page backwards from it
	Limit       int
}

// List returns events newest first, and the id to pass as Before for the next page ("" at the end).
func List(ctx context.Context, db bun.IDB, f Filter) ([]Event, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	p, err := ListPage(ctx, db, f, page.Request{Limit: f.Limit})
	if err != nil || p.Next == "" {
		return p.Items, "", err
	}
	return p.Items, p.Items[len(p.Items)-1].ID, nil // the value of Before for the next page
}

// Order is the audit log's order: newest first (IDs are time-ordered ULIDs).
var Order = page.Order{List: "audit", Keys: []page.Key{{Col: "id"}}, Desc: true}

// ListPage returns one page of events, newest first (f.Limit is ignored; f.Before still applies).
func ListPage(ctx context.Context, db bun.IDB, f Filter, r page.Request) (page.Page[Event], error) {
	var evs []Event
	q := db.NewSelect().Model(&evs)
	if f.VendorID != "" {
		q = q.Where("vendor_id = ?", f.VendorID)
	}
	if f.ActorID != "" {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.SubjectType != "" {
		q = q.Where("subject_type = ?", f.SubjectType)
	}
	if f.SubjectID != "" {
		q = q.Where("subject_id = ?", f.SubjectID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Before != "" {
		q = q.Where("id < ?", f.Before)
	}
	return page.Fetch(ctx, q, &evs, r, Order, func(e Event) []any { return []any{e.ID} })
}
