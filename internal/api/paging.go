package api

import (
	"encoding/base64"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/peeracademy/peeracademy/internal/apperr"
)

// Lists page by cursor: ?limit= (1 to maxLimit, default defaultLimit) items after ?cursor=, the
// opaque next of the previous page. The cursor names the last item sent, so a page does not shift
// when items are added before it.
const (
	defaultLimit = 100
	maxLimit     = 500
)

// cursorParams document limit and cursor.
var cursorParams = []Param{
	{Name: "limit", Type: "integer", Desc: "Items per page, 1 to 500 (default 100)."},
	{Name: "cursor", Desc: "The next value of the previous page."},
}

// paginate cuts items (in their stable order) to the page the request asks for and returns the
// cursor of the following page ("" on the last page).
func paginate[T any](c *fiber.Ctx, items []T, key func(T) string) ([]T, string, error) {
	limit := defaultLimit
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return nil, "", apperr.New(apperr.BadRequest, "bad_paging", "limit must be a whole number from 1 to 500.")
		}
		limit = n
	}
	start := 0
	if cur := c.Query("cursor"); cur != "" {
		b, err := base64.RawURLEncoding.DecodeString(cur)
		found := false
		if err == nil {
			for i, it := range items {
				if key(it) == string(b) {
					start, found = i+1, true
					break
				}
			}
		}
		if !found {
			return nil, "", apperr.New(apperr.BadRequest, "bad_cursor", "The cursor is not valid for this list (the item it names is gone); start again without it.")
		}
	}
	end := min(start+limit, len(items))
	page := items[start:end]
	next := ""
	if end < len(items) && len(page) > 0 {
		next = base64.RawURLEncoding.EncodeToString([]byte(key(page[len(page)-1])))
	}
	return page, next, nil
}
