package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/ce"
	"github.com/peeracademy/peeracademy/internal/config"
	"github.com/peeracademy/peeracademy/internal/oral"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

// listOp is one list of the API: who asks, where, and the field holding the items.
type listOp struct {
	who   string // admin, trainer, cand, platform
	path  string // with its own query, if any
	field string
	min   int // the scenario puts at least this many items in the list (so a walk by 1 crosses pages)
}

// TestEveryListPagesByCursor walks every list of the API one item at a time, on both databases, and
// checks that the pages, followed by next_cursor (or the Link header), give exactly the items of one
// large page, in the same order, with no item twice; that the last page says so (next_cursor null, no
// Link); and that a bad limit or cursor is refused with 400 and a message that says what to do.
func TestEveryListPagesByCursor(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d, func(c *config.Config) { c.Mail.Mode = "log" })
		p, cert := env.Certified("acme")
		ctx := context.Background()
		// More rows, several of them sharing a sort key (same name, same start time) so that the
		// keyset's id tiebreak is crossed.
		for _, slug := range []string{"bravo", "charlie", "delta"} {
			v := env.Vendor(slug)
			if _, err := env.App.DB.NewUpdate().Model((*account.Vendor)(nil)).Set("name = ?", "Same Name Training").Where("id = ?", v.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 3; i++ {
			env.User(account.RoleTrainer, p.Vendor.ID)
		}
		ny, _ := time.LoadLocation("America/New_York")
		if _, err := env.App.Oral.CreateSlots(ctx, p.TrainerActor(), p.Trainer, oral.SlotInput{Date: time.Now().In(ny).AddDate(0, 0, 5).Format("2006-01-02"),
			Start: "09:00", End: "12:00", SlotMinutes: 45, Weeks: 2, Mode: "virtual", Location: "https://meet.example.org/y"}); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"2", "3", "1.5"} {
			if _, err := env.App.CE.Record(ctx, p.CandActor(), p.Cand, cert.ID, ce.ActivityInput{Title: "Course " + h, Provider: "PA Peer Network",
				Date: ce.Day(time.Now()).Format(ce.DateLayout), Hours: h, Category: ce.General}, nil); err != nil {
				t.Fatal(err)
			}
		}
		platform := env.User(account.RolePlatformAdmin, "")
		tokens := map[string]string{
			"admin": env.Session(p.Admin, account.KindAPI), "trainer": env.Session(p.Trainer, account.KindAPI),
			"cand": env.Session(p.Cand, account.KindAPI), "platform": env.Session(platform, account.KindAPI),
		}
		cohorts := listCohortIDs(t, env, tokens["admin"])
		ops := []listOp{
			{"platform", "/vendors", "vendors", 4},
			{"cand", "/vendors", "vendors", 4},
			{"platform", "/users", "users", 7},
			{"admin", "/users?role=trainer", "users", 4},
			{"admin", "/audit", "events", 10},
			{"platform", "/audit?subject_type=vendor", "events", 4},
			{"platform", "/mail", "messages", 1},
			{"cand", "/me/data-exports", "exports", 0},
			{"cand", "/applications", "applications", 1},
			{"admin", "/review", "rows", 1},
			{"cand", "/exam", "results", 1},
			{"admin", "/exam/item-analysis", "items", 10},
			{"admin", "/cohorts/" + cohorts[0] + "/exam-results", "results", 1},
			{"admin", "/oral/slots", "slots", 8},
			{"trainer", "/oral/slots", "slots", 8},
			{"cand", "/oral/slots", "open", 0},
			{"cand", "/oral", "bookings", 1},
			{"trainer", "/oral/awaiting", "awaiting", 0},
			{"admin", "/oral/exceptions", "exceptions", 1},
			{"cand", "/certificates", "certificates", 1},
			{"admin", "/certificates", "certificates", 1},
			{"admin", "/certificates/ready", "ready", 0},
			{"cand", "/certificates/" + cert.ID + "/ce", "activities", 3},
			{"admin", "/cohorts", "cohorts", 1},
			{"trainer", "/cohorts", "cohorts", 1},
			{"admin", "/cohorts/" + cohorts[0] + "/progress", "statuses", 1},
		}
		for _, op := range ops {
			c := examClient{t: t, env: env, token: tokens[op.who]}
			all := listItems(t, c, withQuery(op.path, "limit=500"), op.field)
			if len(all) < op.min {
				t.Errorf("%s %s: %d items, the scenario makes at least %d", op.who, op.path, len(all), op.min)
			}
			// Walk one item a page, following next_cursor, and again following the Link header.
			for _, byLink := range []bool{false, true} {
				var walked []string
				next := withQuery(op.path, "limit=1")
				for pages := 0; next != ""; pages++ {
					if pages > len(all)+1 {
						t.Fatalf("%s %s: more pages than items", op.who, op.path)
					}
					resp, b := c.do("GET", next, nil)
					if resp.StatusCode != 200 {
						t.Fatalf("%s %s: HTTP %d: %.300s", op.who, next, resp.StatusCode, b)
					}
					var page map[string]json.RawMessage
					if err := json.Unmarshal(b, &page); err != nil {
						t.Fatal(err)
					}
					var items []json.RawMessage
					_ = json.Unmarshal(page[op.field], &items)
					if len(items) > 1 {
						t.Fatalf("%s %s: %d items on a page of 1", op.who, next, len(items))
					}
					for _, it := range items {
						walked = append(walked, string(it))
					}
					var cur *string
					if err := json.Unmarshal(page["next_cursor"], &cur); err != nil || page["next_cursor"] == nil {
						t.Fatalf("%s %s: next_cursor missing or not a string or null: %s", op.who, next, page["next_cursor"])
					}
					link := resp.Header.Get("Link")
					if (cur == nil) != (link == "") {
						t.Fatalf("%s %s: next_cursor %v but Link %q", op.who, next, cur, link)
					}
					switch {
					case cur == nil:
						next = ""
					case byLink:
						u := strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
						next = strings.TrimPrefix(u, "/api/v1")
					default:
						next = withQuery(op.path, "limit=1&cursor="+url.QueryEscape(*cur))
					}
				}
				if strings.Join(walked, "\n") != strings.Join(all, "\n") {
					t.Errorf("%s %s (link %v): pages of 1 gave %d items, one page %d, or another order:\n%v\n%v", op.who, op.path, byLink, len(walked), len(all), walked, all)
				}
			}
			// Mistakes are refused with 400 and a message saying what to do.
			for q, code := range map[string]string{"limit=0": "bad_limit", "limit=501": "bad_limit", "limit=ten": "bad_limit",
				"cursor=%25%25": "bad_cursor", "cursor=bm90IGpzb24": "bad_cursor", "cursor=" + otherListCursor: "bad_cursor"} {
				resp, b := c.do("GET", withQuery(op.path, q), nil)
				var e apiError
				_ = json.Unmarshal(b, &e)
				if resp.StatusCode != 400 || e.Error.Code != code || e.Error.Message == "" {
					t.Errorf("%s %s?%s: HTTP %d %s, want 400 %s", op.who, op.path, q, resp.StatusCode, b, code)
				}
			}
		}
		// The review queue, the users and the mail still page by offset for earlier clients.
		var users struct {
			Users      []json.RawMessage `json:"users"`
			Offset     int               `json:"offset"`
			NextCursor *string           `json:"next_cursor"`
		}
		examClient{t: t, env: env, token: tokens["platform"]}.want(200, "GET", "/users?limit=2&offset=1", nil, &users)
		if len(users.Users) != 2 || users.Offset != 1 || users.NextCursor != nil {
			t.Errorf("offset paging: %+v", users)
		}
		// The audit log's before (an event id) still works.
		var ev struct {
			Events []audit.Event `json:"events"`
			Next   string        `json:"next"`
		}
		c := examClient{t: t, env: env, token: tokens["admin"]}
		c.want(200, "GET", "/audit?limit=2", nil, &ev)
		first := ev.Events
		ev.Events = nil
		c.want(200, "GET", "/audit?limit=2&before="+ev.Next, nil, &ev)
		if len(ev.Events) == 0 || ev.Events[0].ID >= first[1].ID {
			t.Errorf("before: %v after %v", ev.Events, first)
		}
	})
}

// otherListCursor is a well-formed cursor of a list that no operation has.
var otherListCursor = base64.RawURLEncoding.EncodeToString([]byte(`{"l":"elsewhere","k":["x"]}`))

func withQuery(path, q string) string {
	if strings.Contains(path, "?") {
		return path + "&" + q
	}
	return path + "?" + q
}

func listItems(t *testing.T, c examClient, path, field string) []string {
	t.Helper()
	var page map[string]json.RawMessage
	c.want(200, "GET", path, nil, &page)
	var items []json.RawMessage
	if err := json.Unmarshal(page[field], &items); err != nil && page[field] != nil {
		t.Fatalf("%s: %s: %v", path, field, err)
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = string(it)
	}
	return out
}

func listCohortIDs(t *testing.T, env *apptest.Env, token string) []string {
	t.Helper()
	var out struct {
		Cohorts []struct {
			ID string `json:"id"`
		} `json:"cohorts"`
	}
	examClient{t: t, env: env, token: token}.want(200, "GET", "/cohorts", nil, &out)
	if len(out.Cohorts) == 0 {
		t.Fatal("no cohort")
	}
	ids := make([]string, len(out.Cohorts))
	for i, c := range out.Cohorts {
		ids[i] = c.ID
	}
	return ids
}

// TestRenewThroughTheAPI renews a certificate whose two CE cycles are met: a year and a month after
// issue (the certificate service's and the CE service's clocks moved), the holder records the hours
// of both cycles through the API, the administrator verifies them and renews; renewing a certificate
// whose rule is not met is a 409.
func TestRenewThroughTheAPI(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d dbtest.Dialect) {
		env := apptest.New(t, d)
		p, cert := env.Certified("acme")
		cand := examClient{t: t, env: env, token: env.Session(p.Cand, account.KindAPI)}
		admin := examClient{t: t, env: env, token: env.Session(p.Admin, account.KindAPI)}

		var e apiError
		admin.want(409, "POST", "/certificates/"+cert.ID+"/renew", nil, &e)
		if e.Error.Code != "ce_not_met" {
			t.Fatalf("renew before CE: %+v", e)
		}

		now := cert.IssuedAt.AddDate(1, 1, 0)
		clock := func() time.Time { return now }
		env.App.CE.Now, env.App.Certificates.Now, env.App.API.Now = clock, clock, clock
		defer func() { env.App.CE.Now, env.App.Certificates.Now, env.App.API.Now = nil, nil, nil }()
		day := func(t time.Time) string { return ce.Day(t).Format(ce.DateLayout) }
		for _, a := range []ce.ActivityInput{
			{Title: "Recovery planning", Date: day(cert.IssuedAt.AddDate(0, 1, 0)), Hours: "12", Category: ce.PeerSupportRecovery},
			{Title: "Boundaries", Date: day(cert.IssuedAt.AddDate(0, 2, 0)), Hours: "6", Category: ce.General},
			{Title: "Trauma-informed peer support", Date: day(now.AddDate(0, 0, -3)), Hours: "12", Category: ce.PeerSupportRecovery},
			{Title: "Ethics for peers", Date: day(now.AddDate(0, 0, -2)), Hours: "6", Category: ce.Ethics},
		} {
			a.Provider = "PA Peer Network"
			var act ce.Activity
			cand.want(201, "POST", "/certificates/"+cert.ID+"/ce", a, &act)
			admin.want(204, "POST", "/ce/"+act.ID+"/review", map[string]any{"verify": true}, nil)
		}
		var renewed struct {
			ID        string    `json:"id"`
			ExpiresAt time.Time `json:"expires_at"`
			State     string    `json:"state"`
		}
		admin.want(200, "POST", "/certificates/"+cert.ID+"/renew", nil, &renewed)
		if renewed.ID != cert.ID || !renewed.ExpiresAt.After(cert.ExpiresAt) || renewed.State != "active" {
			t.Fatalf("renewed: %+v (was expiring %s)", renewed, cert.ExpiresAt)
		}
		// The holder cannot renew; another vendor's administrator does not see the certificate.
		cand.want(403, "POST", "/certificates/"+cert.ID+"/renew", nil, nil)
		other := env.User(account.RoleVendorAdmin, env.Vendor("other").ID)
		examClient{t: t, env: env, token: env.Session(other, account.KindAPI)}.want(404, "POST", "/certificates/"+cert.ID+"/renew", nil, nil)
	})
}
