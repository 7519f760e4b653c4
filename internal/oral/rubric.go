// Package oral holds the oral examination: its scoring rubric (content/exams/oral-rubric.md, see
// content/FORMAT.md) and the pass rule, and the Service that runs the exam: trainers' slots,
// candidates' bookings with calendar invitations, cancellations, reminders, trainers' calendar
// feeds, grading and amendments (see service.go).
package oral

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/peeracademy/peeracademy/internal/curriculum"
)

// RubricFile is the rubric's path in the content file system.
const RubricFile = "exams/oral-rubric.md"

var idRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// Level is one point of the scoring scale.
type Level struct {
	Score int
	Label string
}

// Competency is one scored area, with a descriptor of the evidence for every score on the scale.
type Competency struct {
	ID, Title, Description string
	Descriptors            map[int]string
}

// Scenario is one role-play scenario of the examiner guidance. Every scenario carries a cue that
// tests a boundary or ethical limit and a cue that touches on risk, so that every competency can be
// observed; the grade records the scenario used.
type Scenario struct {
	ID, Title            string
	BoundaryCue, RiskCue string
}

// MinScenarios is how many scenarios the rubric must offer, so that examiners can rotate them.
const MinScenarios = 3

// Rubric is the oral-exam rubric. A candidate passes when every competency scores at least
// MinEach and the scores add up to at least MinTotal.
type Rubric struct {
	Title        string
	Scale        []Level // lowest first
	MinEach      int
	MinTotal     int
	Competencies []Competency
	Scenarios    []Scenario
	GuidanceHTML template.HTML // the examiner guidance (the markdown body), sanitised
}

// Scenario finds a scenario by id.
func (r *Rubric) Scenario(id string) (Scenario, bool) {
	i := slices.IndexFunc(r.Scenarios, func(s Scenario) bool { return s.ID == id })
	if i < 0 {
		return Scenario{}, false
	}
	return r.Scenarios[i], true
}

// AtEnd reports whether a score is the lowest or the highest level of the scale: such a score needs
// a written evidence note.
func (r *Rubric) AtEnd(score int) bool {
	n := len(r.Scale)
	return n > 0 && (score == r.Scale[0].Score || score == r.Scale[n-1].Score)
}

// Competency finds a competency by id.
func (r *Rubric) Competency(id string) (Competency, bool) {
	i := slices.IndexFunc(r.Competencies, func(c Competency) bool { return c.ID == id })
	if i < 0 {
		return Competency{}, false
	}
	return r.Competencies[i], true
}

// MaxTotal is the highest possible total score.
func (r *Rubric) MaxTotal() int {
	if len(r.Scale) == 0 {
		return 0
	}
	return r.Scale[len(r.Scale)-1].Score * len(r.Competencies)
}

// Level returns the scale level of a score.
func (r *Rubric) Level(score int) (Level, bool) {
	i := slices.IndexFunc(r.Scale, func(l Level) bool { return l.Score == score })
	if i < 0 {
		return Level{}, false
	}
	return r.Scale[i], true
}

// Passes applies the pass rule to a score for every competency (keyed by competency id). It
// returns false with a reason a person can read when a score is missing, unknown or off the
// scale, when a competency scores below MinEach, or when the total is below MinTotal; when the
// candidate passes the reason is empty.
func (r *Rubric) Passes(scores map[string]int) (bool, string) {
	var invalid, below []string
	total := 0
	for _, c := range r.Competencies {
		s, ok := scores[c.ID]
		switch _, onScale := r.Level(s); {
		case !ok:
			invalid = append(invalid, fmt.Sprintf("%q has no score", c.ID))
		case !onScale:
			invalid = append(invalid, fmt.Sprintf("%q has the score %d, which is not on the scale (%s)", c.ID, s, r.scaleList()))
		default:
			total += s
			if s < r.MinEach {
				below = append(below, fmt.Sprintf("%s (%s) scored %d", c.Title, c.ID, s))
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(scores)) {
		if _, ok := r.Competency(id); !ok {
			invalid = append(invalid, fmt.Sprintf("%q is not a competency of this rubric", id))
		}
	}
	if len(invalid) > 0 {
		return false, "the scores cannot be judged: " + strings.Join(invalid, "; ")
	}
	var reasons []string
	if len(below) > 0 {
		reasons = append(reasons, fmt.Sprintf("every competency must score at least %d, but %s", r.MinEach, strings.Join(below, ", ")))
	}
	if total < r.MinTotal {
		reasons = append(reasons, fmt.Sprintf("the total is %d, below the %d required (out of %d)", total, r.MinTotal, r.MaxTotal()))
	}
	if len(reasons) > 0 {
		return false, strings.Join(reasons, "; ")
	}
	return true, ""
}

func (r *Rubric) scaleList() string {
	s := make([]string, len(r.Scale))
	for i, l := range r.Scale {
		s[i] = strconv.Itoa(l.Score)
	}
	return strings.Join(s, ", ")
}

type rubricYAML struct {
	Title        string           `yaml:"title"`
	Scale        []levelYAML      `yaml:"scale"`
	PassRule     *passRuleYAML    `yaml:"pass_rule"`
	Competencies []competencyYAML `yaml:"competencies"`
	Scenarios    []scenarioYAML   `yaml:"scenarios"`
}

type scenarioYAML struct {
	ID          string `yaml:"id"`
	Title       string `yaml:"title"`
	BoundaryCue string `yaml:"boundary_cue"`
	RiskCue     string `yaml:"risk_cue"`
}

type levelYAML struct {
	Score *int   `yaml:"score"`
	Label string `yaml:"label"`
}

type passRuleYAML struct {
	MinEach  *int `yaml:"min_each"`
	MinTotal *int `yaml:"min_total"`
}

type competencyYAML struct {
	ID          string         `yaml:"id"`
	Title       string         `yaml:"title"`
	Description string         `yaml:"description"`
	Descriptors map[int]string `yaml:"descriptors"`
}

// LoadRubric reads, validates and renders exams/oral-rubric.md from fsys. It returns what it could
// load together with every problem found, sorted by line.
func LoadRubric(fsys fs.FS) (*Rubric, []curriculum.Problem) {
	var ps []curriculum.Problem
	add := func(line int, format string, args ...any) {
		ps = append(ps, curriculum.Problem{File: RubricFile, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	r := &Rubric{}
	src, err := fs.ReadFile(fsys, RubricFile)
	if err != nil {
		add(0, "cannot read the rubric: %v", err)
		return r, ps
	}
	fm, body, bodyLine, err := curriculum.SplitFrontMatter(src)
	if err != nil {
		add(1, "%v", err)
		return r, ps
	}
	var y rubricYAML
	if dp := curriculum.DecodeYAML(RubricFile, fm, 2, &y); len(dp) > 0 {
		ps = append(ps, dp...)
	} else {
		l := curriculum.NewYAMLLines(fm, 2)
		validate(r, y, l, add)
		validateScenarios(r, y.Scenarios, l, body, add)
	}

	// The examiner guidance: media links resolve like a module's; nothing else is relative.
	var broken []string
	html, _, err := curriculum.RenderMarkdown(body, func(dest string) (string, bool) {
		if rest, ok := strings.CutPrefix(dest, "media/"); ok && fs.ValidPath(dest) {
			if st, err := fs.Stat(fsys, dest); err == nil && !st.IsDir() {
				return curriculum.MediaPath + rest, true
			}
		}
		broken = append(broken, dest)
		return "", false
	})
	if err != nil {
		add(bodyLine, "cannot render the guidance: %v", err)
	}
	r.GuidanceHTML = html
	for _, dest := range broken {
		line := bodyLine
		if i := bytes.Index(body, []byte(dest)); i >= 0 {
			line += bytes.Count(body[:i], []byte("\n"))
		}
		add(line, "link %q does not resolve (only media/… files can be linked relatively)", dest)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		add(bodyLine, "the examiner guidance (the markdown after the front matter) is empty")
	}
	curriculum.SortProblems(ps)
	return r, ps
}

func validate(r *Rubric, y rubricYAML, l curriculum.YAMLLines, add func(int, string, ...any)) {
	r.Title = strings.TrimSpace(y.Title)
	if r.Title == "" {
		add(l.Line("title"), "title is required")
	}

	// Checks that depend on the scale are made only once the scale itself is sound.
	scaleOK := len(y.Scale) >= 2
	if !scaleOK {
		add(l.Line("scale"), "scale: %d levels given; at least 2 are needed", len(y.Scale))
	}
	for i, lv := range y.Scale {
		switch {
		case lv.Score == nil:
			add(l.Line("scale", i), "scale level %d: score is required", i+1)
			scaleOK = false
			continue
		case len(r.Scale) > 0 && *lv.Score <= r.Scale[len(r.Scale)-1].Score:
			add(l.Line("scale", i, "score"), "scale level %d: score %d must be higher than the one before (list the scale lowest first)", i+1, *lv.Score)
			scaleOK = false
		}
		if strings.TrimSpace(lv.Label) == "" {
			add(l.Line("scale", i), "scale level %d: label is required", i+1)
		}
		r.Scale = append(r.Scale, Level{Score: *lv.Score, Label: strings.TrimSpace(lv.Label)})
	}

	if len(y.Competencies) == 0 {
		add(l.Line("competencies"), "competencies: the rubric names none")
	}
	for i, c := range y.Competencies {
		at := func(path ...any) int { return l.Line(append([]any{"competencies", i}, path...)...) }
		name := c.ID
		switch {
		case c.ID == "":
			name = fmt.Sprintf("competency %d", i+1)
			add(at("id"), "%s: id is required", name)
		case !idRE.MatchString(c.ID):
			add(at("id"), "competency id %q may contain only lowercase letters, digits and hyphens", c.ID)
		case slices.ContainsFunc(y.Competencies[:i], func(o competencyYAML) bool { return o.ID == c.ID }):
			add(at("id"), "competency id %q is used twice", c.ID)
		}
		comp := Competency{ID: c.ID, Title: strings.TrimSpace(c.Title), Description: strings.TrimSpace(c.Description), Descriptors: c.Descriptors}
		if comp.Title == "" {
			add(at("title"), "%s: title is required", name)
		}
		if comp.Description == "" {
			add(at("description"), "%s: description is required", name)
		}
		for _, lv := range r.Scale {
			if !scaleOK {
				break
			}
			if strings.TrimSpace(c.Descriptors[lv.Score]) == "" {
				add(at("descriptors"), "%s: no descriptor for score %d (%s)", name, lv.Score, lv.Label)
			}
		}
		for _, score := range slices.Sorted(maps.Keys(c.Descriptors)) {
			if _, ok := r.Level(score); scaleOK && !ok {
				add(at("descriptors", strconv.Itoa(score)), "%s: descriptor for score %d, which is not on the scale", name, score)
			}
		}
		r.Competencies = append(r.Competencies, comp)
	}

	if y.PassRule == nil {
		add(l.Line("pass_rule"), "pass_rule is required (min_each and min_total)")
		return
	}
	switch me := y.PassRule.MinEach; {
	case me == nil:
		add(l.Line("pass_rule", "min_each"), "pass_rule: min_each is required")
	case scaleOK && (*me < r.Scale[0].Score || *me > r.Scale[len(r.Scale)-1].Score):
		add(l.Line("pass_rule", "min_each"), "pass_rule: min_each %d is outside the scale (%d to %d)", *me, r.Scale[0].Score, r.Scale[len(r.Scale)-1].Score)
	default:
		r.MinEach = *me
	}
	// min_total lies between what min_each already demands of every competency and the maximum.
	floor := r.MinEach * len(r.Competencies)
	switch mt := y.PassRule.MinTotal; {
	case mt == nil:
		add(l.Line("pass_rule", "min_total"), "pass_rule: min_total is required")
	case scaleOK && *mt > r.MaxTotal():
		add(l.Line("pass_rule", "min_total"), "pass_rule: min_total %d cannot be reached: %d competencies can score at most %d", *mt, len(r.Competencies), r.MaxTotal())
	case scaleOK && *mt < floor:
		add(l.Line("pass_rule", "min_total"), "pass_rule: min_total %d is below what min_each already requires (%d competencies × %d = %d)", *mt, len(r.Competencies), r.MinEach, floor)
	case *mt < 1:
		add(l.Line("pass_rule", "min_total"), "pass_rule: min_total must be at least 1")
	default:
		r.MinTotal = *mt
	}
}

// validateScenarios checks the scenarios: at least MinScenarios, unique ids, a title, both cues, and
// a heading in the guidance that ends with the title (the scenario card the examiner reads).
func validateScenarios(r *Rubric, ys []scenarioYAML, l curriculum.YAMLLines, body []byte, add func(int, string, ...any)) {
	if len(ys) < MinScenarios {
		add(l.Line("scenarios"), "scenarios: %d given; at least %d are needed so that examiners can rotate them", len(ys), MinScenarios)
	}
	var headings []string
	for _, line := range strings.Split(string(body), "\n") {
		if h, ok := strings.CutPrefix(strings.TrimSpace(line), "#"); ok {
			headings = append(headings, strings.TrimSpace(strings.TrimLeft(h, "#")))
		}
	}
	for i, y := range ys {
		at := func(path ...any) int { return l.Line(append([]any{"scenarios", i}, path...)...) }
		name := fmt.Sprintf("scenario %q", y.ID)
		switch {
		case y.ID == "":
			name = fmt.Sprintf("scenario %d", i+1)
			add(at("id"), "%s: id is required", name)
		case !idRE.MatchString(y.ID):
			add(at("id"), "scenario id %q may contain only lowercase letters, digits and hyphens", y.ID)
		case slices.ContainsFunc(ys[:i], func(o scenarioYAML) bool { return o.ID == y.ID }):
			add(at("id"), "scenario id %q is used twice", y.ID)
		}
		sc := Scenario{ID: y.ID, Title: strings.TrimSpace(y.Title), BoundaryCue: strings.TrimSpace(y.BoundaryCue), RiskCue: strings.TrimSpace(y.RiskCue)}
		if sc.Title == "" {
			add(at("title"), "%s: title is required", name)
		} else if !slices.ContainsFunc(headings, func(h string) bool { return h == sc.Title || strings.HasSuffix(h, ": "+sc.Title) }) {
			add(at("title"), "%s: the guidance has no heading for %q (its scenario card)", name, sc.Title)
		}
		if sc.BoundaryCue == "" {
			add(at("boundary_cue"), "%s: boundary_cue is required (a cue that tests a boundary or ethical limit)", name)
		}
		if sc.RiskCue == "" {
			add(at("risk_cue"), "%s: risk_cue is required (a cue that touches on risk)", name)
		}
		r.Scenarios = append(r.Scenarios, sc)
	}
}
