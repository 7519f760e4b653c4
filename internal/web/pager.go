package web

import (
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"
)

// Pager links to the neighbouring pages of a listing.
type Pager struct{ PrevURL, NextURL string }

func pager(c *fiber.Ctx, offset, limit, total int) Pager {
	mk := func(off int) string {
		q := url.Values{}
		c.Context().QueryArgs().VisitAll(func(k, v []byte) { q.Set(string(k), string(v)) })
		q.Set("offset", strconv.Itoa(off))
		return c.Path() + "?" + q.Encode()
	}
	var p Pager
	if offset > 0 {
		p.PrevURL = mk(max(0, offset-limit))
	}
	if offset+limit < total {
		p.NextURL = mk(offset + limit)
	}
	return p
}
