package api

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestPaginateFollowsCursors(t *testing.T) {
	items := []string{"a", "b", "c", "d", "e"}
	app := fiber.New()
	app.Get("/", func(c *fiber.Ctx) error {
		page, next, err := paginate(c, items, func(s string) string { return s })
		if err != nil {
			e := err.(interface{ Error() string })
			return c.Status(400).SendString(e.Error())
		}
		return c.JSON(map[string]any{"items": page, "next": next})
	})
	get := func(q string) (int, []string, string) {
		resp, err := app.Test(httptest.NewRequest("GET", "/?"+q, nil))
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Items []string
			Next  string
		}
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Items, out.Next
	}
	var all []string
	q := "limit=2"
	for pages := 0; ; pages++ {
		st, got, next := get(q)
		if st != 200 || pages > 5 {
			t.Fatalf("status %d after %d pages", st, pages)
		}
		all = append(all, got...)
		if next == "" {
			break
		}
		q = "limit=2&cursor=" + next
	}
	if len(all) != 5 || all[0] != "a" || all[4] != "e" {
		t.Fatalf("pages gave %v", all)
	}
	if st, got, next := get(""); st != 200 || len(got) != 5 || next != "" {
		t.Fatalf("default page: %d %v %q", st, got, next)
	}
	for _, bad := range []string{"limit=0", "limit=501", "limit=x", "cursor=bm9uZQ"} {
		if st, _, _ := get(bad); st != 400 {
			t.Errorf("%s: status %d, want 400", bad, st)
		}
	}
}
