package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
	"github.com/peeracademy/peeracademy/internal/page"
)

// Every list pages by cursor, in the query (package page): ?limit= (1 to page.MaxLimit, default
// page.DefaultLimit) items after ?cursor=, the opaque next_cursor of the previous page. The cursor
// holds the sort key of the last item sent, so a page does not shift when items are added or removed
// before it. The answer carries next_cursor (null on the last page) and a Link header rel="next".

// cursorParams document limit and cursor.
var cursorParams = []Param{
	{Name: "limit", Type: "integer", Min: 1, Max: page.MaxLimit, Default: page.DefaultLimit,
		Desc: "Items per page, 1 to " + strconv.Itoa(page.MaxLimit) + " (default " + strconv.Itoa(page.DefaultLimit) + ")."},
	{Name: "cursor", Desc: "next_cursor of the previous page, unchanged (opaque). Leave it out for the first page."},
}

// withCursor adds the paging parameters to a list's own.
func withCursor(ps ...Param) []Param { return append(append([]Param{}, ps...), cursorParams...) }

// Paging is the paging part of every list answer.
type Paging struct {
	NextCursor *string `json:"next_cursor"`
}

// pageRequest reads ?limit= and ?cursor= (a 400 when limit is not a whole number in range).
func pageRequest(c *fiber.Ctx) (page.Request, error) {
	r := page.Request{Cursor: c.Query("cursor")}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > page.MaxLimit {
			return r, page.ErrBadLimit
		}
		r.Limit = n
	}
	return r, nil
}

// paging answers a page's cursor and sets the Link header to the next page.
func paging(c *fiber.Ctx, next string) Paging {
	if next == "" {
		return Paging{}
	}
	args := c.Request().URI().QueryArgs()
	q := fiber.AcquireArgs()
	defer fiber.ReleaseArgs(q)
	args.CopyTo(q)
	q.Set("cursor", next)
	c.Append(fiber.HeaderLink, `<`+string(c.Request().URI().Path())+`?`+q.String()+`>; rel="next"`)
	return Paging{NextCursor: &next}
}

// offsetPaging reads the offset paging that the users list and the review queue had before cursors
// (kept for earlier clients): with ?offset= and no cursor, limit is 1 to 100, default 25.
func offsetPaging(c *fiber.Ctx) (legacy bool, limit, offset int, err error) {
	if c.Query("offset") == "" || c.Query("cursor") != "" {
		return false, 0, 0, nil
	}
	limit, _ = strconv.Atoi(c.Query("limit", "25"))
	offset, err = strconv.Atoi(c.Query("offset"))
	if err != nil || limit < 1 || limit > 100 || offset < 0 {
		return false, 0, 0, apperr.New(apperr.BadRequest, "bad_paging", "With offset, limit must be 1 to 100 and offset 0 or more.")
	}
	return true, limit, offset, nil
}
