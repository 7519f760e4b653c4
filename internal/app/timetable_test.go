package app_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/account"
	"github.com/peeracademy/peeracademy/internal/app"
	"github.com/peeracademy/peeracademy/internal/audit"
	"github.com/peeracademy/peeracademy/internal/cohort"
	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/testutil/apptest"
	"github.com/peeracademy/peeracademy/internal/testutil/dbtest"
)

const testHandout = "day-01/practice-sheet.md"

// contentWithDayPlan is the shipped content with this timetable for day 1 (its modules, a break and
// an activity making up the day's hours, or rounding it to whole half hours, from 09:00), a handout
// for one of day 1's modules (the first without handouts of its own), and no timetable for day 2. It
// returns the content, day 1's first module and the module with the test handout.
func contentWithDayPlan(t *testing.T) (fstest.MapFS, *curriculum.Module, *curriculum.Module) {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(content.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(content.FS, p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := curriculum.Load(content.FS)
	first := c.Days[0].Modules[0]
	var b strings.Builder
	total := 0
	for i, mod := range c.Days[0].Modules {
		fmt.Fprintf(&b, "  - {kind: module, module: %s, minutes: %d}\n", mod.Slug, mod.Minutes)
		if i == 0 {
			b.WriteString("  - {kind: break, title: Morning break, minutes: 15}\n")
		}
		total += mod.Minutes
	}
	target := total + (30-total%30)%30
	if tt := c.Days[0].Timetable; tt != nil {
		target = tt.Minutes // keep the day's hours, so the course still adds up
	}
	if rest := target - total; rest > 0 {
		fmt.Fprintf(&b, "  - {kind: activity, title: Closing circle, minutes: %d}\n", rest)
		total += rest
	}
	m["curriculum/day-01/timetable.yaml"] = &fstest.MapFile{Data: []byte(fmt.Sprintf("day: 1\nhours: %g\nstart: \"09:00\"\nblocks:\n%s", float64(total)/60, b.String()))}
	delete(m, "curriculum/day-02/timetable.yaml") // a day without a plan still serves
	m["media/"+testHandout] = &fstest.MapFile{Data: []byte("# Practice sheet\n\nWrite down **one** strength.\n")}
	var with *curriculum.Module
	for _, mod := range c.Days[0].Modules {
		src := string(m[mod.File].Data)
		list := "\nhandouts: [" + testHandout + "]\n"
		switch {
		case strings.Contains(src, "\nhandouts: []\n"):
			src = strings.Replace(src, "\nhandouts: []\n", list, 1)
		case !strings.Contains(src, "\nhandouts:"):
			src = strings.Replace(src, "\ncheck:", list+"check:", 1)
		default:
			continue
		}
		m[mod.File].Data = []byte(src + "\nPrint [the practice sheet](media/" + testHandout + ").\n")
		with = mod
		break
	}
	if _, ps := curriculum.Load(m); len(ps) > 0 || with == nil {
		t.Fatalf("fixture content (handout on %v): %v", with, ps)
	}
	return m, first, with
}

func TestDayPlanAndHandoutPages(t *testing.T) {
	fsys, first, withHandout := contentWithDayPlan(t)
	saved := app.ContentFS
	app.ContentFS = fsys
	t.Cleanup(func() { app.ContentFS = saved })

	ctx := context.Background()
	env := apptest.New(t, dbtest.SQLite)
	vendor := env.Vendor("plan")
	admin := env.User(account.RoleVendorAdmin, vendor.ID)
	co, err := env.App.Cohorts.Create(ctx, audit.System, admin, cohort.CreateInput{Name: "Now", Delivery: "virtual", Capacity: 5, Dates: tenDays(-1)})
	if err != nil {
		t.Fatal(err)
	}
	enrolled, outsider := env.User(account.RoleCandidate, ""), env.User(account.RoleCandidate, "")
	env.Enroll(admin, co.ID, enrolled)
	in := cookie(env, enrolled)

	plan := fmt.Sprintf(`<td>09:00–%s</td><td><a href="/learn/%s">`, clockAfter(9*60, first.Minutes), first.Slug)
	learn := apptest.Body(get(env, "/learn", in))
	if !strings.Contains(learn, "Day plan:") || !strings.Contains(learn, plan) || !strings.Contains(learn, "Morning break") {
		t.Errorf("the course page lacks day 1's plan (%s)", plan)
	}
	day := apptest.Body(get(env, fmt.Sprintf("/teach/cohorts/%s/days/1", co.ID), cookie(env, admin)))
	if !strings.Contains(day, "<details class=\"timetable\" open>") || !strings.Contains(day, plan) {
		t.Error("the trainer's day page lacks the day plan")
	}
	if strings.Contains(apptest.Body(get(env, fmt.Sprintf("/teach/cohorts/%s/days/2", co.ID), cookie(env, admin))), "Day plan:") {
		t.Error("day 2 has no timetable but shows one")
	}

	page := "/learn/" + withHandout.Slug + "/handouts/" + testHandout
	if body := apptest.Body(get(env, "/learn/"+withHandout.Slug, in)); !strings.Contains(body, `href="`+page+`"`) {
		t.Error("the module does not link to its handout page")
	}
	resp := get(env, page, in)
	if body := apptest.Body(resp); resp.StatusCode != 200 || !strings.Contains(body, "<h1") || !strings.Contains(body, "<strong>one</strong>") {
		t.Errorf("handout page for the enrolled: %d", resp.StatusCode)
	}
	if resp := get(env, page, cookie(env, outsider)); resp.StatusCode == 200 {
		t.Error("handout page served to a candidate of no cohort")
	}
	if resp := get(env, "/learn/"+withHandout.Slug+"/handouts/day-01/other.md", in); resp.StatusCode != 404 {
		t.Errorf("unknown handout: %d", resp.StatusCode)
	}
	// The markdown file itself is synchronised and served like other curriculum media.
	if resp := get(env, "/media/content/"+testHandout, in); resp.StatusCode != 200 || !strings.Contains(apptest.Body(resp), "Practice sheet") {
		t.Errorf("handout file as media: %d", resp.StatusCode)
	}
}

func clockAfter(start, minutes int) string {
	end := start + minutes
	return fmt.Sprintf("%02d:%02d", end/60, end%60)
}
