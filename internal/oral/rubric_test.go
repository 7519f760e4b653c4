package oral

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/curriculum"
)

// rubricFixture: lines 3-5 the scale, 7-8 the pass rule, competencies at 10 and 14, scenarios at
// 19-21, the body from 23 (the scenario cards from 28).
const rubricFixture = `---
title: Test rubric
scale:
  - {score: 1, label: Not yet}
  - {score: 2, label: Yes}
pass_rule:
  min_each: 1
  min_total: 3
competencies:
  - id: listening
    title: Listening
    description: "Listens."
    descriptors: {1: "Interrupts.", 2: "Reflects."}
  - id: language
    title: Language
    description: "Speaks well."
    descriptors: {1: "Labels.", 2: "Person-first."}
scenarios:
  - {id: ana, title: "Ana at the drop-in", boundary_cue: "Asks for a ride home.", risk_cue: "Says she has stopped eating."}
  - {id: ben, title: "Ben and his new job", boundary_cue: "Offers a gift card.", risk_cue: "Mentions drinking before work."}
  - {id: cal, title: "Cal after the move", boundary_cue: "Asks to meet at a bar.", risk_cue: "Says nobody would notice if he left."}
---

## Guidance

Score what you see. ![A chart](media/chart.svg)

### Scenario 1: Ana at the drop-in

### Scenario 2: Ben and his new job

### Cal after the move
`

func rubricTree() fstest.MapFS {
	return fstest.MapFS{
		RubricFile:        {Data: []byte(rubricFixture)},
		"media/chart.svg": {Data: []byte("<svg/>")},
	}
}

func strs(ps []curriculum.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestLoadRubricFixture(t *testing.T) {
	r, ps := LoadRubric(rubricTree())
	if len(ps) > 0 {
		t.Fatalf("problems: %q", strs(ps))
	}
	if r.Title != "Test rubric" || !slices.Equal(r.Scale, []Level{{1, "Not yet"}, {2, "Yes"}}) || r.MinEach != 1 || r.MinTotal != 3 ||
		len(r.Competencies) != 2 || r.Competencies[1].Descriptors[2] != "Person-first." || r.MaxTotal() != 4 {
		t.Fatalf("rubric %+v", r)
	}
	for _, want := range []string{`<h2 id="guidance">Guidance</h2>`, `<img src="/media/content/chart.svg" alt="A chart">`} {
		if !strings.Contains(string(r.GuidanceHTML), want) {
			t.Errorf("guidance lacks %s: %s", want, r.GuidanceHTML)
		}
	}
}

func TestLoadRubricProblems(t *testing.T) {
	const f = RubricFile
	tests := []struct {
		name, old, new string
		want           []string
	}{
		{"missing title", "title: Test rubric\n", "", []string{f + ":1: title is required"}},
		{"scale not ascending", "{score: 2, label: Yes}", "{score: 1, label: Yes}", []string{
			f + ":5: scale level 2: score 1 must be higher than the one before (list the scale lowest first)"}},
		{"one-level scale", "  - {score: 2, label: Yes}\n", "", []string{f + ":3: scale: 1 levels given; at least 2 are needed"}},
		{"missing label", "label: Yes", "label: \"\"", []string{f + ":5: scale level 2: label is required"}},
		{"duplicate competency id", "id: language", "id: listening", []string{f + `:14: competency id "listening" is used twice`}},
		{"bad competency id", "id: language", "id: Language Use", []string{f + `:14: competency id "Language Use" may contain only lowercase letters, digits and hyphens`}},
		{"missing descriptor", `{1: "Labels.", 2: "Person-first."}`, `{1: "Labels."}`, []string{f + ":17: language: no descriptor for score 2 (Yes)"}},
		{"descriptor off the scale", `{1: "Labels.", 2: "Person-first."}`, `{1: "Labels.", 2: "Person-first.", 3: "Wow."}`, []string{
			f + ":17: language: descriptor for score 3, which is not on the scale"}},
		{"missing description", "    description: \"Speaks well.\"\n", "", []string{f + ":14: language: description is required"}},
		{"min_each outside scale", "min_each: 1", "min_each: 3", []string{f + ":7: pass_rule: min_each 3 is outside the scale (1 to 2)"}},
		{"min_total unreachable", "min_total: 3", "min_total: 5", []string{f + ":8: pass_rule: min_total 5 cannot be reached: 2 competencies can score at most 4"}},
		{"missing pass rule", "pass_rule:\n  min_each: 1\n  min_total: 3\n", "", []string{f + ":1: pass_rule is required (min_each and min_total)"}},
		{"unknown key", "min_total: 3", "min_total: 3\n  max_total: 4", []string{f + `:9: invalid YAML: unknown key "max_total"`}},
		{"malformed YAML", "title: Test rubric", "title: Test: rubric", []string{f + ":2: invalid YAML: mapping values are not allowed in this context"}},
		{"broken guidance link", "media/chart.svg", "media/missing.svg", []string{f + `:26: link "media/missing.svg" does not resolve (only media/… files can be linked relatively)`}},
		{"empty guidance", "## Guidance\n\nScore what you see. ![A chart](media/chart.svg)\n\n### Scenario 1: Ana at the drop-in\n\n### Scenario 2: Ben and his new job\n\n### Cal after the move\n", "", []string{
			f + `:19: scenario "ana": the guidance has no heading for "Ana at the drop-in" (its scenario card)`,
			f + `:20: scenario "ben": the guidance has no heading for "Ben and his new job" (its scenario card)`,
			f + `:21: scenario "cal": the guidance has no heading for "Cal after the move" (its scenario card)`,
			f + ":23: the examiner guidance (the markdown after the front matter) is empty"}},
		// Scenarios: at least three, unique ids, a title with its card, and both cues.
		{"too few scenarios", "  - {id: cal, title: \"Cal after the move\", boundary_cue: \"Asks to meet at a bar.\", risk_cue: \"Says nobody would notice if he left.\"}\n", "", []string{
			f + ":18: scenarios: 2 given; at least 3 are needed so that examiners can rotate them"}},
		{"duplicate scenario id", "id: ben", "id: ana", []string{f + `:20: scenario id "ana" is used twice`}},
		{"bad scenario id", "id: ben", "id: Ben 2", []string{f + `:20: scenario id "Ben 2" may contain only lowercase letters, digits and hyphens`}},
		{"missing scenario title", `title: "Ben and his new job", `, "", []string{f + `:20: scenario "ben": title is required`}},
		{"scenario without its card", "### Scenario 2: Ben and his new job", "### Scenario 2: Ben", []string{
			f + `:20: scenario "ben": the guidance has no heading for "Ben and his new job" (its scenario card)`}},
		{"missing boundary cue", `boundary_cue: "Offers a gift card.", `, "", []string{
			f + `:20: scenario "ben": boundary_cue is required (a cue that tests a boundary or ethical limit)`}},
		{"empty risk cue", `risk_cue: "Mentions drinking before work."`, `risk_cue: " "`, []string{
			f + `:20: scenario "ben": risk_cue is required (a cue that touches on risk)`}},
		{"no front matter", "---\ntitle", "title", []string{f + `:1: missing front matter: the file must start with a line "---"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := rubricTree()
			src := string(fsys[RubricFile].Data)
			if !strings.Contains(src, tt.old) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			fsys[RubricFile].Data = []byte(strings.Replace(src, tt.old, tt.new, 1))
			_, ps := LoadRubric(fsys)
			if got := strs(ps); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
	if _, ps := LoadRubric(fstest.MapFS{}); len(ps) != 1 || ps[0].File != RubricFile || ps[0].Line != 0 {
		t.Errorf("missing file: %q", strs(ps))
	}
}

func TestPasses(t *testing.T) {
	r, ps := LoadRubric(content.FS)
	if len(ps) > 0 {
		t.Fatalf("problems: %q", strs(ps))
	}
	ids := []string{"recovery-story", "listening", "language", "boundaries-ethics", "risk-response", "self-directed-goals", "resources", "cultural-humility"}
	scores := func(s ...int) map[string]int {
		m := map[string]int{}
		for i, v := range s {
			m[ids[i]] = v
		}
		return m
	}
	with := func(m map[string]int, k string, v int) map[string]int { m[k] = v; return m }
	tests := []struct {
		name   string
		scores map[string]int
		pass   bool
		reason string // substring of the reason
	}{
		{"worked example: pass at 18", scores(2, 3, 2, 2, 2, 3, 2, 2), true, ""},
		{"all 3s", scores(3, 3, 3, 3, 3, 3, 3, 3), true, ""},
		{"worked example: a 1 fails despite 22", scores(3, 3, 3, 3, 1, 3, 3, 3), false,
			"every competency must score at least 2, but Recognizing and responding to risk (risk-response) scored 1"},
		{"worked example: all 2s total 16", scores(2, 2, 2, 2, 2, 2, 2, 2), false, "the total is 16, below the 18 required (out of 24)"},
		{"both rules broken", scores(1, 3, 3, 2, 2, 2, 2, 2), false, "scored 1; the total is 17"},
		{"missing score", scores(3, 3, 3, 3, 3, 3, 3), false, `the scores cannot be judged: "cultural-humility" has no score`},
		{"score off the scale", scores(4, 3, 3, 3, 3, 3, 3, 3), false, `"recovery-story" has the score 4, which is not on the scale (1, 2, 3)`},
		{"zero is off the scale", scores(0, 3, 3, 3, 3, 3, 3, 3), false, `"recovery-story" has the score 0`},
		{"unknown competency", with(scores(3, 3, 3, 3, 3, 3, 3, 3), "charisma", 3), false, `"charisma" is not a competency of this rubric`},
		{"nil scores", nil, false, `"recovery-story" has no score`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pass, reason := r.Passes(tt.scores)
			if pass != tt.pass || (tt.pass && reason != "") || !strings.Contains(reason, tt.reason) {
				t.Errorf("Passes = %v, %q; want %v, %q", pass, reason, tt.pass, tt.reason)
			}
		})
	}
}

func TestRealRubric(t *testing.T) {
	r, ps := LoadRubric(content.FS)
	for _, p := range ps {
		t.Error(p)
	}
	if len(r.Competencies) != 8 || len(r.Scale) != 3 || r.MinEach != 2 || r.MinTotal != 18 || r.MaxTotal() != 24 {
		t.Errorf("rubric: %d competencies, scale %v, min each %d, min total %d", len(r.Competencies), r.Scale, r.MinEach, r.MinTotal)
	}
	for _, c := range r.Competencies {
		for _, l := range r.Scale {
			if c.Descriptors[l.Score] == "" {
				t.Errorf("%s: no descriptor for %d", c.ID, l.Score)
			}
		}
	}
	if len(r.Scenarios) != 7 {
		t.Errorf("%d scenarios, want the 7 cards of the guidance", len(r.Scenarios))
	}
	for _, s := range r.Scenarios {
		if s.BoundaryCue == "" || s.RiskCue == "" || s.Title == "" {
			t.Errorf("scenario %+v lacks a cue or title", s)
		}
	}
	if !strings.Contains(string(r.GuidanceHTML), `<h2 id="how-to-score">How to score</h2>`) || !strings.Contains(string(r.GuidanceHTML), "<table>") {
		t.Errorf("guidance not rendered: %.300s", r.GuidanceHTML)
	}
}
