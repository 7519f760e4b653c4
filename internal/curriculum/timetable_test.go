package curriculum

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

func timetableFile(day int) string { return fmt.Sprintf("curriculum/day-%02d/timetable.yaml", day) }

// timetableSource is a valid timetable for a fixture day (four 30-minute modules): 450 counted
// minutes from 08:30, blocks on lines 5 to 10.
func timetableSource(day int) string {
	return fmt.Sprintf(`day: %d
hours: 7.5
start: "08:30"
blocks:
  - {kind: module, module: mod-%[1]d-1, minutes: 30}
  - {kind: module, module: mod-%[1]d-2, minutes: 30}
  - {kind: break, title: Break, minutes: 15}
  - {kind: module, module: mod-%[1]d-3, minutes: 30}
  - {kind: module, module: mod-%[1]d-4, minutes: 30}
  - {kind: activity, title: "Practice rounds", minutes: 330, module: mod-%[1]d-4}
`, day)
}

// timetabledTree is the valid fixture with a timetable for every day and a handout for module 1.1.
func timetabledTree() fstest.MapFS {
	fsys := validTree()
	for d := 1; d <= Days; d++ {
		fsys[timetableFile(d)] = &fstest.MapFile{Data: []byte(timetableSource(d))}
	}
	fsys["media/day-01/sheet.md"] = &fstest.MapFile{Data: []byte("# Planning sheet\n\nFill in **your** plan. See ![a dot](media/day-01/pic.svg).\n")}
	f := fsys[moduleFile(1, 1)]
	s := strings.Replace(string(f.Data), "media: [day-01/pic.svg]\n", "media: [day-01/pic.svg]\nhandouts: [day-01/sheet.md]\n", 1)
	s = strings.Replace(s, "(media/day-01/pic.svg)", "(media/day-01/pic.svg) Print [the planning sheet](media/day-01/sheet.md).", 1)
	f.Data = []byte(s)
	return fsys
}

func TestTimetablesAndHandoutsValid(t *testing.T) {
	c, ps := Load(timetabledTree())
	if len(ps) > 0 {
		t.Fatalf("problems:\n%s", strings.Join(problemStrings(ps), "\n"))
	}
	if n, all := c.TimetableMinutes(); n != CourseMinutes || !all {
		t.Errorf("TimetableMinutes = %d, %v", n, all)
	}
	tt := c.Days[0].Timetable
	if tt == nil || len(tt.Blocks) != 6 || tt.Instructional() != 450 || tt.Hours() != 7.5 {
		t.Fatalf("day 1 timetable %+v", tt)
	}
	if b := tt.Blocks[2]; b.Kind != BlockBreak || b.Counts() || b.StartTime() != "09:30" || b.EndTime() != "09:45" {
		t.Errorf("break %+v at %s-%s", b, b.StartTime(), b.EndTime())
	}
	if b := tt.Blocks[5]; b.StartTime() != "10:45" || b.EndTime() != "16:15" {
		t.Errorf("last block %s-%s", b.StartTime(), b.EndTime())
	}
	m, _ := c.Module("mod-1-1")
	h, ok := m.Handout("day-01/sheet.md")
	if !ok || h.Title != "Planning sheet" || !strings.Contains(string(h.HTML), "<strong>your</strong>") ||
		!strings.Contains(string(h.HTML), `src="/media/content/day-01/pic.svg"`) {
		t.Fatalf("handout %+v", h)
	}
	if !strings.Contains(string(m.HTML), `href="/learn/mod-1-1/handouts/day-01/sheet.md"`) {
		t.Errorf("the module body does not link to the handout page:\n%s", m.HTML)
	}
	if !c.HasMedia("day-01/sheet.md") || c.HasMedia("day-01/other.md") {
		t.Error("HasMedia does not follow the handouts")
	}
}

func TestTimetableOptional(t *testing.T) {
	fsys := timetabledTree()
	delete(fsys, timetableFile(4))
	c, ps := Load(fsys)
	if len(ps) > 0 {
		t.Fatalf("a missing timetable stops loading: %q", problemStrings(ps))
	}
	if n, all := c.TimetableMinutes(); all || n != CourseMinutes-450 || c.Days[3].Timetable != nil {
		t.Errorf("TimetableMinutes = %d, %v", n, all)
	}
}

func TestTimetableAndHandoutProblems(t *testing.T) {
	tt1, m11 := timetableFile(1), moduleFile(1, 1)
	course := "curriculum: the day timetables add up to %d minutes (%.2f hours); the course and its completion rule require 4500 (75 hours)"
	runLoadCases(t, timetabledTree, []loadCase{
		{"unknown kind", func(t *testing.T, f fstest.MapFS) { edit(t, f, tt1, "kind: activity", "kind: lecture") },
			[]string{tt1 + ":10: block 6: kind \"lecture\" must be one of module, activity, practice, review, break"}},
		{"block without a title", func(t *testing.T, f fstest.MapFS) { edit(t, f, tt1, `title: "Practice rounds", `, "") },
			[]string{tt1 + ":10: block 6: activity blocks need a title"}},
		{"module block without its module", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, tt1, "{kind: module, module: mod-1-1, minutes: 30}", "{kind: module, minutes: 30}")
		}, []string{
			tt1 + ":4: the module mod-1-1 has no module block; every module of the day appears exactly once",
			tt1 + ":5: block 1: a module block names its module (module: slug)",
		}},
		{"block of another day's module", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, tt1, "minutes: 330, module: mod-1-4", "minutes: 330, module: mod-2-4")
		}, []string{tt1 + ":10: block 6: module \"mod-2-4\" is not a module of day 1"}},
		{"module minutes differ", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, tt1, "module: mod-1-2, minutes: 30", "module: mod-1-2, minutes: 40")
			edit(t, f, tt1, "minutes: 330", "minutes: 320")
		}, []string{tt1 + ":6: block 2: 40 minutes, but the module mod-1-2 plans 30 (its front matter's minutes)"}},
		{"module twice", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, tt1, "{kind: activity, title: \"Practice rounds\", minutes: 330, module: mod-1-4}",
				"{kind: module, module: mod-1-4, minutes: 30}\n  - {kind: activity, title: \"Practice rounds\", minutes: 300}")
		}, []string{tt1 + ":4: the module mod-1-4 has 2 module blocks; every module of the day appears exactly once"}},
		{"no break", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, tt1, "{kind: break, title: Break, minutes: 15}", "{kind: review, title: Review, minutes: 15}")
			edit(t, f, tt1, "minutes: 330", "minutes: 315")
		}, []string{tt1 + ":4: the day has no break; list at least one"}},
		{"day does not add up", func(t *testing.T, f fstest.MapFS) { edit(t, f, tt1, "minutes: 330", "minutes: 300") },
			// hours still says 7.5, so the course adds up; the day does not
			[]string{tt1 + ":2: the blocks (breaks excluded) add up to 420 minutes (7.00 hours), but hours says 7.5 (450 minutes)"}},
		{"course does not add up", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, tt1, "hours: 7.5", "hours: 8")
			edit(t, f, tt1, "minutes: 330", "minutes: 360")
		}, []string{fmt.Sprintf(course, 4530, 75.5)}},
		{"hours not whole minutes", func(t *testing.T, f fstest.MapFS) { edit(t, f, tt1, "hours: 7.5", "hours: 7.501") },
			[]string{tt1 + ":2: hours 7.501 must be a positive number of whole minutes (for example 7.5)"}},
		{"bad start", func(t *testing.T, f fstest.MapFS) { edit(t, f, tt1, `start: "08:30"`, `start: "8:30"`) },
			[]string{tt1 + ":3: start \"8:30\" must be a time of day as HH:MM, for example \"08:30\""}},
		{"day mismatch", func(t *testing.T, f fstest.MapFS) { edit(t, f, tt1, "day: 1", "day: 2") },
			[]string{tt1 + ":1: day is 2 but the timetable is in the folder day-01"}},
		{"unknown key", func(t *testing.T, f fstest.MapFS) { edit(t, f, tt1, "hours: 7.5", "hours: 7.5\nlunch: 30") },
			[]string{tt1 + ":3: invalid YAML: unknown key \"lunch\""}},
		{"handout missing", func(t *testing.T, f fstest.MapFS) { delete(f, "media/day-01/sheet.md") },
			[]string{m11 + ":11: handout media/day-01/sheet.md does not exist"}},
		{"handout empty", func(t *testing.T, f fstest.MapFS) { f["media/day-01/sheet.md"].Data = []byte(" \n") },
			[]string{"media/day-01/sheet.md: the handout is empty"}},
		{"handout not linked", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, m11, " Print [the planning sheet](media/day-01/sheet.md).", "")
		},
			[]string{m11 + ":11: handout \"day-01/sheet.md\" is not linked from the body"}},
		{"handout linked but not listed", func(t *testing.T, f fstest.MapFS) { edit(t, f, m11, "handouts: [day-01/sheet.md]\n", "") },
			[]string{m11 + ":27: the body links to the handout media/day-01/sheet.md but the front matter's handouts: list does not name it"}},
		{"handout listed as media", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, m11, "handouts: [day-01/sheet.md]\n", "")
			edit(t, f, m11, "media: [day-01/pic.svg]", "media: [day-01/pic.svg, day-01/sheet.md]")
		}, []string{
			m11 + ":10: media entry \"day-01/sheet.md\" is a handout: list it under handouts:",
			m11 + ":27: the body links to the handout media/day-01/sheet.md but the front matter's handouts: list does not name it",
		}},
		{"handout that is not markdown", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, m11, "handouts: [day-01/sheet.md]", "handouts: [day-01/pic.svg, day-01/sheet.md]")
		},
			[]string{m11 + ":11: handout \"day-01/pic.svg\" must be a clean path of a markdown file under media/, such as day-09/safety-plan.md"}},
		{"handout linking to a module", func(t *testing.T, f fstest.MapFS) {
			f["media/day-01/sheet.md"].Data = []byte("# Sheet\n\nSee [the module](../../curriculum/day-01/01-m-1-1.md).\n")
		}, []string{"media/day-01/sheet.md:3: link \"../../curriculum/day-01/01-m-1-1.md\": a handout may link only to media files (media/…) and outside https:// pages"}},
	})
}
