// Package page is the one way lists are cut into pages: keyset (cursor) pagination done in the
// query. A request names a limit and an opaque cursor; the query keeps the rows after the cursor in
// the list's order (WHERE (k1, k2) > (?, ?) ORDER BY k1, k2 LIMIT n+1), and the extra row only says
// whether another page follows. The cursor carries the sort key of the last row sent, so a page
// neither skips nor repeats rows when rows are added or removed before it.
package page

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/peeracademy/peeracademy/internal/apperr"
)

// Limits of a page.
const (
	DefaultLimit = 100
	MaxLimit     = 500
)

// Request asks for one page: at most Limit rows (0: DefaultLimit) after Cursor ("" : the first page).
type Request struct {
	Limit  int
	Cursor string
}

// All asks for every row (for pages and exports that show the whole list).
var All = Request{Limit: -1}

// Page is one page of a list; Next is the cursor of the following page, "" on the last.
type Page[T any] struct {
	Items []T
	Next  string
}

// Key is one sort column of a list; Time marks a timestamp column (its cursor value is a time).
type Key struct {
	Col  string
	Time bool
}

// Order is a list's order: its name (a cursor of another list is refused), its sort columns ending
// with a unique one, all ascending or all descending.
type Order struct {
	List string
	Keys []Key
	Desc bool
}

// ErrBadLimit refuses a limit out of range; badCursor, a cursor this list did not give out.
var ErrBadLimit = apperr.New(apperr.BadRequest, "bad_limit", "limit must be a whole number from 1 to 500.")

func badCursor() error {
	return apperr.New(apperr.BadRequest, "bad_cursor", "The cursor is not one this list gave out; pass next_cursor from the previous page unchanged, or leave it out to start again.")
}

type cursor struct {
	L string `json:"l"`
	K []any  `json:"k"`
}

func (r Request) limit() int {
	if r.Limit == 0 {
		return DefaultLimit
	}
	return r.Limit
}

// Check refuses a negative limit (other than All's); callers facing clients also hold it to MaxLimit.
func (r Request) Check() error {
	if r.Limit < -1 {
		return ErrBadLimit
	}
	return nil
}

// values decodes the cursor's sort key for o.
func (o Order) values(cur string) ([]any, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cur)
	if err != nil {
		return nil, badCursor()
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if err := dec.Decode(&c); err != nil || c.L != o.List || len(c.K) != len(o.Keys) {
		return nil, badCursor()
	}
	out := make([]any, len(c.K))
	for i, k := range o.Keys {
		switch v := c.K[i].(type) {
		case string:
			if k.Time {
				t, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					return nil, badCursor()
				}
				out[i] = t.UTC()
			} else {
				out[i] = v
			}
		case json.Number:
			n, err := v.Int64()
			if err != nil || k.Time {
				return nil, badCursor()
			}
			out[i] = n
		default:
			return nil, badCursor()
		}
	}
	return out, nil
}

// Check refuses r's limit or cursor when they are wrong for the list o (for a handler that answers
// without reading the list, so that a mistake is still reported).
func (o Order) Check(r Request) error {
	if err := r.Check(); err != nil {
		return err
	}
	if r.Cursor != "" {
		_, err := o.values(r.Cursor)
		return err
	}
	return nil
}

// Apply orders q, keeps the rows after r's cursor and limits it to one row more than the page.
func Apply(q *bun.SelectQuery, r Request, o Order) (*bun.SelectQuery, error) {
	if err := r.Check(); err != nil {
		return nil, err
	}
	cols := make([]string, len(o.Keys))
	order := make([]string, len(o.Keys))
	dir := " ASC"
	if o.Desc {
		dir = " DESC"
	}
	for i, k := range o.Keys {
		cols[i] = k.Col
		order[i] = k.Col + dir
	}
	q = q.OrderExpr(strings.Join(order, ", "))
	if r.Cursor != "" {
		vals, err := o.values(r.Cursor)
		if err != nil {
			return nil, err
		}
		op := " > "
		if o.Desc {
			op = " < "
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ")
		q = q.Where("("+strings.Join(cols, ", ")+")"+op+"("+marks+")", vals...)
	}
	if r.Limit != -1 {
		q = q.Limit(int64(r.limit() + 1))
	}
	return q, nil
}

// Cut makes the page from the rows Apply's query found: it drops the extra row and, when there was
// one, sets Next from the last row's sort key (key returns the values of o's columns: strings,
// integers or times).
func Cut[T any](rows []T, r Request, o Order, key func(T) []any) Page[T] {
	if rows == nil {
		rows = []T{}
	}
	if r.Limit == -1 || len(rows) <= r.limit() {
		return Page[T]{Items: rows}
	}
	rows = rows[:r.limit()]
	return Page[T]{Items: rows, Next: o.Cursor(key(rows[len(rows)-1]))}
}

// Cursor encodes a sort key as an opaque cursor of the list.
func (o Order) Cursor(vals []any) string {
	k := make([]any, len(vals))
	for i, v := range vals {
		if t, ok := v.(time.Time); ok {
			k[i] = t.UTC().Format(time.RFC3339Nano)
		} else {
			k[i] = v
		}
	}
	b, _ := json.Marshal(cursor{L: o.List, K: k})
	return base64.RawURLEncoding.EncodeToString(b)
}

// Slice pages a list that is computed in Go rather than read by one query (statistics over the item
// bank, standings built from several domains): items must be in o's order; the page starts after the
// cursor's sort key (compared by value, so a cursor stays valid when its item is gone).
func Slice[T any](items []T, r Request, o Order, key func(T) []any) (Page[T], error) {
	if err := r.Check(); err != nil {
		return Page[T]{}, err
	}
	if r.Cursor != "" {
		after, err := o.values(r.Cursor)
		if err != nil {
			return Page[T]{}, err
		}
		i := 0
		for i < len(items) {
			c := compare(key(items[i]), after)
			if (!o.Desc && c > 0) || (o.Desc && c < 0) {
				break
			}
			i++
		}
		items = items[i:]
	}
	if r.Limit != -1 && len(items) > r.limit()+1 {
		items = items[:r.limit()+1]
	}
	return Cut(items, r, o, key), nil
}

// Less reports whether sort key a comes before b (ascending), for sorting a computed list.
func Less(a, b []any) bool { return compare(a, b) < 0 }

// compare orders two sort keys column by column.
func compare(a, b []any) int {
	for i := range a {
		var c int
		switch x := a[i].(type) {
		case string:
			y, _ := b[i].(string)
			c = strings.Compare(x, y)
		case time.Time:
			y, _ := b[i].(time.Time)
			c = x.Compare(y)
		case int:
			c = cmpInt(int64(x), asInt(b[i]))
		case int64:
			c = cmpInt(x, asInt(b[i]))
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func asInt(v any) int64 {
	switch y := v.(type) {
	case int:
		return int64(y)
	case int64:
		return y
	}
	return 0
}

// Fetch runs q (its rows scanned into *rows) as one page of the list o: Apply, Scan, Cut.
func Fetch[T any](ctx context.Context, q *bun.SelectQuery, rows *[]T, r Request, o Order, key func(T) []any) (Page[T], error) {
	q, err := Apply(q, r, o)
	if err != nil {
		return Page[T]{}, err
	}
	if err := q.Scan(ctx, rows); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Page[T]{}, err
	}
	return Cut(*rows, r, o, key), nil
}
