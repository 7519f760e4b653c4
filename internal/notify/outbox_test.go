package notify_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/database"
	"github.com/peeracademy/peeracademy/internal/notify"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

func countRows(t *testing.T, db bun.IDB, where string, args ...any) int {
	t.Helper()
	n, err := db.NewSelect().Model((*notify.Message)(nil)).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestEnqueueStatusByMode(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		atts := []notify.Attachment{{Filename: "session.ics", ContentType: "text/calendar", Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")}}
		cases := []struct {
			mode, to, want string
			atts           []notify.Attachment
		}{
			{"log", "logged@example.org", notify.StatusCaptured, nil},
			{"log", "logged-att@example.org", notify.StatusCaptured, atts},
			{"smtp", "sent@example.org", notify.StatusPending, atts},
			{"", "default@example.org", notify.StatusPending, nil},
		}
		for _, tc := range cases {
			t.Run(tc.mode+"/"+tc.to, func(t *testing.T) {
				before := database.Now()
				err := notify.Outbox{Mode: tc.mode}.Enqueue(ctx, db, notify.Email{To: tc.to, Subject: "Subject for " + tc.to, Body: "Body\nline two", Attachments: tc.atts})
				if err != nil {
					t.Fatal(err)
				}
				ms, n, err := notify.List(ctx, db, tc.to, 10, 0)
				if err != nil || n != 1 || len(ms) != 1 {
					t.Fatalf("List: %d %d %v", n, len(ms), err)
				}
				m, err := notify.Get(ctx, db, ms[0].ID)
				if err != nil {
					t.Fatal(err)
				}
				if m.Status != tc.want || m.To != tc.to || m.Subject != "Subject for "+tc.to || m.Body != "Body\nline two" ||
					m.Attempts != 0 || m.LeaseUntil != nil || m.SentAt != nil || m.DedupeKey != nil {
					t.Fatalf("stored %+v", m)
				}
				if m.NextAttemptAt.Before(before) || m.NextAttemptAt.After(database.Now()) || m.CreatedAt.Before(before) {
					t.Fatalf("next_attempt_at %v created_at %v, want now", m.NextAttemptAt, m.CreatedAt)
				}
				got, err := m.AttachmentsOf()
				if err != nil {
					t.Fatal(err)
				}
				if len(tc.atts) == 0 {
					if m.Attachments != "[]" || len(got) != 0 {
						t.Fatalf("attachments %q", m.Attachments)
					}
				} else if !reflect.DeepEqual(got, tc.atts) {
					t.Fatalf("attachments %+v, want %+v", got, tc.atts)
				}
			})
		}
	})
}

func TestEnqueueRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		ob := notify.Outbox{Mode: "log"}

		for _, bad := range []string{"", "not an address", "a@", "two@example.org, three@example.org"} {
			if err := ob.Enqueue(ctx, db, notify.Email{To: bad, Subject: "s", Body: "b"}); err == nil {
				t.Errorf("Enqueue to %q succeeded", bad)
			}
		}
		if n := countRows(t, db, "1 = 1"); n != 0 {
			t.Fatalf("%d rows after bad recipients", n)
		}

		// DedupeKey: the second enqueue with a key is a silent no-op; other keys and no key are not.
		for i, e := range []notify.Email{
			{To: "d@example.org", Subject: "first", Body: "b", DedupeKey: "reminder:42"},
			{To: "d@example.org", Subject: "second", Body: "b", DedupeKey: "reminder:42"},
			{To: "d@example.org", Subject: "third", Body: "b", DedupeKey: "reminder:43"},
			{To: "d@example.org", Subject: "fourth", Body: "b"},
			{To: "d@example.org", Subject: "fifth", Body: "b"},
		} {
			if err := ob.Enqueue(ctx, db, e); err != nil {
				t.Fatalf("enqueue %d: %v", i, err)
			}
		}
		if n := countRows(t, db, "dedupe_key = ?", "reminder:42"); n != 1 {
			t.Fatalf("%d rows for one dedupe key", n)
		}
		if n := countRows(t, db, "subject = ?", "second"); n != 0 {
			t.Fatal("the duplicate was stored")
		}
		if n := countRows(t, db, "to_addr = ?", "d@example.org"); n != 4 {
			t.Fatalf("%d rows, want 4", n)
		}
		// Dedupe also holds inside a transaction, and does not abort it (PostgreSQL would refuse
		// every later statement in a transaction after an error).
		err := database.InTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			if err := ob.Enqueue(ctx, tx, notify.Email{To: "d@example.org", Subject: "again", Body: "b", DedupeKey: "reminder:42"}); err != nil {
				return err
			}
			return ob.Enqueue(ctx, tx, notify.Email{To: "d@example.org", Subject: "after", Body: "b"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := countRows(t, db, "subject IN (?)", bun.In([]string{"again", "after"})); n != 1 {
			t.Fatalf("%d rows from the transaction, want 1", n)
		}

		// A rolled-back transaction sends nothing.
		boom := errors.New("boom")
		err = database.InTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
			if err := ob.Enqueue(ctx, tx, notify.Email{To: "rolled@example.org", Subject: "s", Body: "b"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if n := countRows(t, db, "to_addr = ?", "rolled@example.org"); n != 0 {
			t.Fatal("a rolled-back change left mail in the outbox")
		}
	})
}

func TestListAndGet(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		ctx := context.Background()
		db := dbtest.Open(t, d)
		ob := notify.Outbox{Mode: "log"}
		for i := range 5 {
			to := "a@example.org"
			if i%2 == 1 {
				to = "b@example.org"
			}
			if err := ob.Enqueue(ctx, db, notify.Email{To: to, Subject: string(rune('0' + i)), Body: "b"}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(2 * time.Millisecond) // distinct UUIDv7 milliseconds keep the order unambiguous
		}
		cases := []struct {
			to            string
			limit, offset int
			want          string // subjects in order
			total         int
		}{
			{"", 10, 0, "43210", 5},
			{"a@example.org", 10, 0, "420", 3},
			{"A@Example.ORG", 10, 0, "420", 3},
			{"b@example.org", 10, 0, "31", 2},
			{"", 2, 0, "43", 5},
			{"", 2, 2, "21", 5},
			{"", 2, 4, "0", 5},
			{"nobody@example.org", 10, 0, "", 0},
		}
		for _, tc := range cases {
			ms, n, err := notify.List(ctx, db, tc.to, tc.limit, tc.offset)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, m := range ms {
				got += m.Subject
			}
			if got != tc.want || n != tc.total {
				t.Errorf("List(%q, %d, %d) = %q (total %d), want %q (total %d)", tc.to, tc.limit, tc.offset, got, n, tc.want, tc.total)
			}
		}
		if _, err := notify.Get(ctx, db, "no-such-id"); !errors.Is(err, database.ErrNotFound) {
			t.Fatalf("Get unknown: %v", err)
		}
	})
}
