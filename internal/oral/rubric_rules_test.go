package oral

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// The pass rule's legal range, at its edges: min_each within the scale, min_total between
// competencies × min_each and the highest total, and at least 1. rubricFixture has a scale of 1 and
// 2 and two competencies, so the highest total is 4.
func TestRubricPassRuleRange(t *testing.T) {
	const f = RubricFile
	tests := []struct {
		name             string
		replace          []string // old, new, old, new ...
		minEach, minTotl int      // loaded values when there is no problem
		want             []string
	}{
		{"min_each at the lowest score", nil, 1, 3, nil},
		{"min_each at the highest score, min_total at the highest total", []string{"min_each: 1", "min_each: 2", "min_total: 3", "min_total: 4"}, 2, 4, nil},
		{"min_each below the scale", []string{"min_each: 1", "min_each: 0"}, 0, 0, []string{f + ":7: pass_rule: min_each 0 is outside the scale (1 to 2)"}},
		{"min_each above the scale", []string{"min_each: 1", "min_each: 3"}, 0, 0, []string{f + ":7: pass_rule: min_each 3 is outside the scale (1 to 2)"}},
		{"min_total equal to competencies × min_each", []string{"min_total: 3", "min_total: 2"}, 1, 2, nil},
		{"min_total below competencies × min_each", []string{"min_total: 3", "min_total: 1"}, 0, 0, []string{
			f + ":8: pass_rule: min_total 1 is below what min_each already requires (2 competencies × 1 = 2)"}},
		{"min_total one over the highest total", []string{"min_total: 3", "min_total: 5"}, 0, 0, []string{
			f + ":8: pass_rule: min_total 5 cannot be reached: 2 competencies can score at most 4"}},
		{"min_total 0 with a scale from 0", []string{"{score: 1, label: Not yet}", "{score: 0, label: Not yet}", "min_each: 1", "min_each: 0", "min_total: 3", "min_total: 0", `{1: "Interrupts."`, `{0: "Interrupts."`, `{1: "Labels."`, `{0: "Labels."`},
			0, 0, []string{f + ":8: pass_rule: min_total must be at least 1"}},
		{"min_total 1 with a scale from 0", []string{"{score: 1, label: Not yet}", "{score: 0, label: Not yet}", "min_each: 1", "min_each: 0", "min_total: 3", "min_total: 1", `{1: "Interrupts."`, `{0: "Interrupts."`, `{1: "Labels."`, `{0: "Labels."`},
			0, 1, nil},
		{"min_total negative", []string{"min_total: 3", "min_total: -1"}, 0, 0, []string{
			f + ":8: pass_rule: min_total -1 is below what min_each already requires (2 competencies × 1 = 2)"}},
		{"min_each missing", []string{"  min_each: 1\n", ""}, 0, 0, []string{f + ":6: pass_rule: min_each is required"}},
		{"min_total missing", []string{"  min_total: 3\n", ""}, 0, 0, []string{f + ":6: pass_rule: min_total is required"}},
		{"scale level without a score", []string{"{score: 1, label: Not yet}", "{label: Not yet}"}, 0, 0, []string{f + ":4: scale level 1: score is required"}},
		{"scale level without a label", []string{"{score: 1, label: Not yet}", "{score: 1}"}, 1, 3, []string{f + ":4: scale level 1: label is required"}},
		{"competency without an id", []string{"  - id: language\n", "  - id: \"\"\n"}, 1, 3, []string{f + ":14: competency 2: id is required"}},
		{"competency without a title", []string{"    title: Language\n", ""}, 1, 3, []string{f + ":14: language: title is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := rubricTree()
			src := string(fsys[RubricFile].Data)
			for i := 0; i+1 < len(tt.replace); i += 2 {
				if !strings.Contains(src, tt.replace[i]) {
					t.Fatalf("fixture lacks %q", tt.replace[i])
				}
				src = strings.Replace(src, tt.replace[i], tt.replace[i+1], 1)
			}
			fsys[RubricFile].Data = []byte(src)
			r, ps := LoadRubric(fsys)
			if got := strs(ps); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got  %q\n want %q", got, tt.want)
			}
			if len(tt.want) == 0 && (r.MinEach != tt.minEach || r.MinTotal != tt.minTotl) {
				t.Errorf("pass rule = %d each, %d total; want %d, %d", r.MinEach, r.MinTotal, tt.minEach, tt.minTotl)
			}
		})
	}
}

// A rubric without competencies is refused, and a scale level without a score stops every check
// that depends on the scale (no descriptor or pass-rule complaints that would only repeat it).
func TestRubricNoCompetenciesAndBrokenScale(t *testing.T) {
	fsys := rubricTree()
	src := string(fsys[RubricFile].Data)
	i, j := strings.Index(src, "competencies:"), strings.Index(src, "scenarios:") // keep the scenarios
	fsys[RubricFile].Data = []byte(src[:i] + "competencies: []\n" + src[j:])
	r, ps := LoadRubric(fsys)
	if got, want := strs(ps), []string{
		RubricFile + ":8: pass_rule: min_total 3 cannot be reached: 0 competencies can score at most 0",
		RubricFile + ":9: competencies: the rubric names none"}; !slices.Equal(got, want) {
		t.Errorf("problems:\n got  %q\n want %q", got, want)
	}
	if r.MaxTotal() != 0 || len(r.Competencies) != 0 {
		t.Errorf("rubric %+v", r)
	}

	fsys = rubricTree()
	src = strings.Replace(string(fsys[RubricFile].Data), "{score: 2, label: Yes}", "{label: Yes}", 1)
	fsys[RubricFile].Data = []byte(strings.Replace(src, "min_each: 1", "min_each: 7", 1))
	_, ps = LoadRubric(fsys)
	if got, want := strs(ps), []string{RubricFile + ":5: scale level 2: score is required"}; !slices.Equal(got, want) {
		t.Errorf("problems with a scoreless level:\n got  %q\n want %q", got, want)
	}
}

// Passes at the edges of the rule, with the fixture's rule (each at least 1, total at least 3).
func TestRubricPassesEdges(t *testing.T) {
	r, ps := LoadRubric(rubricTree())
	if len(ps) > 0 {
		t.Fatalf("problems: %q", strs(ps))
	}
	tests := []struct {
		name   string
		scores map[string]int
		pass   bool
		reason string
	}{
		{"total exactly the minimum", map[string]int{"listening": 1, "language": 2}, true, ""},
		{"total one below", map[string]int{"listening": 1, "language": 1}, false, "the total is 2, below the 3 required (out of 4)"},
		{"highest scores", map[string]int{"listening": 2, "language": 2}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pass, reason := r.Passes(tt.scores)
			if pass != tt.pass || reason != tt.reason {
				t.Errorf("Passes = %v, %q; want %v, %q", pass, reason, tt.pass, tt.reason)
			}
		})
	}
	r.MinEach = 2 // each at least 2: a 1 fails even when the total would do
	if pass, reason := r.Passes(map[string]int{"listening": 1, "language": 2}); pass || reason != "every competency must score at least 2, but Listening (listening) scored 1" {
		t.Errorf("Passes = %v, %q", pass, reason)
	}
	if l, ok := r.Level(2); !ok || l.Label != "Yes" {
		t.Errorf("Level(2) = %v, %v", l, ok)
	}
	if _, ok := r.Level(3); ok {
		t.Error("Level(3) found")
	}
	if c, ok := r.Competency("language"); !ok || c.Title != "Language" {
		t.Errorf("Competency(language) = %v, %v", c, ok)
	}
}

// Only files under media/ can be linked from the guidance: not another content file, not a folder.
func TestRubricGuidanceLinks(t *testing.T) {
	for _, dest := range []string{"exams/oral-rubric.md", "media/sub", "media/../exams/oral-rubric.md"} {
		fsys := rubricTree()
		fsys["media/sub/x.svg"] = &fstest.MapFile{Data: []byte("<svg/>")}
		src := string(fsys[RubricFile].Data)
		fsys[RubricFile].Data = []byte(strings.Replace(src, "media/chart.svg", dest, 1))
		_, ps := LoadRubric(fsys)
		want := []string{RubricFile + `:26: link "` + dest + `" does not resolve (only media/… files can be linked relatively)`}
		if got := strs(ps); !slices.Equal(got, want) {
			t.Errorf("link to %s:\n got  %q\n want %q", dest, got, want)
		}
	}
}

// MaxTotal is the highest score times the number of competencies, whatever the scale's length.
func TestRubricMaxTotal(t *testing.T) {
	two := make([]Competency, 2)
	for _, tt := range []struct {
		r    Rubric
		want int
	}{
		{Rubric{}, 0},
		{Rubric{Competencies: two}, 0},
		{Rubric{Scale: []Level{{3, "Top"}}, Competencies: two}, 6},
		{Rubric{Scale: []Level{{1, "Low"}, {4, "Top"}}, Competencies: two}, 8},
	} {
		if got := tt.r.MaxTotal(); got != tt.want {
			t.Errorf("MaxTotal of %+v = %d, want %d", tt.r, got, tt.want)
		}
	}
}

// A score at either end of the scale needs an evidence note, one in between does not; scenarios are
// found by id.
func TestRubricEndsAndScenarios(t *testing.T) {
	r := Rubric{Scale: []Level{{1, "Not yet"}, {2, "Partly"}, {3, "Yes"}}}
	for score, want := range map[int]bool{0: false, 1: true, 2: false, 3: true, 4: false} {
		if got := r.AtEnd(score); got != want {
			t.Errorf("AtEnd(%d) = %v, want %v", score, got, want)
		}
	}
	if (&Rubric{}).AtEnd(0) {
		t.Error("AtEnd(0) on a rubric without a scale")
	}
	if one := (Rubric{Scale: []Level{{1, "Only"}}}); !one.AtEnd(1) {
		t.Error("AtEnd(1) on a one-level scale: its only score is at both ends")
	}
	f, ps := LoadRubric(rubricTree())
	if len(ps) > 0 {
		t.Fatalf("problems: %q", strs(ps))
	}
	if s, ok := f.Scenario("ben"); !ok || s.Title != "Ben and his new job" || s.RiskCue != "Mentions drinking before work." {
		t.Errorf("Scenario(ben) = %+v, %v", s, ok)
	}
	if s, ok := f.Scenario("ana"); !ok || s.Title != "Ana at the drop-in" {
		t.Errorf("Scenario(ana) = %+v, %v", s, ok)
	}
	if s, ok := f.Scenario("zed"); ok || s != (Scenario{}) {
		t.Errorf("Scenario(zed) = %+v, %v", s, ok)
	}
}
