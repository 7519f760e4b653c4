package page

import (
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/apperr"
)

var testOrder = Order{List: "t", Keys: []Key{{Col: "at", Time: true}, {Col: "n"}, {Col: "id"}}}

type row struct {
	at time.Time
	n  int
	id string
}

func rowKey(r row) []any { return []any{r.at, r.n, r.id} }

// TestSliceWalksByValue pages a computed list by one and by two: every row once, in order, and a
// cursor whose row is gone still resumes after its key.
func TestSliceWalksByValue(t *testing.T) {
	t0 := time.Date(2027, 3, 14, 10, 0, 0, 123456000, time.UTC)
	rows := []row{{t0, 1, "a"}, {t0, 1, "b"}, {t0, 2, "a"}, {t0.Add(time.Microsecond), 0, "a"}, {t0.Add(time.Hour), 0, "z"}}
	for _, limit := range []int{1, 2, 4, 5, 500} {
		var got []row
		r := Request{Limit: limit}
		for pages := 0; ; pages++ {
			p, err := Slice(rows, r, testOrder, rowKey)
			if err != nil || pages > len(rows) || len(p.Items) > limit {
				t.Fatalf("limit %d: %v after %d pages", limit, err, pages)
			}
			got = append(got, p.Items...)
			if p.Next == "" {
				break
			}
			r.Cursor = p.Next
		}
		if len(got) != len(rows) {
			t.Fatalf("limit %d: %d rows, want %d", limit, len(got), len(rows))
		}
		for i := range got {
			if got[i] != rows[i] {
				t.Fatalf("limit %d: row %d is %+v, want %+v", limit, i, got[i], rows[i])
			}
		}
	}
	// The row a cursor names was removed: the next page starts after its key all the same.
	cur := testOrder.Cursor(rowKey(rows[1]))
	p, _ := Slice(append(rows[:1:1], rows[2:]...), Request{Limit: 1, Cursor: cur}, testOrder, rowKey)
	if len(p.Items) != 1 || p.Items[0] != rows[2] {
		t.Fatalf("after a removed row: %+v", p.Items)
	}
}

func TestBadCursorsAndLimits(t *testing.T) {
	for _, cur := range []string{"%%", "bm90IGpzb24", Order{List: "other", Keys: testOrder.Keys}.Cursor([]any{time.Now(), 1, "a"}),
		testOrder.Cursor([]any{"not a time", 1, "a"}), testOrder.Cursor([]any{time.Now(), 1})} {
		if _, err := Slice([]row{}, Request{Cursor: cur}, testOrder, rowKey); !apperr.Is(err, apperr.BadRequest) {
			t.Errorf("cursor %q: %v", cur, err)
		}
		if err := testOrder.Check(Request{Cursor: cur}); !apperr.Is(err, apperr.BadRequest) {
			t.Errorf("check cursor %q: %v", cur, err)
		}
	}
	if err := testOrder.Check(Request{Limit: -2}); !apperr.Is(err, apperr.BadRequest) {
		t.Errorf("limit -2: %v", err)
	}
	if p, err := Slice([]row{{}, {}}, All, testOrder, rowKey); err != nil || len(p.Items) != 2 || p.Next != "" {
		t.Errorf("All: %+v %v", p, err)
	}
}
