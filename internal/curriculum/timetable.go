package curriculum

import (
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strings"
	"time"
)

// CourseMinutes is the course's required instructional total, 75 hours: the day timetables must
// add up to it, and the completion rule requires it (cohort.DefaultRequiredMinutes is this figure).
const CourseMinutes = 75 * 60

// TimetableName is a day's timetable file inside its folder.
const TimetableName = "timetable.yaml"

// Block kinds of a timetable.
const (
	BlockModule   = "module"
	BlockActivity = "activity"
	BlockPractice = "practice"
	BlockReview   = "review"
	BlockBreak    = "break" // listed, not counted as training time
)

// BlockKinds are the allowed kinds, in the order the format lists them.
var BlockKinds = []string{BlockModule, BlockActivity, BlockPractice, BlockReview, BlockBreak}

// Block is one line of a day's timetable. Start is minutes after midnight, computed from the day's
// start and the blocks before it.
type Block struct {
	Kind, Title, Module string
	Minutes, Start      int
}

// Counts reports whether the block counts as training time (everything but breaks).
func (b Block) Counts() bool { return b.Kind != BlockBreak }

// StartTime and EndTime format the block's times as HH:MM.
func (b Block) StartTime() string { return clock(b.Start) }
func (b Block) EndTime() string   { return clock(b.Start + b.Minutes) }

func clock(min int) string { return fmt.Sprintf("%02d:%02d", min/60%24, min%60) }

// Timetable is a day's plan: blocks in order from Start.
type Timetable struct {
	Day     int
	Minutes int    // instructional minutes declared (hours * 60)
	Start   string // HH:MM
	Blocks  []Block
}

// Instructional is the sum of the blocks that count.
func (t *Timetable) Instructional() int {
	n := 0
	for _, b := range t.Blocks {
		if b.Counts() {
			n += b.Minutes
		}
	}
	return n
}

// Hours is the declared instructional time in hours.
func (t *Timetable) Hours() float64 { return float64(t.Minutes) / 60 }

type timetableYAML struct {
	Day    int         `yaml:"day"`
	Hours  float64     `yaml:"hours"`
	Start  string      `yaml:"start"`
	Blocks []blockYAML `yaml:"blocks"`
}

type blockYAML struct {
	Kind    string `yaml:"kind"`
	Title   string `yaml:"title"`
	Module  string `yaml:"module"`
	Minutes int    `yaml:"minutes"`
}

// loadTimetable reads and validates curriculum/day-NN/timetable.yaml against the day's modules. It
// returns nil when the file does not exist (content check reports that) or does not decode.
func loadTimetable(fsys fs.FS, day Day, ps *[]Problem) *Timetable {
	file := fmt.Sprintf("curriculum/day-%02d/%s", day.Number, TimetableName)
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil
	}
	var y timetableYAML
	if dp := DecodeYAML(file, data, 1, &y); len(dp) > 0 {
		*ps = append(*ps, dp...)
		return nil
	}
	p, lines := problems{file: file, list: ps}, NewYAMLLines(data, 1)
	t := &Timetable{Day: y.Day, Minutes: int(math.Round(y.Hours * 60)), Start: y.Start}
	if y.Day != day.Number {
		p.add(lines.Line("day"), "day is %d but the timetable is in the folder day-%02d", y.Day, day.Number)
	}
	if y.Hours <= 0 || math.Abs(y.Hours*60-float64(t.Minutes)) > 1e-9 {
		p.add(lines.Line("hours"), "hours %v must be a positive number of whole minutes (for example 7.5)", y.Hours)
	}
	start, err := time.Parse("15:04", y.Start)
	if err != nil || len(y.Start) != 5 {
		p.add(lines.Line("start"), "start %q must be a time of day as HH:MM, for example \"08:30\"", y.Start)
	}
	at := start.Hour()*60 + start.Minute()
	for i, b := range y.Blocks {
		blk := Block{Kind: b.Kind, Title: strings.TrimSpace(b.Title), Module: b.Module, Minutes: b.Minutes, Start: at}
		validateBlock(p, lines.Line("blocks", i), i+1, blk, day)
		if m := dayModule(day, b.Module); m != nil && blk.Title == "" {
			blk.Title = m.Title // a module block shows its module's title
		}
		t.Blocks = append(t.Blocks, blk)
		at += max(b.Minutes, 0)
	}
	checkDayTotals(p, lines, t, day)
	return t
}

func dayModule(day Day, slug string) *Module {
	i := slices.IndexFunc(day.Modules, func(m *Module) bool { return m.Slug == slug })
	if slug == "" || i < 0 {
		return nil
	}
	return day.Modules[i]
}

func validateBlock(p problems, line, n int, b Block, day Day) {
	if !slices.Contains(BlockKinds, b.Kind) {
		p.add(line, "block %d: kind %q must be one of %s", n, b.Kind, strings.Join(BlockKinds, ", "))
	}
	if b.Minutes < 1 {
		p.add(line, "block %d: minutes must be at least 1", n)
	}
	if b.Kind != BlockModule && b.Title == "" {
		p.add(line, "block %d: %s blocks need a title", n, b.Kind)
	}
	if b.Module == "" {
		if b.Kind == BlockModule {
			p.add(line, "block %d: a module block names its module (module: slug)", n)
		}
		return
	}
	switch m := dayModule(day, b.Module); {
	case m == nil:
		p.add(line, "block %d: module %q is not a module of day %d", n, b.Module, day.Number)
	case b.Kind == BlockModule && m.Minutes > 0 && b.Minutes != m.Minutes: // 0: reported with the module
		p.add(line, "block %d: %d minutes, but the module %s plans %d (its front matter's minutes)", n, b.Minutes, b.Module, m.Minutes)
	}
}

// checkDayTotals: every module once as a module block, a break, and the counted blocks adding up
// to the declared hours.
func checkDayTotals(p problems, lines YAMLLines, t *Timetable, day Day) {
	for _, m := range day.Modules {
		switch n := countModuleBlocks(t, m.Slug); {
		case n == 0:
			p.add(lines.Line("blocks"), "the module %s has no module block; every module of the day appears exactly once", m.Slug)
		case n > 1:
			p.add(lines.Line("blocks"), "the module %s has %d module blocks; every module of the day appears exactly once", m.Slug, n)
		}
	}
	if !slices.ContainsFunc(t.Blocks, func(b Block) bool { return b.Kind == BlockBreak }) {
		p.add(lines.Line("blocks"), "the day has no break; list at least one")
	}
	if got := t.Instructional(); got != t.Minutes {
		p.add(lines.Line("hours"), "the blocks (breaks excluded) add up to %d minutes (%.2f hours), but hours says %g (%d minutes)", got, float64(got)/60, t.Hours(), t.Minutes)
	}
}

func countModuleBlocks(t *Timetable, slug string) int {
	n := 0
	for _, b := range t.Blocks {
		if b.Kind == BlockModule && b.Module == slug {
			n++
		}
	}
	return n
}

// Timetable is day n's timetable, or nil.
func (c *Curriculum) Timetable(n int) *Timetable {
	i := slices.IndexFunc(c.Days, func(d Day) bool { return d.Number == n })
	if i < 0 {
		return nil
	}
	return c.Days[i].Timetable
}

// TimetableMinutes is the course's instructional total by the timetables, and whether every day has
// one.
func (c *Curriculum) TimetableMinutes() (int, bool) {
	n, all := 0, len(c.Days) == Days
	for _, d := range c.Days {
		if d.Timetable == nil {
			all = false
			continue
		}
		n += d.Timetable.Minutes
	}
	return n, all
}

// checkCourseTotal: once every day has a timetable, they add up to CourseMinutes.
func checkCourseTotal(c *Curriculum, ps *[]Problem) {
	if n, all := c.TimetableMinutes(); all && n != CourseMinutes {
		*ps = append(*ps, Problem{File: "curriculum", Msg: fmt.Sprintf(
			"the day timetables add up to %d minutes (%.2f hours); the course and its completion rule require %d (%g hours)",
			n, float64(n)/60, CourseMinutes, float64(CourseMinutes)/60)})
	}
}
