package contentcheck

import (
	"fmt"
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
