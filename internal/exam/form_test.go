package exam

import (
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/peeracademy/peeracademy/content"
)

func realBank(t *testing.T) *Bank {
	t.Helper()
	b, ps := LoadBank(content.FS)
	if len(ps) > 0 {
		t.Fatalf("the real bank has problems: %v", ps)
	}
	return b
}

func fixtureBank(t *testing.T) *Bank {
	t.Helper()
	b, ps := LoadBank(bankTree())
	if len(ps) > 0 {
		t.Fatalf("fixture bank: %v", ps)
	}
	return b
}

func TestDomainCounts(t *testing.T) {
	bp := Blueprint{FormLength: 10, Domains: []Domain{{ID: "a", Count: 6}, {ID: "b", Count: 3}, {ID: "c", Count: 1}}}
	cases := []struct {
		length int
		want   []int
	}{
		{10, []int{6, 3, 1}},
		{20, []int{12, 6, 2}},
		{5, []int{3, 2, 0}}, // 3, 1.5, 0.5: the tie goes to the earlier domain
		{7, []int{4, 2, 1}}, // 4.2, 2.1, 0.7
		{1, []int{1, 0, 0}},
		{13, []int{8, 4, 1}}, // 7.8, 3.9, 1.3
	}
	for _, tc := range cases {
		got := DomainCounts(bp, tc.length)
		if !slices.Equal(got, tc.want) {
			t.Errorf("DomainCounts(%d) = %v, want %v", tc.length, got, tc.want)
		}
		sum := 0
		for _, n := range got {
			sum += n
		}
		if sum != tc.length {
			t.Errorf("DomainCounts(%d) adds up to %d", tc.length, sum)
		}
	}
}

func checkForm(t *testing.T, b *Bank, f Form, retired map[string]bool) map[string]int {
	t.Helper()
	perDomain := map[string]int{}
	seen := map[string]bool{}
	for _, fi := range f {
		it, ok := b.Item(fi.ItemID)
		if !ok {
			t.Fatalf("form holds unknown item %s", fi.ItemID)
		}
		if seen[fi.ItemID] {
			t.Fatalf("item %s appears twice", fi.ItemID)
		}
		seen[fi.ItemID] = true
		if retired[fi.ItemID] {
			t.Fatalf("retired item %s on the form", fi.ItemID)
		}
		perDomain[it.Domain]++
		// The permutation is a permutation of the item's option indexes.
		if len(fi.Perm) != len(it.Options) || !slices.Equal(slices.Sorted(slices.Values(fi.Perm)), identity(len(it.Options))) {
			t.Fatalf("item %s: perm %v is not a permutation of %d options", fi.ItemID, fi.Perm, len(it.Options))
		}
		if it.Type == TypeTrueFalse && !slices.Equal(fi.Perm, []int{0, 1}) {
			t.Fatalf("true/false item %s shuffled: %v", fi.ItemID, fi.Perm)
		}
	}
	return perDomain
}

func TestAssembleFormRealBank(t *testing.T) {
	b := realBank(t)
	cases := []struct {
		name   string
		length int
		each   []int // per domain, blueprint order
	}{
		{"blueprint length", 60, []int{6, 6, 6, 6, 6, 6, 6, 6, 6, 6}},
		{"half", 30, []int{3, 3, 3, 3, 3, 3, 3, 3, 3, 3}},
		{"odd length keeps the total", 25, []int{3, 3, 3, 3, 3, 2, 2, 2, 2, 2}},
		{"double", 120, []int{12, 12, 12, 12, 12, 12, 12, 12, 12, 12}},
		{"the whole bank", 240, []int{24, 24, 24, 24, 24, 24, 24, 24, 24, 24}},
		{"one question", 1, []int{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := AssembleForm(b, nil, tc.length, 42)
			if err != nil {
				t.Fatal(err)
			}
			if len(f) != tc.length {
				t.Fatalf("form has %d items, want %d", len(f), tc.length)
			}
			per := checkForm(t, b, f, nil)
			for i, d := range b.Blueprint.Domains {
				if per[d.ID] != tc.each[i] {
					t.Errorf("domain %s: %d items, want %d", d.ID, per[d.ID], tc.each[i])
				}
			}
		})
	}
	if _, err := AssembleForm(b, nil, 241, 1); err == nil {
		t.Fatal("a form longer than the bank was assembled")
	}
	if _, err := AssembleForm(b, nil, 0, 1); err == nil {
		t.Fatal("an empty form was assembled")
	}
}

func TestAssembleFormDeterministic(t *testing.T) {
	b := realBank(t)
	for _, seed := range []int64{0, 1, -1, 42, math.MaxInt64, math.MinInt64, 7_654_321} {
		f1, err := AssembleForm(b, nil, 60, seed)
		if err != nil {
			t.Fatal(err)
		}
		f2, _ := AssembleForm(b, nil, 60, seed)
		if !reflect.DeepEqual(f1, f2) {
			t.Fatalf("seed %d gave two different forms", seed)
		}
		checkForm(t, b, f1, nil)
	}
	a, _ := AssembleForm(b, nil, 60, 1)
	c, _ := AssembleForm(b, nil, 60, 2)
	if reflect.DeepEqual(a, c) {
		t.Fatal("seeds 1 and 2 gave the same form")
	}
	// The question order is shuffled across domains, and options of single/multiple items are shuffled.
	inBankOrder, shuffledOptions := true, 0
	for i := 1; i < len(a); i++ {
		p, _ := b.Item(a[i-1].ItemID)
		q, _ := b.Item(a[i].ItemID)
		if slices.IndexFunc(b.Blueprint.Domains, func(d Domain) bool { return d.ID == p.Domain }) > slices.IndexFunc(b.Blueprint.Domains, func(d Domain) bool { return d.ID == q.Domain }) {
			inBankOrder = false
		}
	}
	for _, fi := range a {
		if !slices.Equal(fi.Perm, identity(len(fi.Perm))) {
			shuffledOptions++
		}
	}
	if inBankOrder || shuffledOptions < 20 {
		t.Fatalf("form is not shuffled: domain order kept %v, %d items with shuffled options", inBankOrder, shuffledOptions)
	}
}

func TestAssembleFormLeavesOutRetiredItems(t *testing.T) {
	b := realBank(t)
	fnd := b.ByDomain("foundations")
	retired := map[string]bool{}
	for _, it := range fnd[:18] { // 24 - 18 = 6 left: exactly the blueprint count
		retired[it.ID] = true
	}
	retired[b.ByDomain("ethics")[0].ID] = true
	for seed := int64(0); seed < 20; seed++ {
		f, err := AssembleForm(b, retired, 60, seed)
		if err != nil {
			t.Fatal(err)
		}
		per := checkForm(t, b, f, retired)
		if per["foundations"] != 6 || per["ethics"] != 6 {
			t.Fatalf("counts %v", per)
		}
	}
	retired[fnd[18].ID] = true // now only 5 remain
	_, err := AssembleForm(b, retired, 60, 3)
	var short *ShortDomainError
	if !errors.As(err, &short) || short.Domain != "foundations" || short.Have != 5 || short.Need != 6 {
		t.Fatalf("err = %v", err)
	}
}

func TestPasses(t *testing.T) {
	cases := []struct {
		correct, total, mark int
		want                 bool
	}{
		{45, 60, 75, true},       // exactly 75%
		{3, 4, 75, true},         // exactly 75%
		{7499, 10000, 75, false}, // 74.99%
		{44, 60, 75, false},      // 73.3%
		{46, 60, 75, true},
		{60, 60, 100, true},
		{59, 60, 100, false},
		{0, 0, 75, false}, // nothing graded never passes
		{1, 1, 1, true},
	}
	for _, tc := range cases {
		if got := Passes(tc.correct, tc.total, tc.mark); got != tc.want {
			t.Errorf("Passes(%d, %d, %d) = %v", tc.correct, tc.total, tc.mark, got)
		}
	}
}

func TestGrade(t *testing.T) {
	b := fixtureBank(t)
	// ALP-1/BET-1 single (key 1 of 3), ALP-2/BET-2 multiple (key 0 and 3 of 4), ALP-3/BET-3 true/false (key 1).
	full := Form{}
	for _, it := range b.Items {
		full = append(full, FormItem{ItemID: it.ID, Perm: identity(len(it.Options))})
	}
	right := map[string][]int{"ALP-1": {1}, "ALP-2": {0, 3}, "ALP-3": {1}, "BET-1": {1}, "BET-2": {0, 3}, "BET-3": {1}}
	with := func(changes map[string][]int) map[string][]int {
		m := map[string][]int{}
		for k, v := range right {
			m[k] = v
		}
		for k, v := range changes {
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	cases := []struct {
		name       string
		form       Form
		answers    map[string][]int
		mark       int
		correct    int
		passed     bool
		alpha, bet DomainScore
	}{
		{"all right", full, right, 75, 6, true, DomainScore{3, 3}, DomainScore{3, 3}},
		{"single: wrong option", full, with(map[string][]int{"ALP-1": {0}}), 75, 5, true, DomainScore{2, 3}, DomainScore{3, 3}},
		{"single: two options chosen", full, with(map[string][]int{"ALP-1": {1, 2}}), 75, 5, true, DomainScore{2, 3}, DomainScore{3, 3}},
		{"multiple: keyed set in any order", full, with(map[string][]int{"ALP-2": {3, 0}}), 75, 6, true, DomainScore{3, 3}, DomainScore{3, 3}},
		{"multiple: subset is wrong", full, with(map[string][]int{"ALP-2": {0}}), 75, 5, true, DomainScore{2, 3}, DomainScore{3, 3}},
		{"multiple: superset is wrong", full, with(map[string][]int{"ALP-2": {0, 1, 3}}), 75, 5, true, DomainScore{2, 3}, DomainScore{3, 3}},
		{"truefalse: wrong", full, with(map[string][]int{"BET-3": {0}}), 75, 5, true, DomainScore{3, 3}, DomainScore{2, 3}},
		{"unanswered is wrong", full, with(map[string][]int{"BET-1": nil, "BET-2": {}}), 75, 4, false, DomainScore{3, 3}, DomainScore{1, 3}},
		{"nothing answered", full, nil, 75, 0, false, DomainScore{0, 3}, DomainScore{0, 3}},
		{"exactly 75% passes", full[:4], with(map[string][]int{"ALP-3": {0}}), 75, 3, true, DomainScore{2, 3}, DomainScore{1, 1}},
		{"just under the mark fails", full[:4], with(map[string][]int{"ALP-3": {0}}), 76, 3, false, DomainScore{2, 3}, DomainScore{1, 1}},
		{"50% fails 75", full[:4], with(map[string][]int{"ALP-3": {0}, "ALP-1": {2}}), 75, 2, false, DomainScore{1, 3}, DomainScore{1, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := Grade(tc.form, b, tc.answers, tc.mark)
			if r.Correct != tc.correct || r.Total != len(tc.form) || r.Passed != tc.passed {
				t.Fatalf("got %d/%d passed=%v, want %d/%d passed=%v", r.Correct, r.Total, r.Passed, tc.correct, len(tc.form), tc.passed)
			}
			if want := float64(tc.correct) * 100 / float64(len(tc.form)); r.Percent != want {
				t.Fatalf("percent %v, want %v", r.Percent, want)
			}
			if r.ByDomain["alpha"] != tc.alpha || r.ByDomain["beta"] != tc.bet {
				t.Fatalf("by domain %v", r.ByDomain)
			}
		})
	}
	// Options shown in another order do not matter: choices are stored as original indexes.
	shuffled := Form{{ItemID: "ALP-2", Perm: []int{3, 1, 0, 2}}}
	if r := Grade(shuffled, b, map[string][]int{"ALP-2": {0, 3}}, 75); r.Correct != 1 {
		t.Fatal("a shuffled multiple item graded wrong")
	}
	// An item that has left the bank counts as wrong.
	if r := Grade(Form{{ItemID: "GONE-1", Perm: []int{0, 1, 2}}}, b, map[string][]int{"GONE-1": {1}}, 75); r.Correct != 0 || r.Total != 1 {
		t.Fatalf("missing item: %+v", r)
	}
}

// The item-analysis example, computed by hand. Four responses to ALP-1, ALP-2, ALP-3 and BET-1:
//
//	       ALP-1  ALP-2   ALP-3  BET-1  total
//	r1     [1] 1  [0,3] 1 [1] 1  [1] 1  4
//	r2     [1] 1  [0]   0 [1] 1  [1] 1  3
//	r3     [0] 0  [0,3] 1 [0] 0  [1] 1  2
//	r4     -   0  [1,2] 0 [0] 0  [1] 1  1
//
// ALP-1: x = 1,1,0,0; rest = 3,2,2,1 (mean 2): cov sum 1, x sum of squares 1, rest 2: r = 1/sqrt(2).
// ALP-2: x = 1,0,1,0; rest = 3,3,1,1: cov sum 0.5 - 0.5 - 0.5 + 0.5 = 0: r = 0.
// ALP-3: as ALP-1. BET-1: everyone right, no variance: undefined.
func handExample() []Response {
	f := Form{{ItemID: "ALP-1", Perm: []int{2, 0, 1}}, {ItemID: "ALP-2", Perm: []int{0, 1, 2, 3}}, {ItemID: "ALP-3", Perm: []int{0, 1}}, {ItemID: "BET-1", Perm: []int{0, 1, 2}}}
	return []Response{
		{f, map[string][]int{"ALP-1": {1}, "ALP-2": {0, 3}, "ALP-3": {1}, "BET-1": {1}}},
		{f, map[string][]int{"ALP-1": {1}, "ALP-2": {0}, "ALP-3": {1}, "BET-1": {1}}},
		{f, map[string][]int{"ALP-1": {0}, "ALP-2": {0, 3}, "ALP-3": {0}, "BET-1": {1}}},
		{f, map[string][]int{"ALP-2": {1, 2}, "ALP-3": {0}, "BET-1": {1}}},
	}
}

// WantHandExample checks item statistics against the hand-computed example.
func wantHandExample(t *testing.T, stats []ItemStat) {
	t.Helper()
	by := map[string]ItemStat{}
	for _, s := range stats {
		by[s.ItemID] = s
	}
	want := []struct {
		id      string
		n       int
		p       float64
		disc    float64
		defined bool
		counts  []int
		omitted int
	}{
		{"ALP-1", 4, 0.5, 1 / math.Sqrt2, true, []int{1, 2, 0}, 1},
		{"ALP-2", 4, 0.5, 0, true, []int{3, 1, 1, 2}, 0},
		{"ALP-3", 4, 0.5, 1 / math.Sqrt2, true, []int{2, 2}, 0},
		{"BET-1", 4, 1, 0, false, []int{0, 4, 0}, 0},
		{"BET-2", 0, 0, 0, false, []int{0, 0, 0, 0}, 0},
	}
	for _, w := range want {
		s, ok := by[w.id]
		if !ok {
			t.Fatalf("no statistics for %s", w.id)
		}
		if s.N != w.n || math.Abs(s.P-w.p) > 1e-12 || math.Abs(s.Discrimination-w.disc) > 1e-12 || s.Defined != w.defined ||
			!slices.Equal(s.OptionCounts, w.counts) || s.Omitted != w.omitted {
			t.Errorf("%s: got n=%d p=%v disc=%v defined=%v counts=%v omitted=%d; want n=%d p=%v disc=%v defined=%v counts=%v omitted=%d",
				w.id, s.N, s.P, s.Discrimination, s.Defined, s.OptionCounts, s.Omitted, w.n, w.p, w.disc, w.defined, w.counts, w.omitted)
		}
	}
}

func TestAnalyzeItemsHandExample(t *testing.T) {
	b := fixtureBank(t)
	stats := AnalyzeItems(b, handExample(), map[string]bool{"BET-2": true})
	if len(stats) != len(b.Items) {
		t.Fatalf("%d stats for %d items", len(stats), len(b.Items))
	}
	wantHandExample(t, stats)
	for _, s := range stats {
		if s.Retired != (s.ItemID == "BET-2") {
			t.Errorf("%s retired = %v", s.ItemID, s.Retired)
		}
	}
	// One response: no correlation can be computed.
	one := AnalyzeItems(b, handExample()[:1], nil)
	for _, s := range one {
		if s.Defined || math.IsNaN(s.Discrimination) {
			t.Errorf("%s: discrimination %v defined from one response", s.ItemID, s.Discrimination)
		}
	}
}

// A select-all item may key a single option: only exactly that option earns the point.
func TestCorrectMultipleWithOneKey(t *testing.T) {
	it := &Item{ID: "M-1", Type: TypeMultiple, Options: []string{"a", "b", "c", "d"}, Answer: []int{2}}
	cases := []struct {
		choice []int
		want   bool
	}{
		{[]int{2}, true},
		{[]int{2, 2}, true},
		{[]int{1}, false},
		{[]int{2, 3}, false},
		{[]int{0, 1, 2, 3}, false},
		{nil, false},
	}
	for _, tc := range cases {
		if got := Correct(it, tc.choice); got != tc.want {
			t.Errorf("Correct(%v) = %v, want %v", tc.choice, got, tc.want)
		}
	}
}
