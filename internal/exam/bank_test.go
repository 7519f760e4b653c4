package exam

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/peeracademy/peeracademy/content"
	"github.com/peeracademy/peeracademy/internal/curriculum"
)

const bpFixture = `form_length: 4
domains:
  - {id: alpha, day: 1, count: 2, title: "Alpha things"}
  - {id: beta,  day: 2, count: 2, title: "Beta things"}
`

// domainFixture has three valid items; line numbers: items at 3, 11 and 19.
func domainFixture(domain, prefix string) string {
	return `domain: ` + domain + `
items:
  - id: ` + prefix + `-1
    type: single
    difficulty: easy
    stem: "Which one?"
    options: ["a", "b", "c"]
    answer: [1]
    rationale: "Because b."

  - id: ` + prefix + `-2
    type: multiple
    difficulty: medium
    stem: "Which ones?"
    options: ["a", "b", "c", "d"]
    answer: [3, 0]
    rationale: "Because a and d."

  - id: ` + prefix + `-3
    type: truefalse
    difficulty: hard
    stem: "True?"
    options: ["True", "False"]
    answer: [1]
    rationale: "It is false."
`
}

func bankTree() fstest.MapFS {
	return fstest.MapFS{
		"exams/written/blueprint.yaml": {Data: []byte(bpFixture)},
		"exams/written/alpha.yaml":     {Data: []byte(domainFixture("alpha", "ALP"))},
		"exams/written/beta.yaml":      {Data: []byte(domainFixture("beta", "BET"))},
	}
}

func edit(t *testing.T, fsys fstest.MapFS, file, old, new string) {
	t.Helper()
	f, ok := fsys[file]
	if !ok || !strings.Contains(string(f.Data), old) {
		t.Fatalf("fixture: %s does not contain %q", file, old)
	}
	f.Data = []byte(strings.Replace(string(f.Data), old, new, 1))
}

func strs(ps []curriculum.Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestLoadBankValid(t *testing.T) {
	b, ps := LoadBank(bankTree())
	if len(ps) > 0 {
		t.Fatalf("problems: %q", strs(ps))
	}
	if b.Blueprint.FormLength != 4 || len(b.Blueprint.Domains) != 2 || b.Blueprint.Domains[1] != (Domain{"beta", 2, 2, "Beta things"}) {
		t.Fatalf("blueprint %+v", b.Blueprint)
	}
	if len(b.Items) != 6 || b.Items[0].ID != "ALP-1" || b.Items[3].ID != "BET-1" {
		t.Fatalf("items %+v", b.Items)
	}
	it, ok := b.Item("ALP-2")
	if !ok || it.Domain != "alpha" || it.Type != TypeMultiple || !slices.Equal(it.Answer, []int{0, 3}) || it != &b.Items[1] {
		t.Fatalf("Item(ALP-2) = %+v, %v", it, ok)
	}
	if _, ok := b.Item("nope"); ok {
		t.Error("Item(nope) found")
	}
	if it.Src.File != "exams/written/alpha.yaml" || it.Src.Line != 11 {
		t.Errorf("ALP-2 written at %s:%d, want exams/written/alpha.yaml:11", it.Src.File, it.Src.Line)
	}
	got := b.ByDomain("beta")
	if len(got) != 3 || got[2].ID != "BET-3" || got[0] != &b.Items[3] {
		t.Errorf("ByDomain(beta) = %v", got)
	}
	if len(b.ByDomain("gamma")) != 0 {
		t.Error("ByDomain(gamma) not empty")
	}
}

func TestLoadBankItemMetadata(t *testing.T) {
	f := bankTree()
	edit(t, f, "exams/written/alpha.yaml", "    rationale: \"Because b.\"\n", `    rationale: "Because b."
    kind: scenario
    modules: [one, two]
    concept: "  the b thing "
    distractors:
      0: "Thinks a."
      2: "Thinks c."
`)
	b, ps := LoadBank(f)
	if len(ps) > 0 {
		t.Fatalf("problems: %q", strs(ps))
	}
	it, _ := b.Item("ALP-1")
	if it.Kind != KindScenario || !slices.Equal(it.Modules, []string{"one", "two"}) || it.Concept != "the b thing" ||
		len(it.Distractors) != 2 || it.Distractors[2] != "Thinks c." {
		t.Errorf("ALP-1 = %+v", it)
	}
}

func TestLoadBankProblems(t *testing.T) {
	const bp, alpha, beta = "exams/written/blueprint.yaml", "exams/written/alpha.yaml", "exams/written/beta.yaml"
	tests := []struct {
		name   string
		mutate func(t *testing.T, f fstest.MapFS)
		want   []string
	}{
		{"counts do not add up", func(t *testing.T, f fstest.MapFS) { edit(t, f, bp, "form_length: 4", "form_length: 60") },
			[]string{bp + ":1: the domain counts add up to 4 but form_length is 60"}},
		{"domain without a file", func(t *testing.T, f fstest.MapFS) { delete(f, beta) },
			[]string{bp + `:4: domain "beta" has no item file (expected exams/written/beta.yaml with domain: beta)`}},
		{"too few items for the blueprint", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, bp, "count: 2, title: \"Beta", "count: 4, title: \"Beta")
		},
			[]string{
				beta + `: domain "beta" has 3 items; the blueprint draws 4 for every form`,
				bp + ":1: the domain counts add up to 6 but form_length is 4",
			}},
		{"duplicate domain id in blueprint", func(t *testing.T, f fstest.MapFS) { edit(t, f, bp, "id: beta", "id: alpha") },
			[]string{
				beta + `:1: domain "beta" is not named in blueprint.yaml`,
				bp + `:4: domain id "alpha" is listed twice`,
			}},
		{"bad day", func(t *testing.T, f fstest.MapFS) { edit(t, f, bp, "day: 2", "day: 11") },
			[]string{bp + `:4: domain "beta": day must be a curriculum day, 1 to 10`}},
		{"unknown domain", func(t *testing.T, f fstest.MapFS) { edit(t, f, beta, "domain: beta", "domain: gamma") },
			[]string{
				beta + `:1: domain "gamma" is not named in blueprint.yaml`,
				bp + `:4: domain "beta" has no item file (expected exams/written/beta.yaml with domain: beta)`,
			}},
		{"two files for one domain", func(t *testing.T, f fstest.MapFS) {
			f["exams/written/alpha2.yaml"] = &fstest.MapFile{Data: []byte(domainFixture("alpha", "ALQ"))}
		}, []string{"exams/written/alpha2.yaml:1: domain \"alpha\" is already defined by " + alpha}},
		{"duplicate id", func(t *testing.T, f fstest.MapFS) { edit(t, f, beta, "BET-2", "ALP-2") },
			[]string{beta + `:11: item id "ALP-2" is already used at ` + alpha + ":11"}},
		{"bad type", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "type: single", "type: essay") },
			[]string{alpha + `:4: ALP-1: type "essay" must be one of single, multiple, truefalse`}},
		{"bad difficulty", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "difficulty: easy", "difficulty: trivial") },
			[]string{alpha + `:5: ALP-1: difficulty "trivial" must be one of easy, medium, hard`}},
		{"single with two keys", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "answer: [1]", "answer: [1, 2]") },
			[]string{alpha + ":8: ALP-1: a single item keys exactly one option; 2 given"}},
		{"multiple keying every option", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "answer: [3, 0]", "answer: [3, 0, 1, 2]") },
			[]string{alpha + ":16: ALP-2: a multiple (select all that apply) item keys 1 to 3 of its options; 4 given"}},
		{"multiple with no key", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "answer: [3, 0]", "answer: []") },
			[]string{alpha + ":16: ALP-2: a multiple (select all that apply) item keys 1 to 3 of its options; 0 given"}},
		{"answer out of range", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "answer: [1]", "answer: [3]") },
			[]string{alpha + ":8: ALP-1: answer index 3 is not an option (0 to 2)"}},
		{"repeated answer", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "answer: [3, 0]", "answer: [3, 3]") },
			[]string{alpha + ":16: ALP-2: answer index 3 is listed twice"}},
		{"truefalse options", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, `["True", "False"]`, `["Yes", "No"]`) },
			[]string{alpha + `:23: ALP-3: a truefalse item's options must be exactly ["True", "False"]`}},
		{"too few options", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, alpha, `options: ["a", "b", "c"]`, `options: ["a", "b"]`)
		},
			[]string{alpha + ":7: ALP-1: 2 options given; single and multiple items need 3 to 6"}},
		{"empty stem", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, `stem: "Which one?"`, `stem: ""`) },
			[]string{alpha + ":6: ALP-1: stem is required"}},
		{"missing rationale", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "    rationale: \"Because b.\"\n", "") },
			[]string{alpha + ":3: ALP-1: rationale is required"}},
		{"item domain mismatch", func(t *testing.T, f fstest.MapFS) {
			edit(t, f, alpha, "    type: single\n", "    domain: beta\n    type: single\n")
		},
			[]string{alpha + `:4: ALP-1: domain "beta" does not match the file's domain "alpha"`}},
		{"unknown key", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "    type: single\n", "    sort: single\n") },
			[]string{alpha + `:4: invalid YAML: unknown key "sort"`}},
		{"malformed YAML", func(t *testing.T, f fstest.MapFS) { edit(t, f, alpha, "type: single", "type: : single") },
			[]string{alpha + ":4: invalid YAML: mapping values are not allowed in this context",
				bp + `:3: domain "alpha" has no item file (expected exams/written/alpha.yaml with domain: alpha)`}},
		{"missing blueprint", func(t *testing.T, f fstest.MapFS) { delete(f, bp) },
			[]string{bp + ": cannot read the blueprint: open exams/written/blueprint.yaml: file does not exist"}},
		{"unexpected file", func(t *testing.T, f fstest.MapFS) { f["exams/written/notes.txt"] = &fstest.MapFile{Data: []byte("x")} },
			[]string{"exams/written/notes.txt: unexpected entry: the item bank holds only blueprint.yaml and one <domain>.yaml file per domain"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := bankTree()
			tt.mutate(t, f)
			_, ps := LoadBank(f)
			if got := strs(ps); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n got  %q\n want %q", got, tt.want)
			}
		})
	}
}

func TestRealBank(t *testing.T) {
	b, ps := LoadBank(content.FS)
	for _, p := range ps {
		t.Error(p)
	}
	if len(b.Items) < 200 {
		t.Errorf("%d items, want at least 200", len(b.Items))
	}
	total := 0
	for _, d := range b.Blueprint.Domains {
		total += d.Count
		if n := len(b.ByDomain(d.ID)); n < d.Count {
			t.Errorf("domain %s: %d items for %d per form", d.ID, n, d.Count)
		}
	}
	if total != b.Blueprint.FormLength || b.Blueprint.FormLength != 60 {
		t.Errorf("form length %d, counts %d", b.Blueprint.FormLength, total)
	}
	t.Logf("%d items in %d domains", len(b.Items), len(b.Blueprint.Domains))
}
