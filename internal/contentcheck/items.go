package contentcheck

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/exam"
)

// Limits of the written bank that only it has (content/FORMAT.md).
const (
	MinScenarioPct = 60 // items of kind scenario
	MaxNegativePct = 5  // stems asking in the negative
	MaxKeyCountPct = 40 // select-all items sharing one key count
	MaxItemModules = 3
)

// bankWhere names the whole bank in problems, which are reported at the blueprint.
const bankWhere = "the bank"

// ItemFigures are the headline figures of the written bank.
type ItemFigures struct {
	Items      int
	LongestKey float64 // percent of single-answer items keyed strictly the longest option
}

// checkItems applies the item-writing rules of content/FORMAT.md to the written bank: each item on
// its own, its metadata against the curriculum, and the bank's cue statistics, overall and by
// domain.
// file and where name the bank in problems about it as a whole.
func checkItems(bank *exam.Bank, c *curriculum.Curriculum, file, where string) (ItemFigures, []curriculum.Problem) {
	var ps []curriculum.Problem
	qs := make([]q, len(bank.Items))
	for i := range bank.Items {
		it := &bank.Items[i]
		qs[i] = itemQ(it)
		ps = append(ps, aboveProblems(qs[i])...)
		ps = append(ps, negativeProblems(qs[i])...)
		ps = append(ps, metadataProblems(it, c)...)
	}
	ps = append(ps, duplicateProblems(bank.Items)...)

	at := func(format string, args ...any) curriculum.Problem {
		return curriculum.Problem{File: file, Msg: fmt.Sprintf(format, args...)}
	}
	s := statsOf(qs)
	ps = append(ps, cueProblems(s, BankLimits, where, at)...)
	if len(bank.Blueprint.Domains) > 1 {
		ps = append(ps, domainProblems(bank, qs)...)
	}
	ps = append(ps, keyCountProblems(qs, where, at)...)
	if s.negative.pct() > MaxNegativePct {
		ps = append(ps, at("%s: %s of stems ask in the negative (NOT, EXCEPT, LEAST); at most %d%% allowed", where, s.negative, MaxNegativePct))
	}
	scen := share{of: len(bank.Items)}
	for _, it := range bank.Items {
		scen.n += b2i(it.Kind == exam.KindScenario)
	}
	if scen.of > 0 && scen.pct() < MinScenarioPct {
		ps = append(ps, at("%s: %s of items are scenario items; at least %d%% expected", where, scen, MinScenarioPct))
	}
	return ItemFigures{Items: len(bank.Items), LongestKey: s.longest.pct()}, ps
}

// domainProblems applies the longest-key limit to each domain, reported at the domain's file.
func domainProblems(bank *exam.Bank, qs []q) []curriculum.Problem {
	var ps []curriculum.Problem
	for _, d := range bank.Blueprint.Domains {
		var dq []q
		for _, x := range qs {
			if x.group == d.ID {
				dq = append(dq, x)
			}
		}
		s := statsOf(dq)
		if s.longest.pct() <= BankLimits.maxLongest { // 0 for a domain without single-answer items
			continue
		}
		ps = append(ps, curriculum.Problem{File: dq[0].file, Msg: fmt.Sprintf("domain %s: the key is strictly the longest option in %s of single-answer items; at most %.0f%% allowed",
			d.ID, s.longest, BankLimits.maxLongest)})
	}
	return ps
}

// keyCountProblems checks the select-all items: every key count from 1 to (the most options such an
// item has - 1) is used, and no count covers more than MaxKeyCountPct of them.
func keyCountProblems(qs []q, where string, at func(string, ...any) curriculum.Problem) []curriculum.Problem {
	counts, n, maxOpts := map[int]int{}, 0, 0
	for _, x := range qs {
		if x.typ == exam.TypeMultiple {
			counts[len(x.keys)]++
			n++
			maxOpts = max(maxOpts, len(x.opts))
		}
	}
	if n == 0 {
		return nil
	}
	var ps []curriculum.Problem
	var missing []string
	for k := 1; k < maxOpts; k++ {
		if counts[k] == 0 {
			missing = append(missing, fmt.Sprint(k))
		}
	}
	if len(missing) > 0 {
		ps = append(ps, at("%s: no select-all item has %s keys; every count from 1 to %d must be used", where, strings.Join(missing, ", "), maxOpts-1))
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if s := (share{counts[k], n}); s.pct() > MaxKeyCountPct {
			ps = append(ps, at("%s: %s of select-all items have %d keys; at most %d%% may share a key count", where, s, k, MaxKeyCountPct))
		}
	}
	return ps
}

// metadataProblems checks what an item says about itself: its kind, its distractor notes, the
// modules that teach it and its concept.
func metadataProblems(it *exam.Item, c *curriculum.Curriculum) []curriculum.Problem {
	var ps []curriculum.Problem
	add := func(format string, args ...any) { ps = append(ps, it.At(format, args...)) }
	if !slices.Contains(exam.Kinds, it.Kind) {
		add("kind %q must be one of %s", it.Kind, strings.Join(exam.Kinds, ", "))
	}
	for i := range it.Options {
		if it.Type != exam.TypeTrueFalse && !it.Keyed(i) && strings.TrimSpace(it.Distractors[i]) == "" {
			add("distractors: no line for wrong option %d (%q): say which misconception it represents", i, it.Options[i])
		}
	}
	for _, i := range slices.Sorted(maps.Keys(it.Distractors)) {
		switch {
		case i < 0 || i >= len(it.Options):
			add("distractors: %d is not an option index (0 to %d)", i, len(it.Options)-1)
		case it.Keyed(i):
			add("distractors: option %d is a key, not a distractor", i)
		}
	}
	if n := len(it.Modules); n < 1 || n > MaxItemModules {
		add("modules: %d given; name the 1 to %d modules that teach the item", n, MaxItemModules)
	}
	var named []*curriculum.Module
	for _, slug := range it.Modules {
		if m, ok := c.Module(slug); ok {
			named = append(named, m)
		} else {
			add("modules: no module has the slug %q", slug)
		}
	}
	switch {
	case it.Concept == "":
		add("concept is required: the item's key point, as the module words it")
	case len(named) > 0 && !slices.ContainsFunc(named, func(m *curriculum.Module) bool { return Covers(m, it.Concept) }):
		add("concept %q appears in none of its modules (%s)", it.Concept, strings.Join(it.Modules, ", "))
	}
	return ps
}

// Covers reports whether a module covers a concept: the concept occurs in the module's title,
// objectives or body text, compared with Fold (case-insensitive, whitespace folded).
func Covers(m *curriculum.Module, concept string) bool {
	text := Fold(strings.Join(append([]string{m.Title, m.Text}, m.Objectives...), "\n"))
	return strings.Contains(text, Fold(concept))
}

// duplicateProblems reports items whose stem repeats or nearly repeats an earlier item's (Jaccard
// similarity of content words at least NearDuplicate) and items repeating an earlier concept.
func duplicateProblems(items []exam.Item) []curriculum.Problem {
	var ps []curriculum.Problem
	sets := make([]map[string]bool, len(items))
	concepts := map[string]*exam.Item{}
	for i := range items {
		it := &items[i]
		sets[i] = contentWords(it.Stem)
		for j := range i {
			if Fold(items[j].Stem) == Fold(it.Stem) {
				ps = append(ps, it.At("the stem repeats %s's (%s:%d)", items[j].ID, items[j].Src.File, items[j].Src.Line))
			} else if sim := Jaccard(sets[i], sets[j]); sim >= NearDuplicate {
				ps = append(ps, it.At("the stem nearly repeats %s's (%s:%d; %.0f%% of content words shared, %.0f%% or more is a near duplicate)",
					items[j].ID, items[j].Src.File, items[j].Src.Line, 100*sim, 100*NearDuplicate))
			}
		}
		if it.Concept == "" {
			continue
		}
		if prev, dup := concepts[Fold(it.Concept)]; dup {
			ps = append(ps, it.At("concept %q is already %s's (%s:%d); each item tests its own point", it.Concept, prev.ID, prev.Src.File, prev.Src.Line))
		} else {
			concepts[Fold(it.Concept)] = it
		}
	}
	return ps
}

// checkKnowledgeChecks applies the knowledge-check limits of content/FORMAT.md to every module's
// check items together; the figures are reported at the curriculum folder.
func checkKnowledgeChecks(c *curriculum.Curriculum, folder string) []curriculum.Problem {
	var qs []q
	var ps []curriculum.Problem
	for _, m := range c.Modules() {
		for i, ci := range m.Check {
			x := checkQ(m, i, ci)
			qs = append(qs, x)
			ps = append(ps, aboveProblems(x)...)
		}
	}
	at := func(format string, args ...any) curriculum.Problem {
		return curriculum.Problem{File: folder, Msg: fmt.Sprintf(format, args...)}
	}
	return append(ps, cueProblems(statsOf(qs), CheckLimits, "the knowledge checks", at)...)
}
