package contentcheck

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/peeracademy/peeracademy/internal/curriculum"
	"github.com/peeracademy/peeracademy/internal/exam"
)

// Each limit holds at its exact value and is broken one question past it: a set exactly at a limit
// is allowed ("at most 30%", "within 10 points", "40-60%", "at most 40%").
func TestCueLimitsAtTheirExactValue(t *testing.T) {
	at := func(format string, args ...any) curriculum.Problem {
		return curriculum.Problem{Msg: fmt.Sprintf(format, args...)}
	}
	// Shortest keys alongside, so that the longest/shortest spread stays within its 10 points.
	base := stats{absKeys: share{0, 10}, absDis: share{0, 30}}
	for _, tc := range []struct {
		name string
		s    func(stats) stats
		want string // a word of the one problem expected, "" for none
	}{
		{"longest at 30% of 10, shortest at 30%", func(s stats) stats { s.longest, s.shortest = share{3, 10}, share{3, 10}; return s }, ""},
		{"longest at 4 of 13 (30.8%)", func(s stats) stats { s.longest, s.shortest = share{4, 13}, share{4, 13}; return s }, "strictly the longest option in 31% (4 of 13)"},
		{"spread of exactly 10 points, longest ahead", func(s stats) stats { s.longest, s.shortest = share{3, 10}, share{2, 10}; return s }, ""},
		{"spread of exactly 10 points, shortest ahead", func(s stats) stats { s.longest, s.shortest = share{1, 10}, share{2, 10}; return s }, ""},
		{"spread of 20 points, shortest ahead", func(s stats) stats { s.longest, s.shortest = share{1, 10}, share{3, 10}; return s }, "within 10 points"},
		{"spread of 20 points, longest ahead", func(s stats) stats { s.longest, s.shortest = share{3, 10}, share{1, 10}; return s }, "within 10 points"},
		{"true at exactly 40%", func(s stats) stats { s.tfTrue = share{2, 5}; return s }, ""},
		{"true at exactly 60%", func(s stats) stats { s.tfTrue = share{3, 5}; return s }, ""},
		{"true at 1 of 3", func(s stats) stats { s.tfTrue = share{1, 3}; return s }, "keyed True in 33% (1 of 3)"},
		{"true at 2 of 3", func(s stats) stats { s.tfTrue = share{2, 3}; return s }, "keyed True in 67% (2 of 3)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := cueProblems(tc.s(base), BankLimits, "the bank", at)
			switch {
			case tc.want == "" && len(ps) > 0:
				t.Errorf("problems %v, want none", ps)
			case tc.want != "" && (len(ps) != 1 || !strings.Contains(ps[0].Msg, tc.want)):
				t.Errorf("problems %v, want one saying %q", ps, tc.want)
			}
		})
	}
}

// No key count may cover more than 40% of the select-all items: exactly 40% is allowed. Every count
// from 1 to (options - 1) must be used, and no more than that is asked.
func TestKeyCountLimitAtItsExactValue(t *testing.T) {
	at := func(format string, args ...any) curriculum.Problem {
		return curriculum.Problem{Msg: fmt.Sprintf(format, args...)}
	}
	multi := func(keys ...int) q {
		return q{typ: exam.TypeMultiple, opts: []string{"a", "b", "c", "d"}, keys: keys}
	}
	// 5 items over 4 options: counts 1, 2, 3 used; 1 and 3 keys each exactly 40%.
	ok := []q{multi(0), multi(1), multi(0, 1), multi(0, 1, 2), multi(1, 2, 3)}
	if ps := keyCountProblems(ok, "the bank", at); len(ps) > 0 {
		t.Errorf("counts at exactly 40%%: %v, want none", ps)
	}
	// One more single-key item: 3 of 6 (50%) share one count.
	over := append(ok, multi(2))
	ps := keyCountProblems(over, "the bank", at)
	if len(ps) != 1 || !strings.Contains(ps[0].Msg, "50% (3 of 6) of select-all items have 1 keys") {
		t.Errorf("3 of 6 with one key: %v, want one problem about it", ps)
	}
}

// The longest-key limit holds in every domain: a domain within it (or with no single-answer item, or
// none at all) does not stop the check of the domains after it, and one exactly at 30% is allowed.
func TestDomainLongestKeyLimit(t *testing.T) {
	single := func(domain string, longest bool) q {
		x := q{typ: exam.TypeSingle, group: domain, file: domain + ".yaml", opts: []string{"a short one", "brief", "a third one"}, keys: []int{1}}
		if longest {
			x.opts[1] = "the key, which is much longer than the others"
		}
		return x
	}
	var qs []q
	// "first": 3 of 10 keyed longest, exactly at the limit.
	for i := range 10 {
		qs = append(qs, single("first", i < 3))
	}
	// "tf": true/false items only (no single-answer item to count).
	qs = append(qs, q{typ: exam.TypeTrueFalse, group: "tf", opts: []string{"True", "False"}, keys: []int{0}})
	// "last": 2 of 3 keyed longest, over the limit.
	for i := range 3 {
		qs = append(qs, single("last", i < 2))
	}
	bank := &exam.Bank{Blueprint: exam.Blueprint{Domains: []exam.Domain{{ID: "first"}, {ID: "empty"}, {ID: "tf"}, {ID: "last"}}}}
	ps := domainProblems(bank, qs)
	if len(ps) != 1 || ps[0].File != "last.yaml" || !strings.Contains(ps[0].Msg, "domain last:") {
		t.Fatalf("problems %v, want one about domain last", ps)
	}
}

// A key is "strictly" the longest or shortest: a tie is neither. Questions that are not single-answer
// with one key inside the options are never counted (and never read out of range).
func TestKeyExtremeEdges(t *testing.T) {
	opts := []string{"four", "sixsix", "eightchr"}
	for _, tc := range []struct {
		name              string
		x                 q
		longest, shortest bool
	}{
		{"strictly longest", q{typ: exam.TypeSingle, opts: opts, keys: []int{2}}, true, false},
		{"strictly shortest", q{typ: exam.TypeSingle, opts: opts, keys: []int{0}}, false, true},
		{"in between", q{typ: exam.TypeSingle, opts: opts, keys: []int{1}}, false, false},
		{"tied longest", q{typ: exam.TypeSingle, opts: []string{"four", "eightchr", "8 chars!"}, keys: []int{1}}, false, false},
		{"tied shortest", q{typ: exam.TypeSingle, opts: []string{"four", "five", "eightchr"}, keys: []int{0}}, false, false},
		{"select-all with one key", q{typ: exam.TypeMultiple, opts: opts, keys: []int{2}}, false, false},
		{"single with two keys", q{typ: exam.TypeSingle, opts: opts, keys: []int{2, 0}}, false, false},
		{"key below the options", q{typ: exam.TypeSingle, opts: opts, keys: []int{-1}}, false, false},
		{"key just past the options", q{typ: exam.TypeSingle, opts: opts, keys: []int{3}}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, s := keyExtreme(tc.x)
			if l != tc.longest || s != tc.shortest {
				t.Errorf("keyExtreme = %v, %v; want %v, %v", l, s, tc.longest, tc.shortest)
			}
		})
	}
}

// A knowledge check is true/false when its two options are True and False, in either order, and only
// then.
func TestCheckQTrueFalse(t *testing.T) {
	m := &curriculum.Module{File: "m.md"}
	for _, tc := range []struct {
		opts []string
		want string
	}{
		{[]string{"True", "False"}, exam.TypeTrueFalse},
		{[]string{"False", "True"}, exam.TypeTrueFalse},
		{[]string{"True", "False", "It depends"}, exam.TypeSingle},
		{[]string{"True", "Maybe"}, exam.TypeSingle},
		{[]string{"Maybe", "False"}, exam.TypeSingle},
		{[]string{"Yes", "No"}, exam.TypeSingle},
	} {
		if got := checkQ(m, 0, curriculum.CheckItem{Prompt: "p", Options: tc.opts}).typ; got != tc.want {
			t.Errorf("options %q: type %q, want %q", tc.opts, got, tc.want)
		}
	}
}

// bankProblems runs the bank's checks over items (no curriculum: the items name no module) and
// returns the messages about the bank as a whole that contain word.
func bankProblems(items []exam.Item, word string) []string {
	_, ps := checkItems(&exam.Bank{Items: items}, nil, bpFile, "the bank")
	var out []string
	for _, p := range ps {
		if strings.HasPrefix(p.Msg, "the bank: ") && strings.Contains(p.Msg, word) {
			out = append(out, p.Msg)
		}
	}
	return out
}

// edgeItems makes n true/false items with stems of their own words; the first neg ask in the
// negative and the first scen are scenario items.
func edgeItems(n, neg, scen int) []exam.Item {
	items := make([]exam.Item, n)
	for i := range items {
		stem := fmt.Sprintf("A peer specialist can %s %s.", uniq(2*i), uniq(2*i+1))
		if i < neg {
			stem = fmt.Sprintf("Which step is NOT right for %s %s?", uniq(2*i), uniq(2*i+1))
		}
		kind := exam.KindKnowledge
		if i < scen {
			kind = exam.KindScenario
		}
		items[i] = exam.Item{ID: fmt.Sprintf("E-%02d", i+1), Type: exam.TypeTrueFalse, Kind: kind, Stem: stem,
			Options: exam.TrueFalseOptions, Answer: []int{i % 2}, Concept: "lesson " + uniq(2*i)}
	}
	return items
}

// At most 5% of stems may ask in the negative: 1 of 20 is allowed, 1 of 19 (5.3%) is not. At least
// 60% of items must be scenario items: 3 of 5 is enough, 3 of 6 is not. An empty bank (whose loading
// is refused elsewhere) gets no share problem, nor any other from the bank's checks.
func TestBankSharesAtTheirLimits(t *testing.T) {
	for _, tc := range []struct {
		name  string
		items []exam.Item
		word  string
		want  string // "" for none
	}{
		{"1 of 20 negative", edgeItems(20, 1, 20), "negative", ""},
		{"1 of 19 negative", edgeItems(19, 1, 19), "negative", "the bank: 5% (1 of 19) of stems ask in the negative (NOT, EXCEPT, LEAST); at most 5% allowed"},
		{"3 of 5 scenario", edgeItems(5, 0, 3), "scenario", ""},
		{"3 of 6 scenario", edgeItems(6, 0, 3), "scenario", "the bank: 50% (3 of 6) of items are scenario items; at least 60% expected"},
		{"empty bank", nil, "", ""},
	} {
		got := bankProblems(tc.items, tc.word)
		if want := []string{tc.want}; tc.want == "" && len(got) > 0 || tc.want != "" && !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// An item names 1 to 3 modules: 1 and 3 are allowed, 0 and 4 are not.
func TestModuleCountLimits(t *testing.T) {
	c, _ := curriculum.Load(newFixture().fs(t))
	if c == nil {
		t.Fatal("fixture curriculum does not load")
	}
	for _, tc := range []struct {
		modules []string
		want    string // "" for no problem
	}{
		{nil, "modules: 0 given; name the 1 to 3 modules that teach the item"},
		{[]string{"mod-one"}, ""},
		{[]string{"mod-one", "mod-two", "mod-one"}, ""},
		{[]string{"mod-one", "mod-two", "mod-one", "mod-two"}, "modules: 4 given; name the 1 to 3 modules that teach the item"},
	} {
		it := exam.Item{ID: "M-1", Type: exam.TypeTrueFalse, Kind: exam.KindScenario, Options: exam.TrueFalseOptions, Answer: []int{0},
			Modules: tc.modules, Concept: "lesson qaa"}
		var got []string
		for _, p := range metadataProblems(&it, c) {
			got = append(got, strings.TrimPrefix(p.Msg, "M-1: "))
		}
		switch {
		case tc.want == "" && len(got) > 0:
			t.Errorf("%d modules: %q, want none", len(tc.modules), got)
		case tc.want != "" && !slices.Equal(got, []string{tc.want}):
			t.Errorf("%d modules: %q, want %q", len(tc.modules), got, tc.want)
		}
	}
}

// Stems sharing 70% of their content words (7 of 10) are near duplicates; 7 of 11 (64%) are not.
func TestNearDuplicateAtItsLimit(t *testing.T) {
	shared := "qaa qab qac qad qae qaf qag"
	first := exam.Item{ID: "D-1", Stem: shared + " qba qbb?", Concept: "one"}
	for _, tc := range []struct {
		second string
		want   []string
	}{
		{shared + " qbc?", []string{"D-2: the stem nearly repeats D-1's (:0; 70% of content words shared, 70% or more is a near duplicate)"}},
		{shared + " qbc qbd?", nil},
	} {
		var got []string
		for _, p := range duplicateProblems([]exam.Item{first, {ID: "D-2", Stem: tc.second, Concept: "two"}}) {
			got = append(got, p.Msg)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("second stem %q: %q, want %q", tc.second, got, tc.want)
		}
	}
}

// An item without a concept (reported by metadataProblems) does not end the duplicate checks of the
// items after it.
func TestDuplicatesAfterAnItemWithoutConcept(t *testing.T) {
	items := edgeItems(4, 0, 4)
	items[1].Concept = ""
	items[3].Concept = items[0].Concept
	items[2].Stem = items[0].Stem
	var got []string
	for _, p := range duplicateProblems(items) {
		got = append(got, p.Msg)
	}
	want := []string{
		"E-03: the stem repeats E-01's (:0)",
		`E-04: concept "lesson qaa" is already E-01's (:0); each item tests its own point`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}

// A bank of one domain (a course assessment) is judged once on the longest-key limit: the bank's
// problem, not the same figure again for its domain.
func TestOneDomainBankJudgedOnce(t *testing.T) {
	bank := &exam.Bank{Blueprint: exam.Blueprint{Domains: []exam.Domain{{ID: "alpha"}}}}
	for i, key := range []int{2, 2, 1} {
		bank.Items = append(bank.Items, exam.Item{ID: fmt.Sprintf("ALP-%02d", i+1), Domain: "alpha", Type: exam.TypeSingle,
			Options: fxOptions, Answer: []int{key}, Src: curriculum.Problem{File: alphaFile}})
	}
	_, ps := checkItems(bank, nil, bpFile, "the assessment")
	var got []string
	for _, p := range ps {
		if strings.Contains(p.Msg, "at most 30% allowed") {
			got = append(got, p.File+": "+p.Msg)
		}
	}
	want := []string{bpFile + ": the assessment: the key is strictly the longest option in 67% (2 of 3) of single-answer items; at most 30% allowed"}
	if !slices.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
}

// The test-wise candidate guesses the modal key count of the select-all items only (single-answer
// items have one key too, and must not outvote them).
func TestModalKeyCount(t *testing.T) {
	bank := &exam.Bank{}
	for _, keys := range [][]int{{0}, {1}, {2}, {0, 1}, {1, 2}, {0}} {
		typ := exam.TypeSingle
		if len(keys) > 1 || len(bank.Items) == 5 {
			typ = exam.TypeMultiple
		}
		bank.Items = append(bank.Items, exam.Item{Type: typ, Options: fxOptions, Answer: keys})
	}
	if k := modalKeyCount(bank); k != 2 {
		t.Errorf("select-all items keyed 2, 2 and 1 times, with three single-answer items: modal count %d, want 2", k)
	}
}

// Every strategy reads its cue the right way round: with absolute words in some keys (which the
// candidate avoids) and the stem's words in others (which the candidate seeks), the simulation gives
// these figures from the documented kind of seed.
func TestSimulateGoldenWithCues(t *testing.T) {
	f := newFixture()
	f.rekey(2, f.singles("alpha")...)
	for _, id := range f.singles("alpha")[:5] {
		it := f.item(id)
		it.Options = []string{fxOptions[0], fxOptions[1], "banana bread loaf, always", fxOptions[3]}
	}
	for _, id := range f.singles("beta")[:5] {
		it := f.item(id)
		word := strings.Fields(strings.TrimSuffix(it.Stem, "?"))
		it.Options = []string{fxOptions[0], fxOptions[1] + " " + word[len(word)-1], fxOptions[2], fxOptions[3]}
	}
	bank, bps := exam.LoadBank(f.fs(t))
	if len(bps) > 0 {
		t.Fatal(bps)
	}
	res, err := Simulate(bank, SimConfig{Forms: 300, Seed: 42, FormLength: 20, PassPercent: 75})
	if err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(res))
	for i, r := range res {
		got[i] = fmt.Sprintf("%s %d/%d %.4f", r.Strategy, r.Passed, r.Forms, r.MeanPercent)
	}
	want := "longest option 0/300 40.2667; shortest option 0/300 6.7833; avoid absolute words 0/300 20.7333; " +
		"most words shared with the stem 0/300 38.0167; fewest words shared with the stem 0/300 20.9500; " +
		"combined: no absolutes, then shared words, then longest 0/300 40.6667; combined: longest, avoiding absolutes 0/300 23.6000"
	if s := strings.Join(got, "; "); s != want {
		t.Errorf("got  %s\nwant %s", s, want)
	}
}

// A spread limit is checked whatever its size (only 0 means "not checked"): within 1 point, 11% and
// 10% pass and 30% and 10% do not.
func TestSpreadLimitOfOnePoint(t *testing.T) {
	at := func(format string, args ...any) curriculum.Problem {
		return curriculum.Problem{Msg: fmt.Sprintf(format, args...)}
	}
	lim := limits{what: "questions", maxLongest: 100, maxLongestSpread: 1, maxTrue: 100}
	if ps := cueProblems(stats{longest: share{11, 100}, shortest: share{10, 100}}, lim, "x", at); len(ps) > 0 {
		t.Errorf("11%% and 10%%: %v, want none", ps)
	}
	ps := cueProblems(stats{longest: share{3, 10}, shortest: share{1, 10}}, lim, "x", at)
	if len(ps) != 1 || !strings.Contains(ps[0].Msg, "within 1 points") {
		t.Errorf("30%% and 10%%: %v, want one problem about the spread", ps)
	}
}

// A distractor note must name an option: -1 and the index just past the options are refused. An item
// whose modules are all unknown is told so, and its concept is not judged against no module at all.
func TestMetadataEdges(t *testing.T) {
	c, _ := curriculum.Load(newFixture().fs(t))
	if c == nil {
		t.Fatal("fixture curriculum does not load")
	}
	for _, tc := range []struct {
		name    string
		edit    func(*exam.Item)
		problem string
	}{
		{"note for option -1", func(it *exam.Item) { it.Distractors[-1] = "x" }, "distractors: -1 is not an option index (0 to 3)"},
		{"note just past the options", func(it *exam.Item) { it.Distractors[4] = "x" }, "distractors: 4 is not an option index (0 to 3)"},
		{"only unknown modules", func(it *exam.Item) { it.Modules = []string{"mod-nine"} }, `modules: no module has the slug "mod-nine"`},
	} {
		it := exam.Item{ID: "M-1", Type: exam.TypeSingle, Kind: exam.KindScenario, Options: fxOptions, Answer: []int{1},
			Distractors: distractorNotes(fxOptions, []int{1}), Modules: []string{"mod-one"}, Concept: "lesson qaa"}
		tc.edit(&it)
		var got []string
		for _, p := range metadataProblems(&it, c) {
			got = append(got, strings.TrimPrefix(p.Msg, "M-1: "))
		}
		if !slices.Equal(got, []string{tc.problem}) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.problem)
		}
	}
}
