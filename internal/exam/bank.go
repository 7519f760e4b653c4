// Package exam holds the written examination: the item bank and its blueprint (see
// content/FORMAT.md). This file loads and validates the bank; form delivery builds on it.
package exam

import (
	"fmt"
	"io/fs"
	"maps"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/peeracademy/peeracademy/internal/curriculum"
)

// Dir is the folder of the item bank inside the content file system.
const Dir = "exams/written"

// BlueprintFile holds the blueprint; every other *.yaml file in Dir holds one domain's items.
const BlueprintFile = Dir + "/blueprint.yaml"

// Item types and difficulties.
const (
	TypeSingle    = "single"
	TypeMultiple  = "multiple"
	TypeTrueFalse = "truefalse"

	MinOptions = 3 // single and multiple
	MaxOptions = 6
)

var (
	// Types and Difficulties are the allowed values, in display order.
	Types        = []string{TypeSingle, TypeMultiple, TypeTrueFalse}
	Difficulties = []string{"easy", "medium", "hard"}
	// TrueFalseOptions are the only options a truefalse item may have.
	TrueFalseOptions = []string{"True", "False"}

	domainIDRE = regexp.MustCompile(`^[a-z0-9-]+$`)
)

// Domain is one blueprint domain: the items of one curriculum day, Count of which go on a form.
type Domain struct {
	ID    string
	Day   int
	Count int
	Title string
}

// Blueprint says how many items a form draws from each domain.
type Blueprint struct {
	FormLength int
	Domains    []Domain
}

// Domain finds a blueprint domain by id.
func (bp Blueprint) Domain(id string) (Domain, bool) {
	i := slices.IndexFunc(bp.Domains, func(d Domain) bool { return d.ID == id })
	if i < 0 {
		return Domain{}, false
	}
	return bp.Domains[i], true
}

// Item kinds (see content/FORMAT.md).
const (
	KindScenario  = "scenario"  // apply a skill: what would a peer specialist say or do next, and why
	KindKnowledge = "knowledge" // recall a fact
)

// Kinds are the allowed item kinds.
var Kinds = []string{KindScenario, KindKnowledge}

// Item is one written-exam question. Answer holds the zero-based indices of the keyed options, in
// ascending order. Kind, Modules, Concept and Distractors describe the item for its writers and for
// content check; grading does not use them. Distractors maps a wrong option's index to the
// misconception it represents.
type Item struct {
	ID, Domain, Type, Difficulty, Stem string
	Options                            []string
	Answer                             []int
	Rationale                          string
	Kind, Concept                      string
	Modules                            []string
	Distractors                        map[int]string
	// Src is where the item is written, for problems about it (File and Line of its id).
	Src curriculum.Problem
}

// Keyed reports whether option i is a key.
func (it *Item) Keyed(i int) bool { return slices.Contains(it.Answer, i) }

// At reports a problem about the item (or the field key of it, when lines knows the field).
func (it *Item) At(format string, args ...any) curriculum.Problem {
	return curriculum.Problem{File: it.Src.File, Line: it.Src.Line, Msg: it.ID + ": " + fmt.Sprintf(format, args...)}
}

// Bank is the whole item bank, items ordered by blueprint domain and then as written.
type Bank struct {
	Blueprint Blueprint
	Items     []Item
	byID      map[string]*Item
}

// Item finds an item by id.
func (b *Bank) Item(id string) (*Item, bool) {
	it, ok := b.byID[id]
	return it, ok
}

// ByDomain lists the items of one domain, in bank order.
func (b *Bank) ByDomain(id string) []*Item {
	var out []*Item
	for i := range b.Items {
		if b.Items[i].Domain == id {
			out = append(out, &b.Items[i])
		}
	}
	return out
}

type blueprintYAML struct {
	FormLength *int         `yaml:"form_length"`
	Domains    []domainYAML `yaml:"domains"`
}

type domainYAML struct {
	ID    string `yaml:"id"`
	Day   int    `yaml:"day"`
	Count int    `yaml:"count"`
	Title string `yaml:"title"`
}

type domainFileYAML struct {
	Domain string     `yaml:"domain"`
	Items  []itemYAML `yaml:"items"`
}

type itemYAML struct {
	ID         string   `yaml:"id"`
	Domain     string   `yaml:"domain"` // optional; must match the file's domain
	Type       string   `yaml:"type"`
	Difficulty string   `yaml:"difficulty"`
	Stem       string   `yaml:"stem"`
	Options    []string `yaml:"options"`
	Answer     []int    `yaml:"answer"`
	Rationale  string   `yaml:"rationale"`
	// Item-writing metadata: checked by content check, not needed to deliver or grade.
	Kind        string         `yaml:"kind"`
	Modules     []string       `yaml:"modules"`
	Concept     string         `yaml:"concept"`
	Distractors map[int]string `yaml:"distractors"`
}

type reporter struct {
	file string
	ps   *[]curriculum.Problem
}

func (r reporter) add(line int, format string, args ...any) {
	*r.ps = append(*r.ps, curriculum.Problem{File: r.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// LoadBank reads and validates the blueprint and item files in fsys (exams/written/*.yaml). It
// returns what it could load together with every problem found, sorted by file and line.
func LoadBank(fsys fs.FS) (*Bank, []curriculum.Problem) {
	var ps []curriculum.Problem
	b := &Bank{byID: map[string]*Item{}}

	bpLines, bpOK := loadBlueprint(fsys, b, &ps)
	domainLine := func(id string) int {
		i := slices.IndexFunc(b.Blueprint.Domains, func(d Domain) bool { return d.ID == id })
		return bpLines.Line("domains", i)
	}

	entries, err := fs.ReadDir(fsys, Dir)
	if err != nil {
		ps = append(ps, curriculum.Problem{File: Dir, Msg: "cannot read the item bank folder: " + err.Error()})
		curriculum.SortProblems(ps)
		return b, ps
	}
	type idAt struct {
		file string
		line int
	}
	ids := map[string]idAt{}
	domainFile := map[string]string{}
	byDomain := map[string][]Item{}
	for _, e := range entries {
		name := e.Name()
		file := Dir + "/" + name
		if strings.HasPrefix(name, ".") || file == BlueprintFile {
			continue
		}
		r := reporter{file, &ps}
		if e.IsDir() || path.Ext(name) != ".yaml" {
			r.add(0, "unexpected entry: the item bank holds only blueprint.yaml and one <domain>.yaml file per domain")
			continue
		}
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			r.add(0, "cannot read: %v", err)
			continue
		}
		var df domainFileYAML
		decodeProblems := curriculum.DecodeYAML(file, data, 1, &df)
		ps = append(ps, decodeProblems...)
		lines := curriculum.NewYAMLLines(data, 1)
		validate := len(decodeProblems) == 0
		if !validate && df.Domain == "" && df.Items == nil {
			continue // nothing decoded: the syntax error says it all
		}

		switch _, inBlueprint := b.Blueprint.Domain(df.Domain); {
		case df.Domain == "":
			r.add(lines.Line("domain"), "domain is required")
		case bpOK && !inBlueprint:
			r.add(lines.Line("domain"), "domain %q is not named in blueprint.yaml", df.Domain)
		case domainFile[df.Domain] != "":
			r.add(lines.Line("domain"), "domain %q is already defined by %s", df.Domain, domainFile[df.Domain])
		default:
			domainFile[df.Domain] = file
		}
		if len(df.Items) == 0 {
			r.add(lines.Line("items"), "items: the file holds no items")
		}
		for i, y := range df.Items {
			at := func(key string) int { return lines.Line("items", i, key) }
			it := Item{
				ID: strings.TrimSpace(y.ID), Domain: df.Domain, Type: y.Type, Difficulty: y.Difficulty,
				Stem: strings.TrimSpace(y.Stem), Options: y.Options, Rationale: strings.TrimSpace(y.Rationale),
				Answer: slices.Sorted(slices.Values(y.Answer)),
				Kind:   y.Kind, Modules: y.Modules, Concept: strings.TrimSpace(y.Concept), Distractors: y.Distractors,
				Src: curriculum.Problem{File: file, Line: lines.Line("items", i)},
			}
			switch prev, dup := ids[it.ID]; {
			case it.ID == "":
				r.add(at("id"), "item %d: id is required", i+1)
			case dup:
				r.add(at("id"), "item id %q is already used at %s:%d", it.ID, prev.file, prev.line)
			default:
				ids[it.ID] = idAt{file, at("id")}
			}
			if validate {
				validateItem(r, it, y, at)
			}
			byDomain[df.Domain] = append(byDomain[df.Domain], it)
		}
	}

	// Every domain has its file and enough items; items are ordered by blueprint domain.
	seen := map[string]bool{}
	for _, d := range b.Blueprint.Domains {
		if seen[d.ID] {
			continue // listed twice, reported with the blueprint
		}
		seen[d.ID] = true
		bp := reporter{BlueprintFile, &ps}
		items := byDomain[d.ID]
		switch {
		case domainFile[d.ID] == "":
			bp.add(domainLine(d.ID), "domain %q has no item file (expected %s/%s.yaml with domain: %s)", d.ID, Dir, d.ID, d.ID)
		case len(items) < d.Count:
			reporter{domainFile[d.ID], &ps}.add(0, "domain %q has %d items; the blueprint draws %d for every form", d.ID, len(items), d.Count)
		}
		b.Items = append(b.Items, items...)
		delete(byDomain, d.ID)
	}
	for _, id := range slices.Sorted(maps.Keys(byDomain)) { // items of unknown domains, already reported
		b.Items = append(b.Items, byDomain[id]...)
	}
	for i := range b.Items {
		if _, dup := b.byID[b.Items[i].ID]; !dup && b.Items[i].ID != "" {
			b.byID[b.Items[i].ID] = &b.Items[i]
		}
	}
	curriculum.SortProblems(ps)
	return b, ps
}

func loadBlueprint(fsys fs.FS, b *Bank, ps *[]curriculum.Problem) (curriculum.YAMLLines, bool) {
	r := reporter{BlueprintFile, ps}
	data, err := fs.ReadFile(fsys, BlueprintFile)
	if err != nil {
		r.add(0, "cannot read the blueprint: %v", err)
		return curriculum.YAMLLines{}, false
	}
	var y blueprintYAML
	lines := curriculum.NewYAMLLines(data, 1)
	if dp := curriculum.DecodeYAML(BlueprintFile, data, 1, &y); len(dp) > 0 {
		*ps = append(*ps, dp...)
		return lines, false
	}
	if y.FormLength == nil || *y.FormLength < 1 {
		r.add(lines.Line("form_length"), "form_length is required and must be at least 1")
	} else {
		b.Blueprint.FormLength = *y.FormLength
	}
	if len(y.Domains) == 0 {
		r.add(lines.Line("domains"), "domains: the blueprint names no domains")
	}
	sum := 0
	for i, d := range y.Domains {
		at := func(key string) int { return lines.Line("domains", i, key) }
		switch {
		case d.ID == "":
			r.add(at("id"), "domain %d: id is required", i+1)
		case !domainIDRE.MatchString(d.ID):
			r.add(at("id"), "domain id %q may contain only lowercase letters, digits and hyphens", d.ID)
		case slices.ContainsFunc(y.Domains[:i], func(o domainYAML) bool { return o.ID == d.ID }):
			r.add(at("id"), "domain id %q is listed twice", d.ID)
		}
		if d.Day < 1 || d.Day > curriculum.Days {
			r.add(at("day"), "domain %q: day must be a curriculum day, 1 to %d", d.ID, curriculum.Days)
		}
		if d.Count < 1 {
			r.add(at("count"), "domain %q: count must be at least 1", d.ID)
		}
		if strings.TrimSpace(d.Title) == "" {
			r.add(at("title"), "domain %q: title is required", d.ID)
		}
		sum += d.Count
		b.Blueprint.Domains = append(b.Blueprint.Domains, Domain{ID: d.ID, Day: d.Day, Count: d.Count, Title: strings.TrimSpace(d.Title)})
	}
	if y.FormLength != nil && len(y.Domains) > 0 && sum != *y.FormLength {
		r.add(lines.Line("form_length"), "the domain counts add up to %d but form_length is %d", sum, *y.FormLength)
	}
	return lines, true
}

func validateItem(r reporter, it Item, y itemYAML, at func(string) int) {
	name := it.ID
	if name == "" {
		name = "(no id)"
	}
	if y.Domain != "" && y.Domain != it.Domain {
		r.add(at("domain"), "%s: domain %q does not match the file's domain %q", name, y.Domain, it.Domain)
	}
	if !slices.Contains(Types, it.Type) {
		r.add(at("type"), "%s: type %q must be one of %s", name, it.Type, strings.Join(Types, ", "))
	}
	if !slices.Contains(Difficulties, it.Difficulty) {
		r.add(at("difficulty"), "%s: difficulty %q must be one of %s", name, it.Difficulty, strings.Join(Difficulties, ", "))
	}
	if it.Stem == "" {
		r.add(at("stem"), "%s: stem is required", name)
	}
	if it.Rationale == "" {
		r.add(at("rationale"), "%s: rationale is required", name)
	}

	switch it.Type {
	case TypeTrueFalse:
		if !slices.Equal(it.Options, TrueFalseOptions) {
			r.add(at("options"), `%s: a truefalse item's options must be exactly ["True", "False"]`, name)
		}
	default:
		if n := len(it.Options); n < MinOptions || n > MaxOptions {
			r.add(at("options"), "%s: %d options given; single and multiple items need %d to %d", name, n, MinOptions, MaxOptions)
		}
	}
	for j, o := range it.Options {
		if strings.TrimSpace(o) == "" {
			r.add(at("options"), "%s: option %d is empty", name, j+1)
		} else if slices.Index(it.Options, o) < j {
			r.add(at("options"), "%s: option %d repeats %q", name, j+1, o)
		}
	}

	for j, a := range it.Answer {
		if a < 0 || a >= len(it.Options) {
			r.add(at("answer"), "%s: answer index %d is not an option (0 to %d)", name, a, len(it.Options)-1)
		} else if j > 0 && it.Answer[j-1] == a {
			r.add(at("answer"), "%s: answer index %d is listed twice", name, a)
		}
	}
	switch k := len(it.Answer); it.Type {
	case TypeSingle, TypeTrueFalse:
		if k != 1 {
			r.add(at("answer"), "%s: a %s item keys exactly one option; %d given", name, it.Type, k)
		}
	case TypeMultiple:
		if k < 1 || k >= len(it.Options) {
			r.add(at("answer"), "%s: a multiple (select all that apply) item keys 1 to %d of its options; %d given", name, max(len(it.Options)-1, 1), k)
		}
	}
}

type assessmentYAML struct {
	Course string     `yaml:"course"`
	Items  []itemYAML `yaml:"items"`
}

// LoadAssessment reads a catalogue course's final assessment (content/FORMAT.md: the item format of
// the written bank, with course: instead of domain:) as a bank of one domain, the course, from which
// every form draws formLength items. Items are validated as the written bank's are; ids unique
// within the file (uniqueness across all content is the catalogue's to check).
func LoadAssessment(fsys fs.FS, file, course string, formLength int) (*Bank, []curriculum.Problem) {
	var ps []curriculum.Problem
	b := &Bank{byID: map[string]*Item{}, Blueprint: Blueprint{FormLength: formLength,
		Domains: []Domain{{ID: course, Count: formLength, Title: course}}}}
	r := reporter{file, &ps}
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		r.add(0, "cannot read the assessment: %v", err)
		return b, ps
	}
	var y assessmentYAML
	decodeProblems := curriculum.DecodeYAML(file, data, 1, &y)
	ps = append(ps, decodeProblems...)
	if len(decodeProblems) > 0 {
		return b, ps
	}
	lines := curriculum.NewYAMLLines(data, 1)
	if y.Course != course {
		r.add(lines.Line("course"), "course is %q but the assessment is in the folder of %q", y.Course, course)
	}
	if len(y.Items) == 0 {
		r.add(lines.Line("items"), "items: the assessment holds no items")
	}
	for i, iy := range y.Items {
		at := func(key string) int { return lines.Line("items", i, key) }
		it := Item{
			ID: strings.TrimSpace(iy.ID), Domain: course, Type: iy.Type, Difficulty: iy.Difficulty,
			Stem: strings.TrimSpace(iy.Stem), Options: iy.Options, Rationale: strings.TrimSpace(iy.Rationale),
			Answer: slices.Sorted(slices.Values(iy.Answer)),
			Kind:   iy.Kind, Modules: iy.Modules, Concept: strings.TrimSpace(iy.Concept), Distractors: iy.Distractors,
			Src: curriculum.Problem{File: file, Line: lines.Line("items", i)},
		}
		switch _, dup := b.byID[it.ID]; {
		case it.ID == "":
			r.add(at("id"), "item %d: id is required", i+1)
		case dup:
			r.add(at("id"), "item id %q is used twice in the assessment", it.ID)
		}
		validateItem(r, it, iy, at)
		b.Items = append(b.Items, it)
		if it.ID != "" && b.byID[it.ID] == nil {
			b.byID[it.ID] = &b.Items[len(b.Items)-1]
		}
	}
	// b.Items may have moved while growing: index again.
	clear(b.byID)
	for i := range b.Items {
		if _, dup := b.byID[b.Items[i].ID]; !dup && b.Items[i].ID != "" {
			b.byID[b.Items[i].ID] = &b.Items[i]
		}
	}
	if formLength > len(b.Items) && len(b.Items) > 0 {
		r.add(0, "the assessment has %d items; each attempt draws form_length %d", len(b.Items), formLength)
	}
	curriculum.SortProblems(ps)
	return b, ps
}
