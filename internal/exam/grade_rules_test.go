package exam

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// Correct on items built by hand, including shapes the bank loader would refuse.
func TestCorrectEdges(t *testing.T) {
	single := &Item{Type: TypeSingle, Answer: []int{1}}
	tf := &Item{Type: TypeTrueFalse, Answer: []int{0}}
	multi := &Item{Type: TypeMultiple, Answer: []int{0, 3}}
	tests := []struct {
		name   string
		it     *Item
		choice []int
		want   bool
	}{
		{"no item", nil, []int{1}, false},
		{"single: the key", single, []int{1}, true},
		{"single: the key twice", single, []int{1, 1}, false},
		{"single: nothing", single, nil, false},
		{"single keyed twice", &Item{Type: TypeSingle, Answer: []int{1, 2}}, []int{1}, false},
		{"single without a key", &Item{Type: TypeSingle}, []int{1}, false},
		{"true/false: the key", tf, []int{0}, true},
		{"true/false: the key twice", tf, []int{0, 0}, false},
		{"true/false: the other", tf, []int{1}, false},
		{"multiple: the set", multi, []int{3, 0}, true},
		{"multiple: the set with a repeat", multi, []int{0, 3, 3}, true},
		{"multiple: one of the set", multi, []int{3}, false},
		{"multiple: empty", multi, []int{}, false},
	}
	for _, tt := range tests {
		if got := Correct(tt.it, tt.choice); got != tt.want {
			t.Errorf("%s: Correct = %v, want %v", tt.name, got, tt.want)
		}
	}
	choice := []int{3, 0}
	Correct(multi, choice)
	if choice[0] != 3 {
		t.Error("Correct reordered the caller's choice")
	}
}

// Item analysis with one and with two responses: a correlation needs two responses that differ on
// the item and on the rest of the form.
func TestAnalyzeItemsFewResponses(t *testing.T) {
	b := fixtureBank(t)
	// GONE-1 has left the bank: it comes first, and the items after it still count.
	f := Form{{ItemID: "GONE-1", Perm: []int{0, 1}}, {ItemID: "ALP-1", Perm: []int{0, 1, 2}}, {ItemID: "ALP-3", Perm: []int{0, 1}}, {ItemID: "BET-1", Perm: []int{0, 1, 2}}}
	right := map[string][]int{"ALP-1": {1}, "ALP-3": {1}, "BET-1": {1}, "GONE-1": {0}}
	wrong := map[string][]int{"ALP-1": {0, 3, 7, -1}, "ALP-3": {0}, "BET-1": {1}}
	by := func(stats []ItemStat) map[string]ItemStat {
		m := map[string]ItemStat{}
		for _, s := range stats {
			m[s.ItemID] = s
		}
		return m
	}

	one := by(AnalyzeItems(b, []Response{{f, right}}, nil))
	if s := one["ALP-1"]; s.N != 1 || s.P != 1 || s.Defined || s.Discrimination != 0 || s.OptionCounts[1] != 1 || s.Omitted != 0 {
		t.Errorf("one response, ALP-1: %+v", s)
	}
	if s := one["BET-2"]; s.N != 0 || s.P != 0 || s.Defined {
		t.Errorf("an item never administered: %+v", s)
	}

	two := by(AnalyzeItems(b, []Response{{f, right}, {f, wrong}}, nil))
	// ALP-1: x = 1, 0; rest = 2, 1: a perfect correlation from two responses.
	if s := two["ALP-1"]; s.N != 2 || s.P != 0.5 || !s.Defined || math.Abs(s.Discrimination-1) > 1e-12 {
		t.Errorf("two responses, ALP-1: %+v", s)
	}
	// Out-of-range options are not counted; ALP-1 was chosen 0 once and 1 once.
	if s := two["ALP-1"]; s.OptionCounts[0] != 1 || s.OptionCounts[1] != 1 || s.OptionCounts[2] != 0 || s.Omitted != 0 {
		t.Errorf("two responses, ALP-1 counts: %+v", s)
	}
	// BET-1: right both times: no variance, no correlation.
	if s := two["BET-1"]; s.N != 2 || s.P != 1 || s.Defined || s.Discrimination != 0 {
		t.Errorf("two responses, BET-1: %+v", s)
	}
	// An item that left the bank is skipped, and its omission is nobody's.
	if len(two) != len(b.Items) {
		t.Errorf("%d stats for %d items", len(two), len(b.Items))
	}
	// Two responses, opposite on the item and the rest: a perfect negative correlation.
	neg := by(AnalyzeItems(b, []Response{
		{f, map[string][]int{"ALP-1": {1}}},
		{f, map[string][]int{"ALP-3": {1}, "BET-1": {1}}},
	}, nil))
	if s := neg["ALP-1"]; !s.Defined || math.Abs(s.Discrimination+1) > 1e-12 || s.Omitted != 1 {
		t.Errorf("opposite responses, ALP-1: %+v", s)
	}
	// Two responses that differ on the item but score the same on the rest: no correlation.
	flat := by(AnalyzeItems(b, []Response{
		{f, map[string][]int{"ALP-1": {1}, "ALP-3": {1}}},
		{f, map[string][]int{"BET-1": {1}}},
	}, nil))
	if s := flat["ALP-1"]; s.Defined || s.Discrimination != 0 || s.P != 0.5 {
		t.Errorf("the rest without variance, ALP-1: %+v", s)
	}
}

// An empty form scores nothing and never passes (no division by zero).
func TestGradeEmptyForm(t *testing.T) {
	r := Grade(nil, fixtureBank(t), nil, 0)
	if r.Total != 0 || r.Correct != 0 || r.Percent != 0 || r.Passed || len(r.ByDomain) != 0 {
		t.Errorf("empty form: %+v", r)
	}
	one := Grade(Form{{ItemID: "ALP-1", Perm: []int{0, 1, 2}}}, fixtureBank(t), map[string][]int{"ALP-1": {1}}, 75)
	if one.Total != 1 || one.Correct != 1 || one.Percent != 100 || !one.Passed {
		t.Errorf("a one-item form answered right: %+v", one)
	}
}

func TestFormHelpers(t *testing.T) {
	f := Form{{ItemID: "A"}, {ItemID: "B"}}
	if f.Position("B") != 1 || f.Position("A") != 0 || f.Position("C") != -1 {
		t.Errorf("positions %d %d %d", f.Position("A"), f.Position("B"), f.Position("C"))
	}
	e := &ShortDomainError{Domain: "ethics", Have: 2, Need: 3}
	if e.Error() != `exam: domain "ethics" has 2 usable items; the form needs 3` {
		t.Errorf("error %q", e.Error())
	}
	if _, err := AssembleForm(nil, nil, 4, 1); err == nil || !strings.Contains(err.Error(), "no blueprint") {
		t.Errorf("no bank: %v", err)
	}
	b := fixtureBank(t)
	v := BankVersion(b)
	if len(v) != 16 || BankVersion(fixtureBank(t)) != v {
		t.Errorf("bank version %q is not a stable 16-digit fingerprint", v)
	}
	b.Items[0].Answer = []int{2}
	if BankVersion(b) == v {
		t.Error("a changed key leaves the bank version unchanged")
	}
	for _, n := range []int{0, -3} {
		if got := DomainCounts(b.Blueprint, n); len(got) != len(b.Blueprint.Domains) || got[0] != 0 || got[1] != 0 {
			t.Errorf("DomainCounts(%d) = %v", n, got)
		}
	}
	if got := DomainCounts(Blueprint{Domains: []Domain{{ID: "a"}, {ID: "b"}}}, 4); got[0] != 0 || got[1] != 0 {
		t.Errorf("DomainCounts of an empty blueprint = %v", got)
	}
}

// goldenBank is a small bank built in code: two domains, single, multiple and true/false items.
func goldenBank() *Bank {
	b := &Bank{Blueprint: Blueprint{Domains: []Domain{{ID: "a", Count: 2}, {ID: "b", Count: 1}}}}
	for _, it := range []Item{
		{ID: "A-1", Domain: "a", Type: TypeSingle, Options: []string{"1", "2", "3", "4"}},
		{ID: "A-2", Domain: "a", Type: TypeMultiple, Options: []string{"1", "2", "3", "4"}},
		{ID: "A-3", Domain: "a", Type: TypeTrueFalse, Options: []string{"True", "False"}},
		{ID: "B-1", Domain: "b", Type: TypeSingle, Options: []string{"1", "2", "3"}},
		{ID: "B-2", Domain: "b", Type: TypeSingle, Options: []string{"1", "2", "3"}},
	} {
		b.Items = append(b.Items, it)
	}
	return b
}

// A seed gives the same form in every release: the seed is stored with each attempt.
func TestAssembleFormGolden(t *testing.T) {
	f, err := AssembleForm(goldenBank(), nil, 3, 42)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(f)
	if want := `[{"item_id":"B-1","perm":[1,0,2]},{"item_id":"A-3","perm":[0,1]},{"item_id":"A-1","perm":[3,2,0,1]}]`; string(got) != want {
		t.Errorf("form for seed 42:\n got  %s\n want %s", got, want)
	}
}

// A course's assessment has a single domain (internal/catalog): its forms are drawn like the written
// exam's, and a blueprint of a single item scales to any form length.
func TestAssembleFormOneDomain(t *testing.T) {
	if got := DomainCounts(Blueprint{Domains: []Domain{{ID: "a", Count: 1}}}, 3); len(got) != 1 || got[0] != 3 {
		t.Errorf("DomainCounts of one item to 3 = %v, want [3]", got)
	}
	b := goldenBank()
	b.Blueprint.Domains = b.Blueprint.Domains[:1]
	b.Items = b.Items[:3] // domain a's
	f, err := AssembleForm(b, nil, 3, 7)
	if err != nil || len(f) != 3 {
		t.Fatalf("one-domain form: %v, %v", f, err)
	}
	seen := map[string]bool{}
	for _, fi := range f {
		if seen[fi.ItemID] || !strings.HasPrefix(fi.ItemID, "A-") {
			t.Errorf("one-domain form %+v", f)
		}
		seen[fi.ItemID] = true
	}
}
